"""Which change moves which unit: several what-if changes, each applied alone, rated in bulk.

With several changes to a rulebook (several `--set`, or the edits of the workbench), a diff of
the base with all of them says *what* moves, not *why*. Here each change is applied alone to the
base and the corpus re-rated through the compiled rulebook in bulk (`engine.bulk.evaluate`, the
same decisions `rate diff` makes one unit at a time): a unit "moves under" a change when its
rating at the chosen level differs from the base's with that change alone. Units that move under
the combination but under no single change move **only under the combination** (for example a
threshold moved in two steps, or a count rule and a band that each fall just short).

Also here: the labels a diff gives bulk codes (so a bulk matrix equals `rate diff`'s), and the
corpus held as arrays once for many evaluations (`BulkCorpus`, used by the workbench too).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..engine.bulk import (
    MISSING,
    NOT_RATED,
    BulkRatings,
    Layout,
    arrays_from_tallies,
    evaluate,
    judgement_codes,
    key_question_codes,
)
from ..engine.decide import compile_rulebook
from ..io.rulebooks import split_assignments, with_changes
from ..model.errors import RulebookError
from ..model.rulebook import NOT_INSPECTED, Rulebook
from .corpus import Corpus
from .diff import ABSENT, LEVELS, NO_RATING, overall_label

COMBINATION_ONLY = "combination only"


@dataclass(frozen=True)
class ChangeSpec:
    """One change as the user sees it: a label, and the `PATH=VALUE` assignments that make it."""

    label: str
    assignments: tuple[str, ...]


def changes_from_sets(sets: Sequence[str]) -> list[ChangeSpec]:
    """Each `--set` is one change (its `;`-separated assignments move together)."""
    return [ChangeSpec(text.strip(), split_assignments(text)) for text in sets]


# ---------------------------------------------------------------------------------------------
# A corpus as arrays, rated in bulk


@dataclass(frozen=True)
class BulkCorpus:
    """A corpus's tallies and judgements as arrays in the layout of one rulebook."""

    rulebook: Rulebook
    layout: Layout
    units: list[str]
    sufficient: np.ndarray
    applicable: np.ndarray
    present: np.ndarray
    judgements: np.ndarray
    allow_partial: bool = False
    _kq_codes: dict = field(default_factory=dict, compare=False, repr=False)  # band table -> key-question codes

    @classmethod
    def of(cls, corpus: Corpus, rulebook: Rulebook, *, allow_partial: bool = False) -> "BulkCorpus":
        layout = Layout(rulebook)
        arrays = arrays_from_tallies(corpus.tallies, rulebook, list(corpus.units), layout)
        judged = judgement_codes(rulebook, corpus.judgements, arrays.units, layout)
        return cls(rulebook, layout, arrays.units, arrays.sufficient, arrays.applicable, arrays.present, judged,
                   allow_partial)

    def compatible(self, variant: Rulebook) -> str | None:
        """Why `variant` cannot be rated on these arrays (None when it can)."""
        if variant.key_question_ids != self.rulebook.key_question_ids \
                or [(s.id, s.rated_by) for s in variant.standards] != [(s.id, s.rated_by) for s in self.layout.standards]:
            return "it changes the standards or key questions (compare it with rate diff --candidate instead)"
        if variant.ratings != self.rulebook.ratings:
            return "it changes the rating scale"
        return None

    def rate(self, variant: Rulebook) -> BulkRatings:
        """Every unit rated under `variant` (same standards, key questions and scale) through its compiled tables.

        Variants that share the key-question band table and its policies (the base and a change
        of the overall rows, say) share the key-question codes: decided once, reused.
        """
        why = self.compatible(variant)
        if why:
            raise RulebookError(f"cannot rate this variant on the corpus arrays: {why}")
        layout = self.layout if variant is self.rulebook else Layout(variant)
        compiled = compile_rulebook(variant)
        key = _band_key(variant)
        kq = self._kq_codes.get(key)
        if kq is None:
            kq = key_question_codes(compiled, self.sufficient, self.applicable, self.present)
            if len(self._kq_codes) >= 16:
                self._kq_codes.pop(next(iter(self._kq_codes)))
            self._kq_codes[key] = kq
        return evaluate(compiled, self.sufficient, self.applicable, self.present, self.judgements,
                        allow_partial=self.allow_partial, layout=layout, key_questions=kq)


def _band_key(rb: Rulebook) -> str:
    """What the key-question codes depend on: the band table and the rounding and minimum policies."""
    p = rb.policies
    return rb.key_question_bands.model_dump_json() + p.rounding.value + str(p.minimum_applicable.value)


def labels(ratings: BulkRatings, level: str) -> np.ndarray:
    """Labels as a diff gives them (`toolkit.diff`): (N,) for overall, (N, S) standards, (N, K) key questions."""
    rb = ratings.rulebook
    scale = np.array(list(rb.ratings), dtype=object)
    if level == "overall":
        codes = ratings.overall
        out = np.empty(len(codes), dtype=object)
        for i, (code, partial) in enumerate(zip(codes.tolist(), ratings.partial.tolist())):
            if code >= 0:
                out[i] = overall_label(rb.ratings[code], "partial" if partial else "rated")
            else:
                out[i] = overall_label(None, "not rated" if code == NOT_RATED else "incomplete")
        return out
    codes = ratings.standards if level == "standard" else ratings.key_questions
    out = np.empty(codes.shape, dtype=object)
    rated = codes >= 0
    out[rated] = scale[codes[rated]]
    if level == "standard":
        out[codes == NOT_RATED] = NOT_INSPECTED
        out[codes == MISSING] = NO_RATING
    else:
        out[codes == NOT_RATED] = NO_RATING
        out[codes == MISSING] = ABSENT
    return out


def moved(a: BulkRatings, b: BulkRatings, level: str) -> np.ndarray:
    """(N,) bool: units whose ratings at `level` differ between two evaluations of the same corpus."""
    if level == "overall":
        return (a.overall != b.overall) | (a.partial != b.partial)
    codes_a = a.standards if level == "standard" else a.key_questions
    codes_b = b.standards if level == "standard" else b.key_questions
    return (codes_a != codes_b).any(axis=1)


# ---------------------------------------------------------------------------------------------
# Attribution


@dataclass(frozen=True)
class Attribution:
    level: str
    changes: tuple[ChangeSpec, ...]
    moves: dict[str, tuple[str, ...]]  # change label -> units it moves alone
    errors: dict[str, str]  # change label -> why it cannot be applied alone
    moved: tuple[str, ...]  # units moved by all the changes together
    combination_only: tuple[str, ...]
    not_together: tuple[str, ...] = field(default=())  # moved by a change alone, not by the combination

    def deciding(self, unit: str) -> list[str]:
        """The changes that alone move `unit`, or [COMBINATION_ONLY]."""
        alone = [c.label for c in self.changes if unit in self.moves.get(c.label, ())]
        if alone:
            return alone
        return [COMBINATION_ONLY] if unit in self.combination_only else []

    def to_dict(self) -> dict:
        return {"level": self.level,
                "changes": [{"change": c.label, "assignments": list(c.assignments),
                             "units_moved_alone": list(self.moves.get(c.label, ())),
                             "error": self.errors.get(c.label)} for c in self.changes],
                "units_moved_together": len(self.moved),
                "combination_only": list(self.combination_only),
                "moved_alone_not_together": list(self.not_together)}


def attribute(corpus: BulkCorpus, changes: Sequence[ChangeSpec], candidate: Rulebook, level: str = "overall", *,
              base_ratings: BulkRatings | None = None, candidate_ratings: BulkRatings | None = None,
              variants: Sequence[Rulebook | None] | None = None) -> Attribution:
    """Apply each change alone to the base (`corpus.rulebook`) and compare with the combination (`candidate`).

    `variants` may give each change's rulebook already built (None for one that does not apply
    alone); otherwise each is `with_changes(base, change.assignments)`.
    """
    if level not in LEVELS:
        raise ValueError(level)
    base = base_ratings if base_ratings is not None else corpus.rate(corpus.rulebook)
    together = candidate_ratings if candidate_ratings is not None else corpus.rate(candidate)
    units = np.array(corpus.units, dtype=object)
    moved_together = moved(base, together, level)
    moves: dict[str, tuple[str, ...]] = {}
    errors: dict[str, str] = {}
    any_alone = np.zeros(len(units), dtype=bool)
    for i, change in enumerate(changes):
        try:
            variant = variants[i] if variants is not None else with_changes(corpus.rulebook, list(change.assignments))
            if variant is None:
                raise RulebookError("it does not apply to the base on its own")
            alone = moved(base, corpus.rate(variant), level)
        except RulebookError as exc:
            errors[change.label] = exc.render()
            continue
        moves[change.label] = tuple(units[alone].tolist())
        any_alone |= alone
    return Attribution(level, tuple(changes), moves, errors, tuple(units[moved_together].tolist()),
                       tuple(units[moved_together & ~any_alone].tolist()),
                       tuple(units[any_alone & ~moved_together].tolist()))
