"""Load and reconcile a synthetic estate at scale, then again with nothing changed.

    python benchmarks/bench_reconcile.py --identities 1000000 --grants 10000000

The estate (benchmarks/synthetic_estate.py) is generated in a child process straight into the
staging store, so this process measures only what idrift does with it: the single writer loads
every staged scope, the HR feed and the declared model into the warehouse (load_s), and one
reconcile runs every rule, the findings lifecycle, the blast radius and the revocation plan
(reconcile_s). A second
run stages the same files again: unchanged observations are recognised by their digest and
the rules that read nothing changed are carried over (rerun_*). Prints one JSON line; the
target on 2 cores is 1,000,000 identities and 10,000,000 grants loaded and reconciled in under
30 s, peak RSS under 6 GiB.
"""

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.model.tables import SCHEMAS as MODEL_SCHEMAS, load_model_tables  # noqa: E402
from connectors.aws.revoke import AwsRevoker  # noqa: E402
from pipelines.reconcile.catalogue import rules  # noqa: E402
from pipelines.reconcile.runner import reconcile  # noqa: E402
from pipelines.revocation import revise  # noqa: E402
from pipelines.staging import StagingStore, new_run_id  # noqa: E402
from pipelines.warehouse import begin_run, checkpoint, connect, end_run, load_people, load_scopes  # noqa: E402


def one_run(con, store: StagingStore, estate: Path, run_id: str) -> dict:
    t0 = time.perf_counter()
    run_seq = begin_run(con, run_id, datetime.now(timezone.utc), "benchmark")
    load_scopes(con, store, list(store.staged_scopes(run_id)), run_seq)
    load_people(con, "people.csv", pq.read_table(estate / "people.parquet").to_pylist(), run_seq)
    t_observations = time.perf_counter()
    load_model_tables(con, {name: pq.read_table(estate / "model" / f"{name}.parquet", schema=schema)
                            for name, schema in MODEL_SCHEMAS.items()})
    t1 = time.perf_counter()
    result = reconcile(con, run_seq, datetime.now(timezone.utc))
    t_findings = time.perf_counter()
    revision = revise(con, f"duckdb:///{estate / 'ledger.duckdb'}", {"aws": AwsRevoker([])}, run_id, run_seq, rules(),
                      result.unchanged)
    end_run(con, run_seq, datetime.now(timezone.utc))
    t_reconciled = time.perf_counter()
    checkpoint(con)
    t2 = time.perf_counter()
    return {"load_s": round(t1 - t0, 2), "reconcile_s": round(t2 - t1, 2), "evaluated": len(result.evaluated),
            "open": sum(c.get("open", 0) for c in result.counts.values()),
            "timings": {"observations": round(t_observations - t0, 2), "model": round(t1 - t_observations, 2),
                        **result.timings, "revocation plan": round(t_reconciled - t_findings, 2),
                        "checkpoint": round(t2 - t_reconciled, 2)},
            "plan": {"actions": revision.plan.actions, "by_kind": revision.plan.by_kind, "carried": revision.plan.carried,
                     **revision.plan.timings},
            "by_rule": {r: c.get("open", 0) for r, c in result.counts.items()}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--identities", type=int, required=True)
    ap.add_argument("--grants", type=int, required=True)
    ap.add_argument("--keep", type=Path, help="keep the estate and warehouse here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="idrift-bench-"))
    first, second = new_run_id(), new_run_id()
    t = time.perf_counter()
    subprocess.run([sys.executable, str(Path(__file__).with_name("synthetic_estate.py")), "--identities",
                    str(args.identities), "--grants", str(args.grants), "--out", str(work), "--run-id", first], check=True)
    generated = time.perf_counter() - t
    shutil.copytree(work / "staging" / first, work / "staging" / second)  # the same observation, staged again
    store = StagingStore(str(work / "staging"))
    con = connect(work / "idrift.duckdb")
    try:
        run1 = one_run(con, store, work, first)
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        run2 = one_run(con, store, work, second)
    finally:
        con.close()
    print(json.dumps({
        "identities": args.identities, "grants": args.grants,
        "load_s": run1["load_s"], "reconcile_s": run1["reconcile_s"],
        "total_s": round(run1["load_s"] + run1["reconcile_s"], 2),
        "peak_rss_mb": rss1,
        "rerun_load_s": run2["load_s"], "rerun_reconcile_s": run2["reconcile_s"],
        "rerun_total_s": round(run2["load_s"] + run2["reconcile_s"], 2),
        "rerun_rules_evaluated": run2["evaluated"],
        "rerun_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "open_findings": run1["open"], "open_by_rule": run1["by_rule"],
        "same_findings_on_rerun": run1["by_rule"] == run2["by_rule"],
        "generate_s": round(generated, 1), "timings": run1["timings"], "rerun_timings": run2["timings"],
        "plan": run1["plan"], "rerun_plan": run2["plan"],
    }))
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
