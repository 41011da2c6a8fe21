"""ratings-engine: inspection ratings from case evidence, by declarative rulebooks, explained.

    >>> from ratings_engine import rate
    >>> report = rate("cases/redcar-cleveland-middlesbrough.csv",
    ...               judgements="cases/redcar-cleveland-middlesbrough-judgements.csv")

The public names below come from `ratings_engine.api` and the model; they are imported on
first use, so `import ratings_engine.cli` (and `rate --help`) does not load pandas.
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from ._version import __version__

_PUBLIC = {
    # the API
    "rate": "api", "rate_corpus": "api", "rate_evidence": "api", "rate_tallies": "api", "validate": "api",
    "confidence": "api", "sweep": "api", "diff_rulebooks": "api", "run_scenarios": "api", "check_rules": "api",
    "report_html": "api", "report_confidence": "api", "frameworks": "api", "load_rulebook": "api", "load_cases": "api", "load_evidence": "api",
    "load_judgements": "api", "load_overrides": "api", "tally": "api",
    # values
    "RatingReport": "model.results", "UnitResult": "model.results", "StandardResult": "model.results",
    "KeyQuestionResult": "model.results", "OverallResult": "model.results", "Decision": "model.results",
    "Rulebook": "model.rulebook", "LoadedRulebook": "model.rulebook", "NOT_INSPECTED": "model.rulebook",
    # errors
    "RatingsEngineError": "model.errors", "InputError": "model.errors", "RulebookError": "model.errors",
    "EngineError": "model.errors",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name: str):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'ratings_engine' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__


if TYPE_CHECKING:  # for editors and type checkers: the same names, imported eagerly
    from .api import (  # noqa: F401
        check_rules, confidence, diff_rulebooks, frameworks, load_cases, load_evidence, load_judgements,
        load_overrides, load_rulebook, rate, rate_corpus, rate_evidence, rate_tallies, report_confidence, report_html,
        run_scenarios, sweep, tally, validate,
    )
    from .model.errors import EngineError, InputError, RatingsEngineError, RulebookError  # noqa: F401
    from .model.results import (  # noqa: F401
        Decision, KeyQuestionResult, OverallResult, RatingReport, StandardResult, UnitResult,
    )
    from .model.rulebook import NOT_INSPECTED, LoadedRulebook, Rulebook  # noqa: F401
