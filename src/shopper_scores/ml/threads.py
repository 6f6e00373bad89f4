"""A fixed number of BLAS and OpenMP threads in every fit and prediction of the package.

How many threads a linear-algebra routine splits its work over can change the order it adds in,
hence the last bits (measured: a BLAS matrix-vector product gives a few rows in 5,000 a different
last bit when the rows move); a model fitted on a laptop and on a 64-core server must still be
the same. So every fit and prediction runs with :data:`FIT_THREADS` threads, whatever the machine
has or ``OMP_NUM_THREADS`` says. One thread: the data are customer tables of modest width, and
dbt already runs the Python models side by side (profile ``threads``).

The two kinds of limit behave differently (threadpoolctl 3.8):

* OpenMP's thread count belongs to the calling thread: each fit sets it for its own thread and
  restores it on the way out.
* OpenBLAS (pthreads build) has one count for the whole process, and threadpoolctl lets only one
  Python thread change it at a time. dbt runs two Python models in threads of one process, so a
  fit that restored the count on its way out would release it under the other model's fit. The
  BLAS count is therefore pinned to :data:`FIT_THREADS` by the first fit and left there: in a
  process that fits or scores, BLAS runs single-threaded from then on (a caller's own
  ``threadpool_limits`` block still sets and restores it as usual).
"""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from threadpoolctl import ThreadpoolController

__all__ = ["FIT_THREADS", "fixed_threads", "with_fixed_threads"]

FIT_THREADS = 1

_lock = threading.RLock()
_controller: ThreadpoolController | None = None
_this_thread = threading.local()

F = TypeVar("F", bound=Callable)


def _libraries() -> ThreadpoolController:
    # Made once, at the first fit (scikit-learn, hence its OpenMP, is loaded by then): finding
    # the loaded libraries costs ~15 ms, too much to repeat for every batch scored.
    global _controller
    with _lock:
        if _controller is None:
            _controller = ThreadpoolController()
    return _controller


def _pin_blas() -> None:
    with _lock:
        for library in _libraries().select(user_api="blas").lib_controllers:
            if library.get_num_threads() != FIT_THREADS:
                library.set_num_threads(FIT_THREADS)
            # Give up threadpoolctl's claim on the count, so the caller may change it again.
            release = getattr(type(library), "clear_controlling_thread", None)
            if release is not None:
                release()


@contextmanager
def fixed_threads() -> Iterator[None]:
    """Run the block with :data:`FIT_THREADS` BLAS and OpenMP threads; nestable, thread-safe."""
    depth = getattr(_this_thread, "depth", 0)
    _this_thread.depth = depth + 1
    try:
        if depth:  # already inside a fit on this thread: the limits hold
            yield
        else:
            _pin_blas()
            with _libraries().limit(limits=FIT_THREADS, user_api="openmp"):
                yield
    finally:
        _this_thread.depth = depth


def with_fixed_threads(function: F) -> F:
    """Decorator: ``function`` runs inside :func:`fixed_threads`."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with fixed_threads():
            return function(*args, **kwargs)
    return wrapper  # type: ignore[return-value]
