"""`python -m ratings_engine` runs the `rate` command line."""
from .cli import main

main()
