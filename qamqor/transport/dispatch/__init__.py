"""Dial-a-ride dispatch engine (Django-free): problem model, travel providers, exact schedule tests, ALNS search.

Public entry points: `solve` (plan or re-plan a day), `insert_request` (put one new request into a running plan),
`Session` (a running day kept compiled: same-day insertions in milliseconds), `cordeau.read` / `cordeau.solution_json` (benchmark files), `check.check` (independent solution checker).
"""

from .model import Fixed, Plan, Problem, Request, RideRule, Stop, Vehicle
from .search import Solution, insert_request, solve
from .session import Insertion, Session

__all__ = ["Fixed", "Insertion", "Plan", "Problem", "Request", "RideRule", "Session", "Solution", "Stop", "Vehicle",
           "insert_request", "solve"]
