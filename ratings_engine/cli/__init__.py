"""The `rate` command line (see `main`): thin commands over the API, options declared once."""
from .main import main

__all__ = ["main"]
