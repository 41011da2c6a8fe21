"""ratings-engine: inspection ratings from case evidence, by declarative rulebooks, explained."""
from .api import (
    diff_rulebooks, get_rulebook, load_cases, load_evidence, load_judgements, rate, rate_corpus, rate_evidence,
    run_scenarios,
)
from .errors import EngineError, InputError, RatingsEngineError, RulebookError
from .rate import rate_tallies
from .results import RatingReport, StandardResult, UnitResult
from .rulebook import NOT_INSPECTED, Rulebook, load_rulebook
from .tally import tally

__all__ = [
    "EngineError", "InputError", "NOT_INSPECTED", "RatingReport", "RatingsEngineError", "Rulebook",
    "RulebookError", "StandardResult", "UnitResult", "diff_rulebooks", "get_rulebook", "load_cases", "load_evidence",
    "load_judgements", "load_rulebook", "rate", "rate_corpus", "rate_evidence", "rate_tallies", "run_scenarios", "tally",
]
__version__ = "0.1.0"
