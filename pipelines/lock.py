"""The warehouse writer lock: an operating-system lock (flock) on `<warehouse>.lock`.

The kernel releases it when its holder dies, so a run killed with `kill -9` leaves nothing to
clean up by hand. Read commands never take it: they read the last published snapshot.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


@contextmanager
def writer_lock(warehouse: str | Path, on_wait: Callable[[str], None] = lambda msg: None) -> Iterator[None]:
    path = Path(f"{warehouse}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        on_wait(f"waiting for the warehouse writer lock {path} (another idrift run or apply holds it)")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
