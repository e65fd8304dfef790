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


def test_scopes_finishing_at_once_never_show_a_reader_half_a_manifest(tmp_path):
    # Scopes close in several threads while others list the run (each close reads its own
    # manifest back): a manifest written in place was once read empty by a neighbour.
    import threading

    store, run_id = StagingStore(str(tmp_path / "staging")), new_run_id()
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                list(store.staged_scopes(run_id))
            except BaseException as e:  # noqa: BLE001 - the failure this test is about
                errors.append(e)
                return

    def extract(n: int) -> None:
        writer = store.open_scope(run_id, Scope("aws", f"{n:012d}"))
        writer.write("identities", [])
        writer.complete("identities")
        writer.close()

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    workers = [threading.Thread(target=extract, args=(n,)) for n in range(40)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert errors == []
    assert len(list(store.staged_scopes(run_id))) == 40
    assert not list((tmp_path / "staging").rglob("*.partial"))


def test_a_manifest_being_written_is_invisible_until_it_is_whole(tmp_path):
    store, run_id = StagingStore(str(tmp_path / "staging")), new_run_id()
    neighbour = store.scope_dir(run_id, "aws", "222222222222")
    store.fs.makedirs(neighbour, exist_ok=True)
    with store.fs.open(f"{neighbour}/manifest.json.partial", "w") as f:
        f.write('{"provider": "aws", "scope_')  # another thread, half-way through its write
    writer = store.open_scope(run_id, Scope("aws", "111111111111"))
    writer.complete("identities")
    assert writer.close().scope_id == "111111111111"
    assert [s.scope_id for s in store.staged_scopes(run_id)] == ["111111111111"]
