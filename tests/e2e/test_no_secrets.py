"""No secret value reaches anything idrift writes: canaries planted in the emulated estate (an
access key's secret, a console password) and the STS credentials idrift itself receives are
looked for in every warehouse table, staged Parquet file, raw page, manifest, log and output."""

import json
import logging
import re
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import zstandard

from pipelines.secrets import looks_secret
from tests.emulators.fault_proxy import FaultProxy

PASSWORD = "Canary-Passw0rd-7f3a9c"


def written_texts(root: Path, warehouse: Path):
    """(where, text) for every value idrift wrote under `root`, decoded and decompressed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"').fetchall():
                yield f"warehouse {table}", json.dumps(row, default=str)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith((".duckdb", ".wal"))):
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), default=str)
        elif path.name.endswith(".zst"):
            text = zstandard.ZstdDecompressor().decompress(path.read_bytes()).decode()
        else:
            text = path.read_text(errors="replace")
        yield str(path.relative_to(root)), text


def test_no_secret_is_written_anywhere(project, moto_server, new_account, caplog):
    account = new_account()
    iam = moto_server.assume(account).client("iam", endpoint_url=moto_server.endpoint)
    iam.create_user(UserName="bot")
    key_secret = iam.create_access_key(UserName="bot")["AccessKey"]["SecretAccessKey"]
    iam.create_login_profile(UserName="bot", Password=PASSWORD)
    proxy = FaultProxy(moto_server.endpoint)  # sees the STS answers idrift receives
    sts_secrets: list[str] = []

    def keep_sts_secrets(call, data: bytes) -> None:
        if call.operation == "AssumeRole":
            sts_secrets.extend(re.search(rb"<%s>([^<]+)<" % tag, data)[1].decode()
                               for tag in (b"SessionToken", b"SecretAccessKey"))

    proxy.watchers.append(keep_sts_secrets)
    try:
        project.configure([account], endpoint=proxy.endpoint)
        with caplog.at_level(logging.DEBUG, logger="pipelines"), caplog.at_level(logging.DEBUG, logger="connectors"):
            result = project.idrift("run")
    finally:
        proxy.stop()

    assert result.exit_code == 0, result.stderr
    assert sts_secrets, "the run must have assumed a role"
    canaries = [key_secret, PASSWORD, *sts_secrets]
    texts = [*written_texts(project.root, project.warehouse), ("stdout", result.stdout), ("stderr", result.stderr),
             ("log", caplog.text)]
    assert any("warehouse credential_history" == where for where, _ in texts)
    assert any(where.endswith(".json.zst") for where, _ in texts)
    leaks = [(where, c[:6]) for where, text in texts for c in canaries if c in text]
    assert leaks == []
    shaped = [where for where, text in texts if looks_secret(text)]
    assert shaped == []
