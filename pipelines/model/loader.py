"""Load a declared-model folder: every *.yaml / *.yml under it, merged, every error at once.

Each file is validated as a whole for its errors, and item by item for the cross-file checks,
so that one broken agent does not hide the duplicate ids or dangling references elsewhere.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pipelines.located import (
    Document,
    LoadErrors,
    LocatedError,
    did_you_mean,
    duplicates,
    read_yaml,
    sort_errors,
    validation_errors,
)
from pipelines.model.declared import DeclaredModel
from pipelines.model.schema import AcceptedRisk, Agent, ModelFile, Settings, Sponsor

LONG_EXCEPTION = timedelta(days=365)


@dataclass
class _Part:
    """What one file contributes: its raw mapping and the items that are valid on their own,
    with their index in the file (for positions)."""

    doc: Document
    raw: dict[str, Any]
    settings: Settings | None
    sponsors: list[tuple[int, Sponsor]]
    agents: list[tuple[int, Agent]]
    exceptions: list[tuple[int, AcceptedRisk]]


def load_model(
    path: str | Path, *, now: datetime | None = None, known_rules: Iterable[str] | None = None
) -> DeclaredModel:
    """Load and check a model folder (or one file). Raises LoadErrors with every error found.
    `known_rules`, when given, are the rule ids an exception may name."""
    root = Path(path)
    errors: list[LocatedError] = []
    parts: list[_Part] = []
    digest = hashlib.sha256()
    files = _model_files(root)
    for rel, file in files:
        try:
            doc = read_yaml(file)
        except LoadErrors as e:
            errors += e.errors
            continue
        digest.update(rel.encode() + b"\0" + hashlib.sha256(doc.raw).digest())
        data = doc.plain()
        try:
            ModelFile.model_validate({} if data is None else data)
        except ValidationError as e:
            errors += validation_errors(doc, e, ModelFile)
        parts.append(_salvage(doc, data if isinstance(data, dict) else {}))

    errors += _cross_file_errors(parts, None if known_rules is None else set(known_rules))
    if errors:
        raise LoadErrors(errors)
    settings = next((p.settings for p in parts if p.settings), None) or Settings()
    return DeclaredModel(
        settings=settings,
        sponsors=[s for p in parts for _, s in p.sponsors],
        agents=[a for p in parts for _, a in p.agents],
        exceptions=[x for p in parts for _, x in p.exceptions],
        root=root,
        files=[rel for rel, _ in files],
        content_hash=digest.hexdigest(),
        warnings=_warnings(parts, now or datetime.now(timezone.utc)),
    )


def _model_files(root: Path) -> list[tuple[str, Path]]:
    """(relative POSIX path, path) of every model file, sorted. Hidden folders (.git, .github)
    are skipped: their YAML is not the model."""
    if root.is_file():
        return [(root.name, root)]
    if not root.is_dir():
        raise LoadErrors([LocatedError(str(root), None, None, "", "no such file or folder")])
    found = sorted(
        (p.relative_to(root).as_posix(), p)
        for p in root.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )
    if not found:
        raise LoadErrors([LocatedError(str(root), None, None, "", "no *.yaml or *.yml files in this folder")])
    return found


def _salvage(doc: Document, raw: dict[str, Any]) -> _Part:
    settings = _valid(Settings, raw.get("settings")) if "settings" in raw else None
    return _Part(
        doc,
        raw,
        settings,
        _valid_items(raw, "sponsors", Sponsor),
        _valid_items(raw, "agents", Agent),
        _valid_items(raw, "exceptions", AcceptedRisk),
    )


def _valid(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None  # reported by the validation of the whole file


def _valid_items(raw: dict[str, Any], section: str, model: type[BaseModel]) -> list[tuple[int, Any]]:
    items = raw.get(section)
    valid = ((i, _valid(model, item)) for i, item in enumerate(items if isinstance(items, list) else []))
    return [(i, item) for i, item in valid if item is not None]


def _raw_ids(part: _Part, section: str, key: str = "id") -> list[tuple[int, str, Any]]:
    """(index, id, item[key]) of every item with a textual id, valid or not: a reference to an
    agent that has an error of its own is not also "unknown", and a cycle through it is found."""
    items = part.raw.get(section)
    return [
        (i, item["id"].strip(), item.get(key))
        for i, item in enumerate(items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


def _cross_file_errors(parts: list[_Part], known_rules: set[str] | None) -> list[LocatedError]:
    errors = duplicates(
        (("settings", p.doc.error(("settings",), "", at_key=True)) for p in parts if "settings" in p.raw),
        "settings may appear in one file only (also defined at {first})",
    )
    errors += duplicates(
        ((sid.lower(), p.doc.error(("sponsors", i, "id"), "")) for p in parts for i, sid, _ in _raw_ids(p, "sponsors")),
        "duplicate sponsor id '{key}' (also defined at {first})",
    )
    agents = [(p.doc, i, aid, parent) for p in parts for i, aid, parent in _raw_ids(p, "agents", "delegated_by")]
    errors += duplicates(
        ((aid, doc.error(("agents", i, "id"), "")) for doc, i, aid, _ in agents),
        "duplicate agent id '{key}' (also defined at {first})",
    )
    agent_ids = sorted({aid for _, _, aid, _ in agents})

    def unknown_agent(doc: Document, loc: tuple, name: str) -> LocatedError:
        return doc.error(loc, f"unknown agent '{name}'{did_you_mean(name, agent_ids)}")

    for doc, i, _, parent in agents:
        if isinstance(parent, str) and parent.strip() not in agent_ids:
            errors.append(unknown_agent(doc, ("agents", i, "delegated_by"), parent.strip()))
    for p in parts:
        for i, exc in p.exceptions:
            if exc.agent is not None and exc.agent not in agent_ids:
                errors.append(unknown_agent(p.doc, ("exceptions", i, "agent"), exc.agent))
            if known_rules is not None and exc.rule not in known_rules:
                hint = did_you_mean(exc.rule, sorted(known_rules))
                errors.append(p.doc.error(("exceptions", i, "rule"), f"unknown rule '{exc.rule}'{hint}"))
    return errors + _cycles(agents)


def _cycles(agents: list[tuple[Document, int, str, Any]]) -> list[LocatedError]:
    """One error per delegation cycle, at the delegated_by of its first agent in file order."""
    places: dict[str, tuple[Document, int]] = {}
    parent: dict[str, str] = {}
    for doc, i, aid, up in agents:
        if aid not in places and isinstance(up, str):
            places[aid] = (doc, i)
            parent[aid] = up.strip()
    order = list(places)
    errors, done = [], set()
    for start in order:
        path: list[str] = []
        node = start
        while node in parent and node not in done and node not in path:
            path.append(node)
            node = parent[node]
        if node in path:  # walked back onto this path: a cycle, seen for the first time
            cycle = path[path.index(node) :]
            first = min(cycle, key=order.index)
            cycle = cycle[cycle.index(first) :] + cycle[: cycle.index(first)]
            doc, i = places[first]
            chain = " delegated_by ".join([*cycle, first])
            errors.append(doc.error(("agents", i, "delegated_by"), f"delegation cycle: {chain}"))
        done.update(path)
    return errors


def _warnings(parts: list[_Part], now: datetime) -> list[LocatedError]:
    return sort_errors(
        p.doc.error(
            ("exceptions", i, "expires"),
            f"this exception lasts more than a year (until {exc.expires:%Y-%m-%d}); accepted, but review it",
        )
        for p in parts
        for i, exc in p.exceptions
        if exc.expires - now > LONG_EXCEPTION
    )
