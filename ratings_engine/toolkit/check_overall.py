"""`rate check-rules`: the overall band table and limits, over every reachable combination of ratings.

Every score 0..max for every number of scored standards and every reachable combination of
rating counts is decided through the compiled rulebook (durable_rules): missing bands,
overlaps, rows that never decide, non-monotone scores and one-step rating rises, and limits
that never match or never lower a rating are reported through the `Checker`.
"""
from __future__ import annotations

import itertools
import math
import random
from typing import Iterable, Sequence

from ..engine.decide import CompiledRulebook, OverallInput
from ..model.rulebook import Rulebook
from ..rating import explain
from .check_bands import Checker, same_row


#: Rating combinations enumerated for the overall checks before falling back to a seeded sample.
MAX_COMBINATIONS = 200_000
SAMPLED_COMBINATIONS = 20_000


def check_overall(checker: Checker, kq_ratings: set[str]) -> None:
    rb, compiled = checker.rb, checker.compiled
    bands = compiled.overall_bands
    name = "overall.bands"
    rank = rb.rank
    space = RatingSpace(rb, compiled, kq_ratings)
    if space.sampled:
        checker.add("warning", "combinations_sampled", "overall", (),
                 f"{space.size:,} combinations of standard ratings are too many to enumerate; the overall checks "
                 f"used a seeded sample of {len(space.keys):,} of them (gaps and score monotonicity are still "
                 "checked for every score)")
    reachable = space.inputs()  # OverallInput -> example ratings
    if not reachable:
        checker.checked.append("overall: no scored standard, so no overall rating is ever given")
        return
    top = rb.max_standard_score
    families = sorted({(i.scored, i.counts) for i in reachable})
    grid = [OverallInput(s, n, c) for n, c in families for s in range(top * n + 1)]
    matched = dict(zip(grid, bands.matching([i.fact() for i in grid])))
    chosen = {i: bands.choose(m) if m else None for i, m in matched.items()}
    limits = compiled.limits
    reach_list = list(reachable)
    limit_rows = dict(zip(reach_list, limits.matching([i.fact() for i in reach_list]))) if limits else {}
    limit_chosen = {i: limits.choose(m) if m else None for i, m in limit_rows.items()} if limits else {}

    def final(i: OverallInput) -> tuple[str | None, str | None]:
        row = chosen.get(i)
        if row is None:
            return None, None
        cap = limit_chosen.get(i)
        if cap is not None and rank(cap.cap) < rank(row.then):
            return cap.cap, cap.id
        return row.then, row.id

    # Gaps and overlaps over the engine's grid: every score 0..max for each reachable count family.
    for n, c in families:
        scores = range(top * n + 1)
        gap_scores = [s for s in scores if not matched[OverallInput(s, n, c)]]
        for run in _int_runs(gap_scores):
            s0 = run[0]
            i0 = OverallInput(s0, n, c)
            below = chosen.get(OverallInput(run[0] - 1, n, c))
            above = chosen.get(OverallInput(run[-1] + 1, n, c))
            example = reachable.get(i0)
            checker.add("error", "missing_band", name, [r.id for r in (below, above) if r is not None],
                     f"no row matches a score of {_score_range(run)} over {n} scored standard(s) "
                     f"(max {top * n}){space.counts_text(c)}: e.g. score {s0} of {top * n} "
                     f"(mean {s0 / n:.2f})" + (f", from ratings {space.ratings_text(example)}" if example else
                                               ", a score these rating counts cannot reach, but the engine decides "
                                               "every score 0..max when it computes margins, so rating fails")
                     + (f"; the rows around it: {', '.join(r.id for r in (below, above) if r is not None)}"
                        if below or above else ""),
                     {"score": s0, "scored": n, "counts": list(c), "ratings": example})
        if rb.overall.bands.hit_policy == "unique":
            multi = [s for s in scores if len(matched[OverallInput(s, n, c)]) > 1]
            by_rows: dict[tuple, list[int]] = {}
            for s in multi:
                by_rows.setdefault(tuple(r.id for r in matched[OverallInput(s, n, c)]), []).append(s)
            for ids, ss in by_rows.items():
                checker.add("error", "overlap", name, ids,
                         f"rows {', '.join(ids)} all match a score of {_score_range(ss)} over {n} scored standard(s)"
                         f"{space.counts_text(c)}, but the hit policy is 'unique'",
                         {"score": ss[0], "scored": n, "counts": list(c)})

    # Rows that never match / never decide, over the reachable inputs.
    decided = [(matched[i], chosen[i]) for i in reach_list]

    def where_text(idxs: list[int]) -> str:
        ins = [reach_list[k] for k in idxs[:3]]
        return "; ".join(f"score {i.score} over {i.scored}{space.counts_text(i.counts)}" for i in ins) + (
            ", ..." if len(idxs) > 3 else "")

    checker.dead_rows(name, rb.overall.bands.rows, decided, "no reachable combination of standard ratings", where_text)

    # Monotone in score, same number of scored standards and the same rating counts.
    by_family: dict[tuple, list[OverallInput]] = {}
    for i in reach_list:
        by_family.setdefault((i.scored, i.counts), []).append(i)
    seen: set[tuple] = set()
    for (n, c), ins in sorted(by_family.items()):
        ins.sort(key=lambda i: i.score)
        for lo, hi in zip(ins, ins[1:]):
            (r_lo, id_lo), (r_hi, id_hi) = final(lo), final(hi)
            if r_lo is None or r_hi is None or rank(r_hi) >= rank(r_lo) or (id_lo, id_hi) in seen:
                continue
            seen.add((id_lo, id_hi))
            checker.add("error", "non_monotone", name, [id_lo, id_hi],
                     f"a higher score gives a lower rating with {n} scored standard(s){space.counts_text(c)}: "
                     f"score {lo.score} gives {r_lo} ({id_lo}) but score {hi.score} gives {r_hi} ({id_hi}); "
                     f"e.g. {space.ratings_text(reachable[lo])} against {space.ratings_text(reachable[hi])}",
                     {"lower": {"score": lo.score, "scored": n, "rating": r_lo},
                      "higher": {"score": hi.score, "scored": n, "rating": r_hi}})

    # Monotone when one standard's rating goes up one step (what more sufficient cases can do).
    raised = 0
    for key, other, sid, before, after in space.raises():
        i, j = space.input_of(key), space.input_of(other)
        (r_i, id_i), (r_j, id_j) = final(i), final(j)
        raised += 1
        if r_i is None or r_j is None or rank(r_j) >= rank(r_i) or (id_i, id_j) in seen:
            continue
        seen.add((id_i, id_j))
        checker.add("error", "non_monotone", "overall", [id_i, id_j],
                 f"raising standard {sid} from {before} to {after} lowers the overall rating from {r_i} ({id_i}) to "
                 f"{r_j} ({id_j}): e.g. {space.ratings_text(space.ratings_of(key))} "
                 f"(score {i.score}/{top * i.scored} -> {j.score}/{top * j.scored})",
                 {"before": space.ratings_of(key), "after": space.ratings_of(other), "standard": sid})

    # Score alone is legitimately non-monotone when rating counts differ (count rules): a note.
    legit = _score_inversions(reach_list, final, rank)

    # Limits.
    limit_note = ""
    if rb.overall.limits is not None:
        enabled = [r for r in rb.overall.limits.rows if r.enabled]
        disabled = [r.id for r in rb.overall.limits.rows if not r.enabled]
        for row in enabled:
            hits = [i for i in reach_list if any(same_row(r, row) for r in limit_rows.get(i, ()))]
            if not hits:
                checker.add("warning", "limit_never_matches", "overall.limits", [row.id],
                         f"limit {row.id} ({row.description}: {explain.aggregate_row_text(row)}) never matches "
                         "a reachable combination of standard ratings")
            elif not any(chosen[i] is not None and rank(row.cap) < rank(chosen[i].then) for i in hits):
                checker.add("warning", "limit_never_lowers", "overall.limits", [row.id],
                         f"limit {row.id} ({row.description}) matches, but wherever it matches the band rating is "
                         f"already at or below its cap {row.cap}, so it never changes a rating")
        limit_note = (f"; limits: {len(enabled)} enabled (hit policy {rb.overall.limits.hit_policy})"
                      + (f", {len(disabled)} disabled and not checked ({', '.join(disabled)})" if disabled else ""))
    finals = {final(i)[0] for i in reach_list} - {None}
    missing = [r for r in rb.ratings if r not in finals]
    if missing:
        checker.add("warning", "unreachable_rating", "overall", (),
                 f"no combination of standard ratings gives an overall rating of {', '.join(missing)}")
    ns = sorted({i.scored for i in reach_list})
    checker.checked.append(
        f"overall.bands: hit policy {rb.overall.bands.hit_policy}, {len(rb.overall.bands.rows)} rows; "
        f"{space.describe()}: {len(reach_list):,} distinct overall inputs with {ns[0]}-{ns[-1]} scored standards; "
        f"{len(grid):,} (score 0..max, scored standards, rating counts) inputs decided through durable_rules; "
        f"{raised:,} one-step rating rises checked for monotonicity" + limit_note
        + (f"; note: with different rating counts a higher score gives a lower rating at {legit} (score, scored standards) input(s) "
           "(legitimate for count rules)" if legit else ""))



def _int_runs(values: Sequence[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and runs[-1][-1] == v - 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def _score_range(scores: Sequence[int]) -> str:
    runs = _int_runs(sorted(scores))
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _score_inversions(inputs: Sequence[OverallInput], final, rank) -> int:
    """Numbers of scored standards at which some higher score (different counts) gives a lower rating."""
    count = 0
    by_n: dict[int, dict[int, list[int]]] = {}
    for i in inputs:
        r = final(i)[0]
        if r is not None:
            by_n.setdefault(i.scored, {}).setdefault(i.score, []).append(rank(r))
    for per_score in by_n.values():
        best = -1
        for score in sorted(per_score):
            if min(per_score[score]) < best:
                count += 1
            best = max(best, max(per_score[score]))
    return count


# ---------------------------------------------------------------------------------------------
# Combinations of standard ratings for the overall checks


class RatingSpace:
    """Every reachable combination of standard ratings, up to what the overall decision depends on.

    A standard can be not inspected (it leaves the score) or take any rating it can reach
    (judgement: any; cases: any rating a key-question band gives; mixed: any rating at or below
    one a band gives, or any when its judgement alone may rate it). Standards named in a count
    condition are enumerated one by one; the others only matter through how many of them have
    each rating, so scored standards with the same options are enumerated as multisets.
    """

    def __init__(self, rb: Rulebook, compiled: CompiledRulebook, kq_ratings: set[str]):
        self.rb, self.compiled = rb, compiled
        named: set[str] = set()
        for feature in compiled.count_features:
            named.update(feature.standards or ())
        def options(std) -> tuple[str | None, ...]:
            if std.rated_by == "judgement":
                ratings = rb.ratings
            elif std.rated_by == "mixed":  # the lower of its case key questions and a judgement (any rating)
                reach = max((rb.rank(r) for r in kq_ratings), default=-1)
                alone = rb.policies.no_applicable_cases.value == "skip_key_question"  # the judgement alone
                ratings = [r for r in rb.ratings if alone or rb.rank(r) <= reach]
            else:
                ratings = [r for r in rb.ratings if r in kq_ratings]
            return (None, *ratings)
        self.named = [s.id for s in rb.standards if s.id in named]
        self.options = {s.id: options(s) for s in rb.standards}
        groups: dict[tuple, list[str]] = {}
        for s in rb.standards:
            if s.scored and s.id not in named:
                groups.setdefault(self.options[s.id], []).append(s.id)
        self.groups = [(ids, opts) for opts, ids in groups.items()]
        self.size = math.prod(len(self.options[s]) for s in self.named) * math.prod(
            math.comb(len(ids) + len(opts) - 1, len(opts) - 1) for ids, opts in self.groups)
        self.sampled = self.size > MAX_COMBINATIONS
        if self.sampled:  # every relevant standard one by one, a seeded sample of assignments
            self.named = self.named + [sid for ids, _ in self.groups for sid in ids]
            self.groups = []
            rng = random.Random(0)
            keys = {(tuple(rng.randrange(len(self.options[s])) for s in self.named), ())
                    for _ in range(SAMPLED_COMBINATIONS)}
            self.keys = sorted(keys)
        else:
            self.keys = [
                (d, ms)
                for d in itertools.product(*(range(len(self.options[s])) for s in self.named))
                for ms in itertools.product(*(itertools.combinations_with_replacement(range(len(opts)), len(ids))
                                              for ids, opts in self.groups))
            ]
        self._inputs: dict[tuple, OverallInput] = {}
        self._labels = self._feature_labels()

    def ratings_of(self, key: tuple) -> dict[str, str]:
        d, ms = key
        out: dict[str, str] = {}
        for sid, k in zip(self.named, d):
            if self.options[sid][k] is not None:
                out[sid] = self.options[sid][k]
        for (ids, opts), multiset in zip(self.groups, ms):
            for sid, k in zip(ids, multiset):
                if opts[k] is not None:
                    out[sid] = opts[k]
        return out

    def input_of(self, key: tuple) -> OverallInput:
        found = self._inputs.get(key)
        if found is None:
            found = self._inputs[key] = self.compiled.overall_input(self.ratings_of(key))
        return found

    def inputs(self) -> dict[OverallInput, dict[str, str]]:
        """Each distinct reachable overall input (at least one scored standard) with an example."""
        out: dict[OverallInput, dict[str, str]] = {}
        for key in self.keys:
            i = self.input_of(key)
            if i.scored and i not in out:
                out[i] = self.ratings_of(key)
        return out

    def raises(self) -> Iterable[tuple[tuple, tuple, str, str, str]]:
        """(combination, the same with one standard one rating higher, standard, before, after)."""
        for key in self.keys:
            d, ms = key
            for pos, sid in enumerate(self.named):
                k = d[pos]
                if k and k + 1 < len(self.options[sid]):
                    other = (d[:pos] + (k + 1,) + d[pos + 1:], ms)
                    yield key, other, sid, self.options[sid][k], self.options[sid][k + 1]
            for g, ((ids, opts), multiset) in enumerate(zip(self.groups, ms)):
                for k in sorted(set(multiset)):
                    if not k or k + 1 >= len(opts):
                        continue
                    pos = max(p for p, v in enumerate(multiset) if v == k)  # the last: stays sorted
                    new = multiset[:pos] + (k + 1,) + multiset[pos + 1:]
                    yield key, (d, ms[:g] + (new,) + ms[g + 1:]), ids[pos], opts[k], opts[k + 1]

    def _feature_labels(self) -> list[str]:
        rb = self.rb
        labels = []
        for f in self.compiled.count_features:
            names = [rb.ratings[r] for r in sorted(f.ranks)]
            among = f" among {', '.join(f.standards)}" if f.standards else ""
            labels.append(f"standard(s){among} rated {' or '.join(names)}")
        return labels

    def counts_text(self, counts: Sequence[int]) -> str:
        if not counts:
            return ""
        return " with " + ", ".join(f"{c} {label}" for c, label in zip(counts, self._labels))

    def ratings_text(self, ratings: dict[str, str] | None) -> str:
        if not ratings:
            return "(none)"
        missing = [s.id for s in self.rb.standards if s.id not in ratings]
        text = ", ".join(f"{sid} {r}" for sid, r in ratings.items())
        return text + (f" (not inspected: {', '.join(missing)})" if missing else "")

    def describe(self) -> str:
        if self.sampled:
            return f"a seeded sample of {len(self.keys):,} of {self.size:,} rating combinations"
        parts = []
        if self.named:
            parts.append(f"{', '.join(self.named)} (named in count conditions) one by one")
        if self.groups:
            n = sum(len(ids) for ids, _ in self.groups)
            parts.append(f"{'the other ' if self.named else ''}{n} scored standard(s) as multisets of ratings")
        return (f"{len(self.keys):,} combinations of standard ratings, each standard rated or not inspected ("
                + "; ".join(parts) + ")")
