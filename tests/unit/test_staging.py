from datetime import datetime, timedelta, timezone

from connectors.records import Scope
from pipelines.staging import StagingStore, new_run_id


def test_scope_without_declared_completeness_is_incomplete(tmp_path):
    store = StagingStore(str(tmp_path))
    run_id = new_run_id()
    w = store.open_scope(run_id, Scope("aws", "111122223333"))
    w.write("identities", [{"identity_id": "AIDA1", "principal": "arn", "kind": "aws_user"}])
    w.complete("identities")
    w.incomplete("credentials", "ListAccessKeys throttled")
    w.complete("credentials")  # a later success does not hide the failure
    staged = w.close(error="ConnectionError: reset")
    assert staged.complete("identities")
    assert staged.entities["credentials"] == {"complete": False, "reason": "ListAccessKeys throttled", "rows": 0}
    assert staged.entities["grants"]["reason"] == "ConnectionError: reset"
    assert staged.entities["identities"]["rows"] == 1
    assert set(staged.files) == {"identities", "credentials", "grants", "statements", "edges"}


def test_raw_pages_are_compressed_redacted_and_pruned_after_retention(tmp_path):
    store = StagingStore(str(tmp_path))
    old = new_run_id(datetime.now(timezone.utc) - timedelta(days=401))
    new = new_run_id()
    for run_id in (old, new):
        w = store.open_scope(run_id, Scope("aws", "111122223333"))
        w.raw_page("AssumeRole", {"RoleArn": "arn"}, {"Credentials": {"SessionToken": "canary-token"}})
        w.close()
    (path, page), = store.raw_pages(new, "aws", "111122223333")
    assert path.endswith(".json.zst")
    assert page["body"]["Credentials"]["SessionToken"] == "[REDACTED]"
    assert b"canary-token" not in (tmp_path / new / "aws" / "111122223333" / "raw").joinpath(
        path.rsplit("/", 1)[1]).read_bytes()
    assert store.prune(400) == [old]
    assert [p.name for p in tmp_path.iterdir()] == [new]
