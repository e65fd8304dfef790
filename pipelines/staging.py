"""The staging store: immutable Parquet per run and scope, plus the raw API pages.

Layout (any fsspec URL; a local folder by default):

    <staging>/<run_id>/<provider>/<scope>/{identities,credentials,grants,statements,edges}.parquet
    <staging>/<run_id>/<provider>/<scope>/raw/<n>-<operation>.json.zst
    <staging>/<run_id>/<provider>/<scope>/_scope.json     # written last: completeness and counts
    <staging>/_latest/<provider>/<scope>.json             # entity type -> run of its last complete read

Extraction steps write here and nowhere else, so they can run in parallel processes or pods;
the single warehouse writer loads a scope only once its `_scope.json` exists.
"""

import hashlib
import io
import json
import logging
import secrets as _random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from connectors.records import ENTITY_TYPES, SCHEMAS, STAGED_FILES, Scope, ScopeStats
from pipelines.secrets import redact

log = logging.getLogger(__name__)

MANIFEST = "_scope.json"
LATEST = "_latest"
_BATCH_ROWS = 20_000


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time, unique across concurrent runs."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}Z-{_random.token_hex(3)}"


def run_time(run_id: str) -> datetime:
    return datetime.strptime(run_id.split("-")[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


@dataclass
class StagedScope:
    """What the loader needs to know about one staged scope (read from its manifest)."""

    run_id: str
    provider: str
    scope_id: str
    environment: str | None
    started_at: str
    ended_at: str
    entities: dict[str, dict[str, Any]]  # entity -> {"complete": bool, "rows": int, "reason": str|None}
    freshness: dict[str, Any]
    stats: dict[str, Any]
    error: str | None
    files: dict[str, str]  # staged file name -> URL (only files that exist)
    digests: dict[str, str] = field(default_factory=dict)  # staged file name -> sha256 of its bytes

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.scope_id}"

    def complete(self, entity: str) -> bool:
        return bool(self.entities.get(entity, {}).get("complete"))


class StagingStore:
    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url)

    def scope_dir(self, run_id: str, provider: str, scope_id: str) -> str:
        return f"{self.root}/{run_id}/{provider}/{scope_id}"

    def open_scope(self, run_id: str, scope: Scope) -> "ScopeWriter":
        return ScopeWriter(self, run_id, scope)

    def _latest_path(self, provider: str, scope_id: str) -> str:
        return f"{self.root}/{LATEST}/{provider}/{scope_id}.json"

    def latest_complete(self, provider: str, scope_id: str) -> dict[str, str]:
        """Entity type -> the run whose extraction last read it completely."""
        path = self._latest_path(provider, scope_id)
        if not self.fs.exists(path):
            return {}
        with self.fs.open(path, "r") as f:
            return json.load(f)

    def prior_rows(self, provider: str, scope_id: str, name: str) -> Iterator[dict]:
        """The rows of staged file `name` from the scope's last complete read of its entity type
        (nothing when there is none, or when retention removed it)."""
        entity = next(e for e, names in STAGED_FILES.items() if name in names)
        run_id = self.latest_complete(provider, scope_id).get(entity)
        path = f"{self.scope_dir(run_id, provider, scope_id)}/{name}.parquet" if run_id else None
        if path is None or not self.fs.exists(path):
            return
        with self.fs.open(path, "rb") as f:
            for batch in pq.ParquetFile(f).iter_batches(_BATCH_ROWS):
                yield from batch.to_pylist()

    def staged_scopes(self, run_id: str) -> Iterator[StagedScope]:
        """Every scope of a run whose extraction finished (its manifest exists), in a stable order."""
        for manifest in sorted(self.fs.glob(f"{self.root}/{run_id}/*/*/{MANIFEST}")):
            yield self.staged_scope(run_id, manifest)

    def staged_scope(self, run_id: str, manifest: str) -> StagedScope:
        """One finished scope, from its manifest."""
        with self.fs.open(manifest, "r") as f:
            m = json.load(f)
        base = manifest.rsplit("/", 1)[0]
        files = {}
        for entity in ENTITY_TYPES:
            for name in STAGED_FILES[entity]:
                path = f"{base}/{name}.parquet"
                if self.fs.exists(path):
                    files[name] = self._url(path)
        return StagedScope(run_id=run_id, files=files, **m)

    def write_json(self, path: str, value: Any) -> None:
        """Written whole or not at all (a temporary name, then a rename): scopes finish in
        several threads and processes at once, and a reader must never see half a manifest."""
        partial = f"{path}.partial"
        with self.fs.open(partial, "w") as f:
            json.dump(value, f, indent=1, default=str)
        self.fs.mv(partial, path)

    def raw_pages(self, run_id: str, provider: str, scope_id: str) -> Iterator[tuple[str, Any]]:
        """The kept raw pages of a scope, decompressed, in the order they were fetched."""
        for path in sorted(self.fs.glob(f"{self.scope_dir(run_id, provider, scope_id)}/raw/*.json.zst")):
            with self.fs.open(path, "rb") as f:
                yield path, json.loads(zstandard.ZstdDecompressor().decompress(f.read()))

    def prune(self, retention_days: int, now: datetime | None = None) -> list[str]:
        """Delete run folders older than the retention (the audit period); returns the run ids removed."""
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
        removed = []
        if not self.fs.exists(self.root):
            return removed
        for path in self.fs.ls(self.root, detail=False):
            if path.rstrip("/").endswith(f"/{LATEST}"):
                continue
            run_id = path.rstrip("/").rsplit("/", 1)[-1]
            try:
                if run_time(run_id) < cutoff:
                    self.fs.rm(path, recursive=True)
                    removed.append(run_id)
            except ValueError:
                continue  # not a run folder
        return removed

    def _url(self, path: str) -> str:
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return path if protocol in ("file", "local") else f"{protocol}://{path}"


class ScopeWriter:
    """A `connectors.base.ScopeSink` that streams one scope into the staging store.

    Rows are buffered per entity and flushed as Parquet row groups, so memory is bounded by
    the batch size, not by the size of the account.
    """

    def __init__(self, store: StagingStore, run_id: str, scope: Scope):
        self.store, self.run_id, self.scope = store, run_id, scope
        self.dir = store.scope_dir(run_id, scope.provider, scope.scope_id)
        store.fs.makedirs(f"{self.dir}/raw", exist_ok=True)
        self.stats = ScopeStats()
        self._buffers: dict[str, list[dict]] = {}
        self._writers: dict[str, tuple[Any, pq.ParquetWriter]] = {}
        self._rows: dict[str, int] = {}
        self._status: dict[str, dict[str, Any]] = {}
        self._freshness: dict[str, Any] = {}
        self._pages = 0
        self._started = datetime.now(timezone.utc)
        self._seen_statements: set[str] = set()

    # -- ScopeSink -------------------------------------------------------------------------
    def write(self, entity: str, rows: Iterable[dict[str, Any]]) -> None:
        if entity not in SCHEMAS:
            raise ValueError(f"unknown entity type {entity!r}")
        buf = self._buffers.setdefault(entity, [])
        for row in rows:
            if entity == "statements":  # content-addressed: keep one copy per scope
                if row["statement_id"] in self._seen_statements:
                    continue
                self._seen_statements.add(row["statement_id"])
            buf.append(row)
        if len(buf) >= _BATCH_ROWS:
            self._flush(entity)

    def raw_page(self, operation: str, params: dict[str, Any], body: Any) -> None:
        self._pages += 1
        doc = {"operation": operation, "params": redact(params), "body": redact(body)}
        data = json.dumps(doc, default=str, separators=(",", ":")).encode()
        with self.store.fs.open(f"{self.dir}/raw/{self._pages:06d}-{operation}.json.zst", "wb") as f:
            f.write(zstandard.ZstdCompressor(level=6).compress(data))

    def complete(self, entity: str) -> None:
        self._status.setdefault(entity, {"complete": True, "reason": None})

    def incomplete(self, entity: str, reason: str) -> None:
        # Incomplete wins over complete: one failed read taints the whole entity type.
        self._status[entity] = {"complete": False, "reason": reason}

    def freshness(self, key: str, value: Any) -> None:
        self._freshness[key] = value.isoformat() if isinstance(value, datetime) else value

    def prior(self, name: str) -> Iterator[dict]:
        return self.store.prior_rows(self.scope.provider, self.scope.scope_id, name)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self, error: str | None = None) -> StagedScope:
        """Flush everything and write the manifest. Entity types never declared complete are
        incomplete, with the scope's error as the reason."""
        for entity in list(self._buffers):
            self._flush(entity)
        for entity in SCHEMAS:  # an empty file, not a missing one: "complete and empty" is a fact
            if entity not in self._writers:
                self._flush(entity)
        for _, writer in self._writers.values():
            writer.close()
        for f in self._writers.values():
            f[0].close()
        entities = {}
        for entity in ENTITY_TYPES:
            status = self._status.get(entity) or {
                "complete": False,
                "reason": error or "the connector did not finish reading it",
            }
            entities[entity] = {**status, "rows": self._rows.get(entity, 0)}
        manifest = {
            "provider": self.scope.provider,
            "scope_id": self.scope.scope_id,
            "environment": self.scope.environment,
            "started_at": self._started.isoformat(),
            "ended_at": datetime.now(timezone.utc).isoformat(),
            "entities": entities,
            "freshness": self._freshness,
            "stats": {**self.stats.as_dict(), "raw_pages": self._pages},
            "error": error,
            "digests": {name: f.sha.hexdigest() for name, (f, _) in self._writers.items()},
        }
        self.store.write_json(f"{self.dir}/{MANIFEST}", manifest)
        self._advance_latest(entities)
        return self.store.staged_scope(self.run_id, f"{self.dir}/{MANIFEST}")

    def _advance_latest(self, entities: dict[str, dict]) -> None:
        done = [e for e, status in entities.items() if status["complete"]]
        if not done:
            return
        latest = self.store.latest_complete(self.scope.provider, self.scope.scope_id)
        # Runs of one scope may overlap (the hourly sync and a sensor's re-check): never go back.
        latest.update({e: self.run_id for e in done if latest.get(e, "") < self.run_id})
        path = self.store._latest_path(self.scope.provider, self.scope.scope_id)
        self.store.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        self.store.write_json(path, latest)

    def _flush(self, entity: str) -> None:
        rows = self._buffers.pop(entity, [])
        if not rows and entity in self._writers:
            return
        schema = SCHEMAS[entity]
        table = pa.Table.from_pylist(rows, schema=schema)
        if entity not in self._writers:
            fh = _HashingFile(self.store.fs.open(f"{self.dir}/{entity}.parquet", "wb"))
            self._writers[entity] = (fh, pq.ParquetWriter(fh, schema, compression="zstd"))
        self._writers[entity][1].write_table(table)
        self._rows[entity] = self._rows.get(entity, 0) + len(rows)


class _HashingFile(io.RawIOBase):
    """A file being written, hashed as it goes: a scope staged exactly as last time is known by
    its files' digests alone, before anything reads them."""

    def __init__(self, f) -> None:
        self._f, self.sha, self._written = f, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.sha.update(data)
        self._written += len(data)
        return self._f.write(data)

    def tell(self) -> int:
        return self._written

    def close(self) -> None:
        if not self.closed:
            self._f.close()
        super().close()
