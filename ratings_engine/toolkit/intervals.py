"""Intervals for a proportion (a key question's percentage sufficient): Wilson score and exact.

Computed with the standard library only (the exact Clopper-Pearson bounds by bisection on the
binomial distribution function), so scipy is not needed. Used by `toolkit.confidence` and by
the HTML report, which shows each key question's interval.
"""
from __future__ import annotations

import math
from statistics import NormalDist

from ..model.errors import InputError

METHODS = ("wilson", "exact")


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for successes/n, as fractions; None when n is 0."""
    _check_counts(successes, n, level)
    if n == 0:
        return None
    z = _z(level)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lower = 0.0 if successes == 0 else max(0.0, centre - half)
    upper = 1.0 if successes == n else min(1.0, centre + half)
    return lower, upper


def exact_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Clopper-Pearson ("exact") interval for successes/n, as fractions; None when n is 0."""
    _check_counts(successes, n, level)
    if n == 0:
        return None
    tail = (1 - level) / 2
    # lower: P(X >= s | p) = tail (increasing in p); upper: P(X <= s | p) = tail (decreasing in p)
    lower = 0.0 if successes == 0 else _bisect(lambda p: 1 - _binom_cdf(successes - 1, n, p) - tail, increasing=True)
    upper = 1.0 if successes == n else _bisect(lambda p: _binom_cdf(successes, n, p) - tail, increasing=False)
    return lower, upper


def interval(successes: int, n: int, level: float = 0.95, method: str = "wilson") -> tuple[float, float] | None:
    if method == "wilson":
        return wilson_interval(successes, n, level)
    if method == "exact":
        return exact_interval(successes, n, level)
    raise InputError(f"--interval {method!r}: expected one of {', '.join(METHODS)}")


def _check_counts(successes: int, n: int, level: float) -> None:
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in 0..n (got {successes} of {n})")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1 (got {level})")


def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (no overflow for large n)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    lgn = math.lgamma(n + 1)
    terms = [lgn - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq for i in range(k + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def _bisect(f, *, increasing: bool) -> float:
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        value = f(mid)
        if (value < 0) == increasing:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return (lo + hi) / 2
