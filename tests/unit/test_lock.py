"""The writer lock is an OS lock: a holder killed with SIGKILL leaves nothing to clean up."""

import signal
import subprocess
import sys
import threading
import time

from pipelines.lock import writer_lock

HOLD = """
import sys, time
from pipelines.lock import writer_lock
with writer_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(600)
"""


def test_lock_dies_with_its_holder(tmp_path):
    warehouse = tmp_path / "idrift.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        waits: list[str] = []
        acquired = threading.Event()

        def take():
            with writer_lock(warehouse, on_wait=waits.append):
                acquired.set()

        t = threading.Thread(target=take)
        t.start()
        time.sleep(0.5)
        assert not acquired.is_set(), "the lock must exclude a second writer"
        assert waits and "waiting for the warehouse writer lock" in waits[0]
        holder.send_signal(signal.SIGKILL)
        assert acquired.wait(10), "a killed holder must release the lock"
        t.join()
    finally:
        holder.kill()
        holder.wait()
