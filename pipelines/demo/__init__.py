"""`idrift demo` / `make demo`: the demo estate in an embedded moto, and the nightly job run
headless against it; `serve` keeps the estate up for `make dev`."""

import os
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from pipelines.demo.estate import EXAMPLES, company, seed

ROOT = EXAMPLES.parents[1]
STATE = ROOT / ".demo"


def _environment(endpoint: str) -> None:
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "IDRIFT_CONFIG": str(EXAMPLES / "idrift.yaml"),
        "GX_ANALYTICS_ENABLED": "false",
    })
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def start(port: int = 0):
    """The embedded moto with the demo company in it; a fresh warehouse for it."""
    from pipelines.demo import moto

    shutil.rmtree(STATE, ignore_errors=True)  # a new estate: ids of the last one mean nothing
    server, endpoint = moto.start(port)
    seed(company())
    _environment(endpoint)
    return server, endpoint


def run() -> dict:
    """Seed, run the nightly job in this process, and say what came out."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.publish import latest

    t0 = time.perf_counter()
    server, _ = start()
    try:
        result = defs().resolve_job_def("nightly_sync").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    finally:
        server.stop()
    snapshot = latest(STATE / "idrift.duckdb")
    con = snapshot.connect()
    counts = con.execute("SELECT rule, status, count(*) FROM findings GROUP BY ALL ORDER BY ALL").fetchall()
    identities = con.execute("SELECT count(*) FROM identities").fetchall()[0][0]
    report = result.asset_materializations_for_node("drift_report")[0].metadata["report"].value
    return {"success": result.success, "wall_s": round(time.perf_counter() - t0, 1), "identities": identities,
            "counts": counts, "report": report, "run_id": snapshot.run["run_id"]}


def serve(port: int) -> None:
    """The demo estate on 127.0.0.1:`port` until interrupted (for `dagster dev`)."""
    server, endpoint = start(port)
    print(f"demo estate at {endpoint} ({datetime.now(timezone.utc):%H:%M:%S}); Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    import sys

    serve(int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[1] == "serve" else 5123)
