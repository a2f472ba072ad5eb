"""Small statistics: ratios, the Wilson score interval, nearest-rank percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# The 97.5 % quantile of the standard normal distribution: a two-sided 95 % interval.
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def ratio(part: int | float, whole: int | float) -> float | None:
    """part / whole, or None when there is nothing to divide (never a fake 0 %)."""
    return part / whole if whole else None


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> Interval | None:
    """Wilson score interval of a proportion; honest for small counts (5 of 5 is not 100 %).

    Wilson (1927); it stays inside [0, 1] and does not collapse to a point at 0 or n
    successes, unlike the normal approximation.
    """
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return Interval(max(0.0, centre - spread), min(1.0, centre + spread))


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """The value at rank ceil(percent/100 * n) of the sorted values (no interpolation)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil without floats
    return ordered[max(rank, 1) - 1]
