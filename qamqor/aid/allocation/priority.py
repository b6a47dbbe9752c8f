"""The priority of a need: who is served first when there is not enough for everyone."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PriorityWeights:
    """Weights of the priority formula; the defaults give vulnerability the most weight.

    vulnerability: weight of the vulnerability score (0-1, from the registry's categories)
    urgency: weight of the urgency (0-1: 0 routine, 1 immediate)
    waiting: weight of the waiting term (0-1, rising with days since the household last received this kind of help)
    half_life_days: days without help after which the waiting term reaches one half
    never_helped_days: days assumed when the household has never been helped (None)
    """

    vulnerability: float = 5.0
    urgency: float = 3.0
    waiting: float = 2.0
    half_life_days: float = 90.0
    never_helped_days: float = 365.0


DEFAULT_WEIGHTS = PriorityWeights()


def priority(vulnerability_score: float, urgency: float, days_since_last_help: float | None,
             weights: PriorityWeights = DEFAULT_WEIGHTS, *, decimals: int = 2) -> float:
    """Priority = 1 + wv·v + wu·u + ww·d/(d + h), rounded to `decimals` places.

    v = vulnerability_score and u = urgency, each clipped to [0, 1]; d = days since the household last received this
    kind of help from anyone (never helped counts as `never_helped_days`); h = `half_life_days`. The waiting term
    d/(d + h) is 0 for help received today, 1/2 after h days and approaches 1, so that a household left without help
    rises steadily but can never overtake a much more vulnerable one by waiting alone. The leading 1 keeps every need
    above zero, so that leftover stock still reaches someone. Rounding to a few decimals keeps the engine's exact
    integer costs small (see docs/decisions/0004-allocation-engine.md).
    """
    v = min(max(float(vulnerability_score), 0.0), 1.0)
    u = min(max(float(urgency), 0.0), 1.0)
    d = weights.never_helped_days if days_since_last_help is None else max(float(days_since_last_help), 0.0)
    wait = d / (d + weights.half_life_days) if d + weights.half_life_days > 0 else 1.0
    return round(1.0 + weights.vulnerability * v + weights.urgency * u + weights.waiting * wait, decimals)
