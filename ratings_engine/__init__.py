"""ratings-engine: inspection ratings from case evidence, by declarative rulebooks, explained."""
from .api import get_rulebook, load_cases, load_judgements, rate, rate_evidence
from .errors import EngineError, InputError, RatingsEngineError, RulebookError
from .rate import rate_tallies
from .results import RatingReport, StandardResult, UnitResult
from .rulebook import NOT_INSPECTED, Rulebook, load_rulebook
from .tally import tally

__all__ = [
    "EngineError", "InputError", "NOT_INSPECTED", "RatingReport", "RatingsEngineError", "Rulebook",
    "RulebookError", "StandardResult", "UnitResult", "get_rulebook", "load_cases", "load_judgements",
    "load_rulebook", "rate", "rate_evidence", "rate_tallies", "tally",
]
__version__ = "0.1.0"
