"""Words for decisions: why each rating is what it is, in the inspector's terms."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import BandRow, CountCondition, Rulebook, _AggregateConditions


def pct_text(value: float) -> str:
    return f"{value:.1f}%"


def _num(value: Decimal | int) -> str:
    text = f"{value:f}" if isinstance(value, Decimal) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def band_row_text(row: BandRow) -> str:
    """'80% or more', '65% to under 80%', 'under 50%'."""
    low = f"{_num(row.min)}%" if row.min is not None else (f"over {_num(row.above)}%" if row.above is not None else None)
    high = f"under {_num(row.below)}%" if row.below is not None else (f"at most {_num(row.max)}%" if row.max is not None else None)
    if low and high:
        return f"{low} to {high}"
    if low:
        return f"{low} or more" if row.min is not None else low
    return high or "any percentage"


def key_question_because(sufficient: int, applicable: int, not_applicable: int, pct: float,
                         compared: float, rounding: str, row: BandRow) -> str:
    na = f"; {not_applicable} not applicable" if not_applicable else ""
    shown = pct_text(pct)
    if rounding != "exact" and compared != pct:
        shown += f", compared as {_num(Decimal(str(compared)))}% ({rounding.replace('_', ' ')})"
    return (f"{sufficient} of {applicable} applicable cases sufficient ({shown}{na}): "
            f"rule {row.id} ({band_row_text(row)}) gives {row.then}")


def count_text(cond: CountCondition) -> str:
    if cond.ratings is not None:
        what = "rated " + " or ".join(cond.ratings)
    elif cond.at_most is not None:
        what = f"rated {cond.at_most} or lower"
    else:
        what = f"rated {cond.at_least} or higher"
    among = f" among {', '.join(cond.standards)}" if cond.standards else ""
    if cond.min is not None and cond.max is not None:
        bound = f"{cond.min} to {cond.max}" if cond.min != cond.max else f"exactly {cond.min}"
    elif cond.min is not None:
        bound = f"at least {cond.min}"
    else:
        bound = f"at most {cond.max}"
    return f"{bound} standard(s){among} {what}"


def aggregate_row_text(row: _AggregateConditions) -> str:
    parts = []
    if row.scored is not None:
        parts.append(f"{row.scored} scored standards")
    if row.score_min is not None and row.score_max is not None:
        parts.append(f"score {row.score_min}-{row.score_max}")
    elif row.score_min is not None:
        parts.append(f"score at least {row.score_min}")
    elif row.score_max is not None:
        parts.append(f"score at most {row.score_max}")
    for key, words in (("mean_min", "at least"), ("mean_above", "above"), ("mean_max", "at most"), ("mean_below", "below")):
        value = getattr(row, key)
        if value is not None:
            parts.append(f"mean score {words} {_num(value)}")
    parts += [count_text(c) for c in row.counts]
    return ", ".join(parts) if parts else "any score"


def overall_because(score: int, max_score: int, scored: int, rule_id: str, row_text: str, outcome: str,
                    scored_ids: list[str]) -> str:
    mean = score / scored
    return (f"score {score} of {max_score} over {scored} scored standard(s) ({', '.join(scored_ids)}; "
            f"mean {mean:.2f}): rule {rule_id} ({row_text}) gives {outcome}")


def lowest_because(rulebook: Rulebook, deciding: str, rating: str, others: list[tuple[str, str]],
                   skipped: list[str]) -> str:
    text = f"lowest of its key questions: {deciding} is {rating}"
    if others:
        text += " (" + ", ".join(f"{k} {r}" for k, r in others) + ")"
    if skipped:
        text += f"; not rated for want of applicable cases: {', '.join(skipped)}"
    return text
