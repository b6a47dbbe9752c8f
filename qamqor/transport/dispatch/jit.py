"""numba's `njit` with an on-disk cache that also works from a read-only install, or plain Python without numba.

numba caches compiled machine code next to the source (`__pycache__`). When that folder is not writable (a
system-wide or container install), the cache goes to a per-user folder instead; set QAMQOR_NO_JIT=1 to run the
kernels as plain Python (slow, for debugging).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

JIT = os.environ.get("QAMQOR_NO_JIT", "").lower() not in {"1", "true", "yes"}

try:
    if not JIT:
        raise ImportError
    import numba
except ImportError:  # pragma: no cover - exercised only without numba
    numba = None
    JIT = False


def _cache_dir_writable() -> bool:
    folder = Path(__file__).resolve().parent / "__pycache__"
    try:
        folder.mkdir(exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


if numba is not None and not os.environ.get("NUMBA_CACHE_DIR") and not _cache_dir_writable():
    # numba's own fallback (the user-wide cache) needs a home folder; a temporary folder always exists.
    fallback = Path(tempfile.gettempdir()) / f"qamqor-numba-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    fallback.mkdir(parents=True, exist_ok=True)
    numba.config.CACHE_DIR = str(fallback)


def njit(function):
    """Compile `function` with numba (cached on disk), or return it unchanged when numba is not used."""
    if numba is None:
        return function
    return numba.njit(cache=True, fastmath=False, nogil=True)(function)
