"""Hand-written YAML, and errors that say where.

The declared model and the sources config are written by people and stop the pipeline when
wrong, so every error names file:line:col and the key, and reads as advice rather than as a
pydantic dump. Both loaders share this module: YAML with positions (ruamel round-trip), one
error type, the translation of pydantic's errors, and the strict base models.
"""

import difflib
import re
import types
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedError:
    """One problem in one file. `line` and `column` are 1-based, None for a whole-file problem."""

    file: str
    line: int | None
    column: int | None
    key: str  # dotted path, e.g. agents[2].allow[0].aws.actions; "" for the file itself
    message: str

    @property
    def where(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"

    def __str__(self) -> str:
        return f"{self.where}: {self.key}: {self.message}" if self.key else f"{self.where}: {self.message}"


def _order(e: LocatedError) -> tuple:
    return (e.file, e.line or 0, e.column or 0, e.key, e.message)


class LoadErrors(Exception):
    """Everything wrong with a model or config, sorted by file and position."""

    def __init__(self, errors: Iterable[LocatedError]):
        self.errors = sorted(errors, key=_order)
        super().__init__("\n".join(map(str, self.errors)))


def sort_errors(errors: Iterable[LocatedError]) -> list[LocatedError]:
    return sorted(errors, key=_order)


# -- YAML --------------------------------------------------------------------------------------


class _Constructor(RoundTripConstructor):
    """Leaves timestamps as text: ruamel raises a bare ValueError, without a position, on an
    impossible date such as 2027-02-30, and the loaders parse instants themselves anyway."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")  # YAML 1.2: `on:` and `yes` stay strings
    yaml.Constructor = _Constructor
    return yaml


@dataclass
class Document:
    """One parsed YAML file: its ruamel tree (which knows where every node is) and its bytes."""

    file: str  # as printed in errors
    data: Any
    raw: bytes

    def plain(self) -> Any:
        """The data as plain dicts, lists and scalars, for pydantic's strict mode."""
        return _plain(self.data)

    def position(self, loc: Loc, at_key: bool = False) -> tuple[int, int]:
        """1-based line and column of the value at `loc` (of its key with `at_key`). Where
        `loc` leaves the data (a missing key), the deepest node that exists."""
        node = self.data
        line, col = (node.lc.line, node.lc.col) if isinstance(node, (CommentedMap, CommentedSeq)) else (0, 0)
        for i, step in enumerate(loc):
            if isinstance(node, CommentedMap) and step in node:
                if step not in node.lc.data:  # merged in with `<<: *anchor`: blame the mapping
                    line, col = node.lc.line, node.lc.col
                # An empty value has no node of its own; ruamel places it on the next line.
                elif (at_key and i == len(loc) - 1) or node[step] is None:
                    line, col = node.lc.key(step)
                else:
                    line, col = node.lc.value(step)
                node = node[step]
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                line, col = node.lc.item(step)
                node = node[step]
            else:
                break
        return line + 1, col + 1

    def error(self, loc: Loc, message: str, at_key: bool = False) -> LocatedError:
        line, col = self.position(loc, at_key)
        return LocatedError(self.file, line, col, key_path(loc), message)

    def where(self, loc: Loc, at_key: bool = False) -> str:
        line, col = self.position(loc, at_key)
        return f"{self.file}:{line}:{col}"


def read_yaml(path: Path, file: str | None = None) -> Document:
    """Parse one file; anything unreadable becomes a LoadErrors that says where."""
    file = file or str(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise LoadErrors([LocatedError(file, None, None, "", f"cannot read: {e.strerror or e}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise LoadErrors([LocatedError(file, line, 1, "", "not UTF-8 text")]) from None
    try:
        return Document(file, _yaml().load(text), raw)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        message = f"invalid YAML: {e.problem or e.context}"
        if e.context and e.problem and e.context_mark:
            message += f" ({e.context} at line {e.context_mark.line + 1})"
        raise LoadErrors([LocatedError(file, mark.line + 1, mark.column + 1, "", message)]) from None
    except YAMLError as e:
        raise LoadErrors([LocatedError(file, None, None, "", f"invalid YAML: {e}")]) from None


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, ScalarBoolean):
        return bool(node)
    if isinstance(node, ScalarInt):
        return int(node)
    if isinstance(node, ScalarFloat):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def key_path(loc: Loc) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


# -- values and messages -----------------------------------------------------------------------


def describe(value: Any) -> str:
    """How a YAML value reads to the person who wrote it."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def suggest(word: Any, choices: Iterable[str]) -> str | None:
    choices = list(choices)
    if not isinstance(word, str):
        return None
    folded = [c for c in choices if c.lower() == word.lower()]
    # 0.65 keeps one-letter slips in three-letter keys (awz -> aws) and drops look-alikes
    # that would mislead (condition -> actions scores 0.62).
    return (folded or difflib.get_close_matches(word, choices, n=1, cutoff=0.65) or [None])[0]


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    best = suggest(word, choices)
    return f"; did you mean '{best}'?" if best else ""


def invalid(message: str, at: Loc = (), on_key: bool = False) -> PydanticCustomError:
    """A validator's error, worded for people. `at` points below the validated node (a model
    validator blaming one of its keys); `on_key` points at the key rather than its value."""
    # The message travels in the context: a template would choke on braces in it ({aws: ...}).
    return PydanticCustomError("idrift", "{message}", {"message": message, "at": tuple(at), "on_key": on_key})


def Matching(pattern: str, expected: str) -> Any:
    """A string type that must match `pattern`; the error says `expected`."""
    regex = re.compile(pattern)

    def check(value: Any) -> str:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise invalid(f"expected {expected}, got {describe(value)}")
        return value

    # JSON Schema patterns search; fullmatch needs the anchors.
    return Annotated[str, PlainValidator(check), WithJsonSchema({"type": "string", "pattern": f"^(?:{pattern})$"})]


# -- strict models ------------------------------------------------------------------------------


class StrictModel(BaseModel):
    """No unknown keys (a typo must not silently switch a rule off) and no coercion (YAML
    already typed every value; "3" is not a number here)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class OneKey(StrictModel):
    """A list item that is a mapping with exactly one key naming its provider: `- aws: ...`."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})

    @model_validator(mode="after")
    def _exactly_one(self) -> "OneKey":
        keys = list(type(self).model_fields)
        present = [k for k in keys if getattr(self, k) is not None]
        if len(present) != 1:
            got = f"; got {' and '.join(present)}" if present else ""
            raise invalid(f"expected exactly one provider key: {', '.join(keys)}{got}")
        return self

    @property
    def provider(self) -> str:
        return next(k for k in type(self).model_fields if getattr(self, k) is not None)

    @property
    def value(self) -> Any:
        return getattr(self, self.provider)


# -- pydantic errors -> located errors ---------------------------------------------------------

_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


def validation_errors(doc: Document, exc: ValidationError, model: type[BaseModel]) -> list[LocatedError]:
    """Turn the ValidationError of validating `doc` as `model` into located errors."""
    return [_located(doc, err, model) for err in exc.errors(include_url=False)]


def _located(doc: Document, err: dict, model: type[BaseModel]) -> LocatedError:
    loc: Loc = tuple(err["loc"])
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    at_key = False
    if loc and loc[-1] == "[key]":  # a bad key of a free-form mapping
        loc, at_key = loc[:-1], True
    if kind == "missing":
        line, col = doc.position(loc[:-1])
        return LocatedError(doc.file, line, col, key_path(loc), f"required key '{loc[-1]}' is missing")
    if kind == "extra_forbidden":
        return doc.error(loc, _unknown_key(loc[-1], _type_at(model, loc[:-1])), at_key=True)
    if kind == "idrift":
        return doc.error(loc + tuple(ctx["at"]), ctx["message"], at_key=at_key or ctx["on_key"])
    if kind == "literal_error":
        choices = [str(c) for c in get_args(_type_at(model, loc))] or [ctx.get("expected", "")]
        hint = suggest(value, choices)
        message = f"expected one of {', '.join(choices)}; got {describe(value)}"
        return doc.error(loc, message + (f" (did you mean '{hint}'?)" if hint else ""), at_key=at_key)
    return doc.error(loc, _message(kind, value, ctx, err["msg"]), at_key=at_key)


def _message(kind: str, value: Any, ctx: dict, fallback: str) -> str:
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {describe(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        return f"expected a number {sign} {bound}, got {describe(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length', 1)} item(s)"
    return fallback.removeprefix("Value error, ")


def _unknown_key(key: Any, model: Any) -> str:
    known = _keys(model) if isinstance(model, type) and issubclass(model, BaseModel) else []
    noun = "provider key" if isinstance(model, type) and issubclass(model, OneKey) else "key"
    hint = suggest(key, known)
    if hint:
        return f"unknown {noun} '{key}'; did you mean '{hint}'?"
    return f"unknown {noun} '{key}'" + (f"; expected one of {', '.join(known)}" if known else "")


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _type_at(tp: Any, loc: Loc) -> Any:
    """The annotation that validates the node at `loc` below model `tp` (None when lost)."""
    for step in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next((f for n, f in tp.model_fields.items() if step in (n, f.alias)), None)
            if field is None:
                return None
            tp = field.annotation
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    return _unwrap(tp)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the type that matters for messages."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp



def duplicates(entries: Iterable[tuple[str, LocatedError]], message: str) -> list[LocatedError]:
    """Errors for every place whose key was seen before. `entries` pair a key with its place
    (a LocatedError whose message is ignored); `message` may use {key} and {first}, the place
    of the first occurrence."""
    first: dict[str, LocatedError] = {}
    out = []
    for key, place in entries:
        if key in first:
            out.append(replace(place, message=message.format(key=key, first=first[key].where)))
        else:
            first[key] = place
    return out
