"""Dial-a-ride dispatch engine (Django-free): problem model, travel providers, exact schedule tests, ALNS search.

Public entry points: `solve` (plan or re-plan a day), `insert_request` (put one new request into a running plan),
`cordeau.read` / `cordeau.solution_json` (benchmark files), `check.check` (independent solution checker).
"""

from .model import Fixed, Plan, Problem, Request, RideRule, Stop, Vehicle
from .search import Solution, insert_request, solve

__all__ = ["Fixed", "Plan", "Problem", "Request", "RideRule", "Solution", "Stop", "Vehicle", "insert_request", "solve"]
