"""Fair allocation of donated lots to needs, exact, as a min-cost flow (no Django).

    from qamqor.aid.allocation import allocate, parse_instance
    result = allocate(parse_instance(json.load(f)))
    result.objective, result.optimal      # Σ priority × served ÷ quantity; proven optimal?
    result.assignments                    # [(need id, lot id, units), ...]
    result.reason(need_id)                # "served", "partial", "no_lot", "lots_exhausted", ... (see REASONS)

Locks (a need-lot pair forced to a quantity) and exclusions are part of the Instance. `priority()` turns
vulnerability, urgency and days without help into a need's priority. docs/decisions/0004-allocation-engine.md says
why the result is exact and what "optimal" guarantees.
"""

from .greedy import first_come_first_served
from .model import (Instance, InvalidInstance, Lock, Lot, Need, check_instance, compatible, exact,
                    instance_from_objects, parse_instance)
from .priority import DEFAULT_WEIGHTS, PriorityWeights, priority
from .solve import (EXCLUDED, HOUSEHOLD_CAP, LOTS_EXHAUSTED, NO_LOT, NOT_ELIGIBLE, NOTHING_ASKED, PARTIAL, REASONS,
                    SERVED, ZERO_PRIORITY, Allocation, SolverError, allocate)

__all__ = ["DEFAULT_WEIGHTS", "EXCLUDED", "HOUSEHOLD_CAP", "LOTS_EXHAUSTED", "NOTHING_ASKED", "NOT_ELIGIBLE",
           "NO_LOT", "PARTIAL", "REASONS", "SERVED", "ZERO_PRIORITY", "Allocation", "Instance", "InvalidInstance",
           "Lock", "Lot", "Need", "PriorityWeights", "SolverError", "allocate", "check_instance", "compatible", "exact",
           "first_come_first_served", "instance_from_objects", "parse_instance", "priority"]
