"""One writer at a time: the index store's and the adapter store's exclusive locks (filelock)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from graph.errors import LockedError


@contextmanager
def exclusive_lock(path: str, busy: str, wait: float = 0.0, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock file at `path`. When another process holds it: call `on_wait` once and wait up to
    `wait` seconds (0: not at all), then fail with LockedError(`busy`). Other OS errors propagate."""
    from filelock import FileLock, Timeout

    lock = FileLock(path)
    try:
        lock.acquire(timeout=0)
    except Timeout:  # filelock's Timeout is an OSError too: it comes first
        if not wait:
            raise LockedError(busy) from None
        if on_wait:
            on_wait()
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise LockedError(busy) from None
    try:
        yield
    finally:
        lock.release()
