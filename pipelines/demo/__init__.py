"""`idrift demo` / `make demo`: the demo estate in an embedded moto, and the nightly job run
headless against it; `dev` serves the estate to `dagster dev` (`make dev`)."""

import os
import shutil
import signal
import subprocess
import sys
import time
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
    seed(company())  # into the backend before the port opens: whoever connects sees the whole estate
    server, endpoint = moto.start(port)
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
            "counts": counts, "report": report, "run_id": snapshot.run["run_id"],
            "revocation": snapshot.run["revocation"]}


def dev(port: int, ui_port: int) -> int:
    """The demo estate on 127.0.0.1:`port` and `dagster dev` on 127.0.0.1:`ui_port` against it,
    until interrupted; the estate is seeded before the UI starts, so no run can beat it."""
    server, endpoint = start(port)
    home = ROOT / ".dagster_home"
    home.mkdir(exist_ok=True)
    if not (home / "dagster.yaml").exists():  # the user's own changes to the instance stay
        shutil.copy(EXAMPLES.parent / "dagster.yaml", home / "dagster.yaml")
    print(f"demo estate at {endpoint}; Dagster at http://127.0.0.1:{ui_port}; Ctrl-C stops both", flush=True)
    # Started in the background by a shell, this process ignores SIGINT and dagster would inherit
    # that: both answer Ctrl-C and SIGTERM however they were started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ui = subprocess.Popen([str(Path(sys.executable).with_name("dagster")), "dev", "-w", str(ROOT / "workspace.yaml"),
                           "-h", "127.0.0.1", "-p", str(ui_port)], cwd=ROOT, env={**os.environ, "DAGSTER_HOME": str(home)})
    signal.signal(signal.SIGTERM, lambda *_: ui.send_signal(signal.SIGINT))  # a stopped `make dev` leaves no UI
    try:
        return ui.wait()
    except KeyboardInterrupt:
        try:  # a terminal's Ctrl-C reached dagster as well (a second one would abort its shutdown)
            return ui.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a signal to this process alone
            ui.send_signal(signal.SIGINT)
            return ui.wait(timeout=120)
    finally:
        server.stop()
