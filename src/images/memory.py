"""Give a decoded picture's memory back to the system once it is freed.

glibc serves a large allocation with its own mmap and unmaps it on free, but after the
first such free it raises that threshold to the freed size (up to 32 MiB): from then on
Pillow's 16 MiB image blocks come from malloc's per-thread arenas, which keep them. A worker
whose threads each decoded one large picture, one after the other, then holds one
picture's worth of memory per thread for good (measured: 575 MB after four 50 MP PNGs
decoded one at a time, against 200 MB with a fixed threshold). A fixed threshold keeps
every large block mmapped, so the decode gate bounds the memory really held.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD_BYTES = 1024 * 1024


def malloc_release_large_blocks() -> bool:
    """Fix glibc's mmap threshold at 1 MiB; False (and nothing done) on another C library."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
