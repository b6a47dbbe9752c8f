"""Record linkage for the registry: which records describe the same person (Splink on DuckDB, no Django).

    from qamqor.registry.linkage import dedupe
    result = dedupe(rows, roles={"surname": "фамилия", "given_name": "имя", "birth_date": "дата рождения"},
                    id_column="id")
    result.clusters  # [(id, cluster_id), ...] for every record
    result.pairs     # likely duplicates for the review queue, with each comparison's level

Roles are listed in ROLES; names are compared on their matching keys (qamqor.lib.names), so Cyrillic and Latin
spellings of one name meet.
"""

from .engine import (DEFAULT_REVIEW_THRESHOLD, DEFAULT_THRESHOLD, LinkageError, Pair, Result, check_roles, dedupe,
                     link)
from .prepare import ROLES

__all__ = ["DEFAULT_REVIEW_THRESHOLD", "DEFAULT_THRESHOLD", "ROLES", "LinkageError", "Pair", "Result", "check_roles",
           "dedupe", "link"]
