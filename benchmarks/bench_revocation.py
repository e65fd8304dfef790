"""The whole revocation loop on the demo estate (two AWS accounts, every rule planted), in mode
`approve`: run, plan, apply everything, run again (verification), apply again (a no-op).

    python benchmarks/bench_revocation.py

moto runs in this process (the demo's embedded server), so its request handling shares the
interpreter with the executors: the times are an upper bound of what idrift itself spends.
Prints one JSON line: the plan's actions by kind, apply's wall time and outcomes, the
verifying run's wall time, how many actions it verified and findings it resolved, and the
second apply's outcomes (all `already_done`, no write).
"""

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines import demo  # noqa: E402
from pipelines.config import load_config  # noqa: E402
from pipelines.model import load_model  # noqa: E402
from pipelines.revocation.apply import apply  # noqa: E402
from pipelines.runner import run_once  # noqa: E402
from pipelines.sources import build_revokers  # noqa: E402


def project(root: Path) -> Path:
    """The demo's config and model, in mode approve with room for the whole plan."""
    shutil.copytree(demo.EXAMPLES, root / "demo")
    settings = root / "demo" / "model" / "settings.yaml"
    settings.write_text(settings.read_text().replace("mode: dry_run", "mode: approve")
                        .replace("max_actions_per_run: 50", "max_actions_per_run: 1000"))
    config = root / "demo" / "idrift.yaml"
    config.write_text(config.read_text().replace("../../.demo/", f"{root}/state/"))
    return config


def timed(call, *args, **kwargs):
    start = time.perf_counter()
    return call(*args, **kwargs), time.perf_counter() - start


def outcomes(done) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in done.outcomes:
        out[o.attempt.outcome] = out.get(o.attempt.outcome, 0) + 1
    return out


def _remaining(snapshot: Path) -> dict[str, int]:
    """What the plan holds after the verifying run: actions that only the changes made now ask for."""
    import duckdb

    rows = duckdb.execute(f"SELECT kind, rules FROM read_parquet('{snapshot / 'revocations.parquet'}') WHERE in_plan")
    out: dict[str, int] = {}
    for kind, rules in rows.fetchall():
        key = f"{kind} ({', '.join(rules)})"
        out[key] = out.get(key, 0) + 1
    return out


def main() -> None:
    server, _ = demo.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = load_config(project(Path(tmp)))
            model = load_model(cfg.model)
            first, run_s = timed(run_once, cfg, model)
            applied, apply_s = timed(apply, cfg, model.settings.revocation, build_revokers(cfg), all_=True,
                                     approver="bench")
            second, verify_s = timed(run_once, cfg, model)
            again, again_s = timed(apply, cfg, model.settings.revocation, build_revokers(cfg), all_=True,
                                   approver="bench")
            resolved = sum(e.get("resolved", 0) for e in second.reconciled.events.values())
            print(json.dumps({
                "open_findings": sum(c.get("open", 0) for c in first.reconciled.counts.values()),
                "plan_actions": first.revision.plan.actions, "plan_by_kind": first.revision.plan.by_kind,
                "first_run_s": round(run_s, 1),
                "apply_s": round(apply_s, 1), "apply_outcomes": outcomes(applied), "apply_exit": applied.exit_code,
                "verifying_run_s": round(verify_s, 1), "verified": second.revision.verified,
                "findings_resolved": resolved, "plan_after": second.revision.plan.actions,
                "plan_after_states": second.revision.states,
                "plan_after_rules": _remaining(second.snapshot),
                "second_apply_s": round(again_s, 1), "second_apply_outcomes": outcomes(again),
                "second_apply_exit": again.exit_code,
            }))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
