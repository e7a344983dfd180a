"""Check fake-Discord traffic against Discord's OpenAPI spec, the gateway JSON Schema and documented limits."""

from __future__ import annotations

import json
import lzma
import os
import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote

from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.request.exceptions import ParameterValidationError

__all__ = [
    "SpecValidator",
    "Violation",
    "invalid_form_body",
    "spec_dir_or_reason",
]

ENV_VAR = "FAKEDISCORD_SPEC_DIR"
SPEC_FILES = ("openapi.json", "gateway.schema.json")
HOST = "https://discord.com"
API_PREFIX = "/api/v10"

MESSAGE_CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
POLL_ANSWER_TEXT_MAX = 55
THREAD_ARCHIVE_CHOICES = (60, 1440, 4320, 10080)
IS_COMPONENTS_V2 = 1 << 15
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})

# Keys real Discord sends that discord-api-types does not type (the gateway schema is closed).
READY_EXTRA_KEYS = (
    "private_channels",
    "relationships",
    "presences",
    "guild_join_requests",
    "user_settings",
    "user_settings_proto",
    "geo_ordered_rtc_regions",
    "session_type",
    "auth_session_id_hash",
    "auth",
    "current_location",
    "guild_experiments",
    "experiments",
    "connected_accounts",
)
GUILD_CREATE_EXTRA_KEYS = (
    "lazy",
    "nsfw",
    "embedded_activities",
    "activity_instances",
    "home_header",
    "latest_onboarding_question_id",
    "application_command_counts",
    "version",
    "inventory_settings",
    "guild_hashes",
    "clan",
    "profile",
    "premium_features",
)
# Gateway arrays longer than this are checked on a sample (the first N-1 items and the last): emulator
# arrays (members, channels) come from one builder, and a full 1000-member GUILD_CREATE costs ~0.4 s.
# Set to None for exhaustive checks.
GATEWAY_ARRAY_SAMPLE: int | None = 50
TRACE_SCHEMA: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


@dataclass(frozen=True)
class Violation:
    """One problem found in a request, response or gateway frame, in Discord's error-path style."""

    path: str
    message: str
    code: str


# ---------------------------------------------------------------------------------------------- locating


PINNED_DIR = Path(__file__).resolve().parent / "spec_data"


def _spec_file(spec_dir: Path, name: str) -> Path | None:
    """Return `name` in spec_dir, plain or xz-compressed, or None."""
    for cand in (spec_dir / name, spec_dir / f"{name}.xz"):
        if cand.is_file():
            return cand
    return None


def read_spec_json(spec_dir: Path | str, name: str) -> Any:
    """Load one spec file (plain or .xz) from spec_dir."""
    path = _spec_file(Path(spec_dir), name)
    if path is None:
        raise FileNotFoundError(f"{name} not in {spec_dir}")
    raw = lzma.decompress(path.read_bytes()) if path.suffix == ".xz" else path.read_bytes()
    return json.loads(raw.decode("utf-8"))


def spec_dir_or_reason(start: Path | None = None) -> tuple[Path | None, str]:
    """Return (spec dir, "") or (None, why it is missing).

    The pinned copy in fakediscord/spec_data is the default; $FAKEDISCORD_SPEC_DIR only points at another copy.
    `start` is accepted for compatibility and ignored: validation never depends on what sits beside the repo.
    """
    env = os.environ.get(ENV_VAR)
    cand = Path(env).expanduser() if env else PINNED_DIR
    missing = [f for f in SPEC_FILES if _spec_file(cand, f) is None]
    if missing:
        where = f"${ENV_VAR}={env}" if env else f"the pinned copy {cand}"
        return None, f"{where} lacks {', '.join(missing)} (restore fakediscord/spec_data from git)"
    return cand.resolve(), ""


# ---------------------------------------------------------------------------------------------- paths


def _join(*parts: object) -> str:
    """Join path segments Discord-style ("embeds", 0, "title" -> "embeds.0.title"), skipping empties."""
    return ".".join(str(p) for p in parts if p != "")


def _normalise_path(path: str) -> str:
    """Strip the query, the /api/vN prefix and a trailing slash."""
    path = path.split("?", 1)[0]
    m = re.match(r"^/api/v\d+(?=/|$)", path)
    if m:
        path = path[m.end() :]
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    return path or "/"


@dataclass(frozen=True)
class _Route:
    """A path template from the spec with its operations."""

    template: str
    regex: re.Pattern[str]
    methods: frozenset[str]


def _build_routes(spec: Mapping[str, Any]) -> list[_Route]:
    """Compile the spec's path templates, literal-heavy templates first."""
    routes = []
    for template, ops in spec.get("paths", {}).items():
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
            if part
        )
        methods = frozenset(m.upper() for m in ops if m in {"get", "put", "post", "patch", "delete"})
        routes.append(_Route(template, re.compile(f"^{pattern}$"), methods))
    routes.sort(key=lambda r: (r.template.count("{"), -len(r.template)))
    return routes


# ---------------------------------------------------------------------------------------------- loading


@dataclass
class _OpenAPIBundle:
    """The parsed spec, its openapi-core app and the route table."""

    api: OpenAPI
    routes: list[_Route]


@cache
def _load_openapi(spec_dir: str) -> _OpenAPIBundle:
    """Load openapi.json once per process (the spec self-check is skipped: it costs ~6 s)."""
    spec = read_spec_json(spec_dir, "openapi.json")
    api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
    return _OpenAPIBundle(api=api, routes=_build_routes(spec))


def _def_name(ref: str) -> str | None:
    """Definition name of a local "#/definitions/..." reference."""
    prefix = "#/definitions/"
    return unquote(ref[len(prefix) :]) if ref.startswith(prefix) else None


def _resolve(defs: Mapping[str, Any], node: Any) -> Any:
    """Follow local $ref chains."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 50:
        name = _def_name(node["$ref"])
        if name is None or name not in defs:
            break
        node = defs[name]
        seen += 1
    return node


def _key_values(defs: Mapping[str, Any], node: Any, key: str, depth: int = 0) -> list[Any] | None:
    """Possible values of property `key` under this schema (const/enum), or None when open."""
    node = _resolve(defs, node)
    if not isinstance(node, dict) or depth > 8:
        return None
    if "anyOf" in node:
        out: list[Any] = []
        for branch in node["anyOf"]:
            vals = _key_values(defs, branch, key, depth + 1)
            if vals is None:
                return None
            out.extend(vals)
        return out
    prop = _resolve(defs, node.get("properties", {}).get(key))
    if not isinstance(prop, dict):
        return None
    if "const" in prop:
        return [prop["const"]]
    if "enum" in prop:
        return list(prop["enum"])
    return None


def _annotate_discriminators(defs: dict[str, Any]) -> None:
    """Mark anyOf nodes whose branches are told apart by a const `type`/`op`/`t` property."""
    stack: list[Any] = list(defs.values())
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        branches = node.get("anyOf")
        if isinstance(branches, list) and len(branches) > 1:
            for key in ("type", "op", "t", "component_type"):
                vals = [_key_values(defs, b, key) for b in branches]
                if sum(v is not None for v in vals) >= 2:
                    node["x-discriminator"] = key
                    node["x-discriminator-values"] = vals
                    break
        stack.extend(v for k, v in node.items() if k not in ("x-discriminator-values", "enum", "const"))


def _same(a: Any, b: Any) -> bool:
    """JSON equality that keeps booleans apart from numbers."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _any_of(
    validator: Any, any_of: list[Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """AnyOf that only tries branches whose discriminator matches, for speed and precise errors."""
    indices: list[int] = list(range(len(any_of)))
    key = schema.get("x-discriminator")
    if key is not None and isinstance(instance, dict) and key in instance:
        value = instance[key]
        vals: list[list[Any] | None] = schema["x-discriminator-values"]
        indices = [i for i, vs in enumerate(vals) if vs is None or any(_same(value, v) for v in vs)]
        if not indices:
            allowed = sorted({json.dumps(v) for vs in vals if vs for v in vs})
            yield ValidationError(
                f"{value!r} is not one of [{', '.join(allowed)}]",
                validator="enum",
                validator_value=[json.loads(a) for a in allowed],
                instance=value,
                path=[key],
            )
            return
        if len(indices) == 1:
            yield from validator.descend(instance, any_of[indices[0]], schema_path=indices[0])
            return
    errors: list[ValidationError] = []
    for index in indices:
        errs = list(validator.descend(instance, any_of[index], schema_path=index))
        if not errs:
            return
        errors.extend(errs)
    yield ValidationError(f"{_short(instance)} is not valid under any of the given schemas", context=errors)


def _items(validator: Any, items: Any, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    """Draft-7 items that samples long homogeneous arrays (first N-1 and the last item)."""
    if not validator.is_type(instance, "array"):
        return
    if validator.is_type(items, "array"):
        for (index, item), subschema in zip(enumerate(instance), items, strict=False):
            yield from validator.descend(item, subschema, path=index, schema_path=index)
        return
    n = len(instance)
    limit = GATEWAY_ARRAY_SAMPLE
    indices: Iterable[int] = range(n) if limit is None or n <= limit else [*range(limit - 1), n - 1]
    for index in indices:
        yield from validator.descend(instance[index], items, path=index)


_GatewayValidator = validators.extend(Draft7Validator, {"anyOf": _any_of, "items": _items})


class _GatewaySchema:
    """The closed gateway schema, patched for what real Discord sends, with cached validators."""

    def __init__(self, schema: dict[str, Any]) -> None:
        """Patch the schema in memory and index events and opcodes."""
        self.schema = schema
        self.defs: dict[str, Any] = schema["definitions"]
        self.event_map: dict[str, str] = schema.get("x-event-map", {})
        self._patch()
        _annotate_discriminators(self.defs)
        self.op_map: dict[int, str] = {}
        for branch in self.defs.get("GatewayReceivePayload", {}).get("anyOf", []):
            name = _def_name(branch.get("$ref", ""))
            node = _resolve(self.defs, branch)
            op = node.get("properties", {}).get("op", {}).get("const") if isinstance(node, dict) else None
            if name and isinstance(op, int) and op != 0:
                self.op_map[op] = name
        self._cache: dict[str, Validator] = {}

    def _patch(self) -> None:
        """Allow the keys real Discord sends but discord-api-types leaves out (see module docs)."""
        defs = self.defs
        hello = defs.get("GatewayHelloData")
        if isinstance(hello, dict):
            hello.setdefault("properties", {})["_trace"] = TRACE_SCHEMA
        ready = _resolve(defs, defs.get("GatewayReadyDispatchData"))
        if isinstance(ready, dict):
            props = ready.setdefault("properties", {})
            props["_trace"] = TRACE_SCHEMA
            for key in READY_EXTRA_KEYS:
                props.setdefault(key, {})
        guild_create = _resolve(defs, defs.get("GatewayGuildCreateDispatchData"))
        if isinstance(guild_create, dict):
            props = guild_create.setdefault("properties", {})
            for key in GUILD_CREATE_EXTRA_KEYS:
                props.setdefault(key, {})
        resumed = _resolve(defs, defs.get("GatewayResumedDispatch"))
        if isinstance(resumed, dict):
            # discord.py does data['__shard_id__'] = ... on RESUMED: a missing `d` crashes it.
            resumed["properties"]["d"] = {
                "type": "object",
                "properties": {"_trace": TRACE_SCHEMA},
                "additionalProperties": False,
            }
            resumed["required"] = sorted({*resumed.get("required", []), "d"})
        for name in ("GatewayHeartbeatRequest", "GatewayReconnect", "GatewayHeartbeatAck"):
            node = defs.get(name)
            if isinstance(node, dict) and "d" in node.get("properties", {}):
                node["properties"]["d"] = {"type": "null"}

    def validator(self, definition: str) -> Validator:
        """Cached validator for one definition."""
        v = self._cache.get(definition)
        if v is None:
            root = {
                "$schema": self.schema.get("$schema", "http://json-schema.org/draft-07/schema#"),
                "definitions": self.defs,
                "$ref": "#/definitions/" + quote(definition, safe=""),
            }
            v = self._cache[definition] = _GatewayValidator(root)
        return v


@cache
def _load_gateway(spec_dir: str) -> _GatewaySchema:
    """Load gateway.schema.json once per process."""
    schema = read_spec_json(spec_dir, "gateway.schema.json")
    return _GatewaySchema(schema)


# ---------------------------------------------------------------------------------------------- jsonschema errors


@dataclass(frozen=True)
class _Leaf:
    """A flattened schema error."""

    path: tuple[Any, ...]
    validator: str
    value: Any
    instance: Any
    message: str
    schema: Any


def _short(value: Any, limit: int = 60) -> str:
    """Compact repr for messages."""
    text = json.dumps(value, default=str) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _choices(err: ValidationError, depth: int) -> list[Any] | None:
    """Allowed values when an anyOf/oneOf is just a list of constants (e.g. auto_archive_duration)."""
    found: list[Any] = []
    for c in err.context or ():
        if len(c.absolute_path) != depth:
            return None
        if c.validator == "const":
            found.append(c.validator_value)
        elif c.validator == "enum":
            found.extend(c.validator_value)
        elif c.validator in ("anyOf", "oneOf"):
            inner = _choices(c, depth)
            if inner is None:
                return None
            found.extend(inner)
        elif c.validator not in ("type", "format"):
            return None
    return found or None


def _branch_rank(errs: list[ValidationError], depth: int) -> tuple[int, int, int]:
    """Lower is a better guess of the branch the author meant."""
    rank = 0
    for e in errs:
        d = len(e.absolute_path)
        if e.validator == "type" and d == depth:
            rank = max(rank, 3)
        elif e.validator in ("const", "enum") and d == depth + 1:
            rank = max(rank, 2)
        elif e.validator == "additionalProperties" and d == depth:
            rank = max(rank, 1)
    return rank, len(errs), -max((len(e.absolute_path) for e in errs), default=0)


def _leaves(err: ValidationError) -> list[_Leaf]:
    """Descend vague anyOf/oneOf errors to the leaf errors of the most plausible branch."""
    path = tuple(err.absolute_path)
    if err.validator in ("anyOf", "oneOf") and err.context:
        depth = len(path)
        choices = _choices(err, depth)
        if choices is not None:
            uniq = list(dict.fromkeys(json.dumps(c) for c in choices))
            return [_Leaf(path, "enum", [json.loads(u) for u in uniq], err.instance, err.message, err.schema)]
        groups: dict[Any, list[ValidationError]] = defaultdict(list)
        for c in err.context:
            groups[c.relative_schema_path[0] if c.relative_schema_path else 0].append(c)
        best = min(groups.values(), key=lambda errs: _branch_rank(errs, depth))
        out: list[_Leaf] = []
        for c in best:
            out.extend(_leaves(c))
        return out
    return [_Leaf(path, str(err.validator), err.validator_value, err.instance, err.message, err.schema)]


_TYPE_CODES = {
    "integer": "NUMBER_TYPE_COERCE",
    "number": "NUMBER_TYPE_COERCE",
    "string": "STRING_TYPE_CONVERT",
    "boolean": "BOOLEAN_TYPE_CONVERT",
    "object": "MODEL_TYPE_CONVERT",
    "array": "LIST_TYPE_CONVERT",
}


def _leaf_violations(leaf: _Leaf, prefix: tuple[Any, ...] = ()) -> list[Violation]:
    """Turn one leaf schema error into Discord-style violations."""
    path = (*prefix, *leaf.path)
    v, val = leaf.validator, leaf.value
    if v == "required":
        m = re.match(r"^'(.*)' is a required property$", leaf.message)
        missing = (
            [m.group(1)]
            if m
            else [k for k in val if isinstance(leaf.instance, dict) and k not in leaf.instance]
        )
        return [Violation(_join(*path, k), "This field is required", "BASE_TYPE_REQUIRED") for k in missing]
    if v == "additionalProperties" and isinstance(leaf.instance, dict) and isinstance(leaf.schema, dict):
        props = leaf.schema.get("properties", {})
        patterns = [re.compile(p) for p in leaf.schema.get("patternProperties", {})]
        extras = [k for k in leaf.instance if k not in props and not any(p.search(k) for p in patterns)]
        if extras:
            return [
                Violation(_join(*path, k), f"Unknown field {k!r} (not in the schema)", "SPEC_UNKNOWN_FIELD")
                for k in extras
            ]
    if v == "type":
        types = [val] if isinstance(val, str) else list(val)
        code = next((_TYPE_CODES[t] for t in types if t in _TYPE_CODES), "SPEC_MISMATCH")
        return [
            Violation(
                _join(*path), f"Value {_short(leaf.instance)} is not of type {' or '.join(types)}.", code
            )
        ]
    if v in ("maxLength", "maxItems"):
        return [Violation(_join(*path), f"Must be {val} or fewer in length.", "BASE_TYPE_MAX_LENGTH")]
    if v in ("minLength", "minItems"):
        return [Violation(_join(*path), f"Must be {val} or more in length.", "BASE_TYPE_MIN_LENGTH")]
    if v in ("maximum", "exclusiveMaximum"):
        return [
            Violation(_join(*path), f"int value should be less than or equal to {val}.", "NUMBER_TYPE_MAX")
        ]
    if v in ("minimum", "exclusiveMinimum"):
        return [
            Violation(_join(*path), f"int value should be greater than or equal to {val}.", "NUMBER_TYPE_MIN")
        ]
    if v == "enum":
        shown = ", ".join(_short(x, 30) for x in val)
        return [Violation(_join(*path), f"Value must be one of {{{shown}}}.", "BASE_TYPE_CHOICES")]
    if v == "const":
        return [Violation(_join(*path), f"Value must be {_short(val, 30)}.", "BASE_TYPE_CHOICES")]
    if v == "pattern":
        msg = f"String value {_short(leaf.instance)} did not match validation regex {val}."
        return [Violation(_join(*path), msg, "STRING_TYPE_REGEX")]
    message = leaf.message if len(leaf.message) <= 300 else leaf.message[:297] + "..."
    return [Violation(_join(*path), message, "SPEC_MISMATCH")]


def _schema_violations(errors: Iterable[ValidationError], prefix: tuple[Any, ...] = ()) -> list[Violation]:
    """Leaf violations for a batch of jsonschema errors."""
    out: list[Violation] = []
    for err in errors:
        for leaf in _leaves(err):
            out.extend(_leaf_violations(leaf, prefix))
    return out


def _openapi_violations(errors: Iterable[Exception]) -> list[Violation]:
    """Map openapi-core errors (walking __cause__.schema_errors) to violations."""
    out: list[Violation] = []
    for err in errors:
        cause = err.__cause__
        schema_errors = getattr(cause, "schema_errors", None)
        prefix: tuple[Any, ...] = ()
        if isinstance(err, ParameterValidationError):
            prefix = (err.name,)
        if schema_errors:
            out.extend(_schema_violations(schema_errors, prefix))
        elif isinstance(err, PathNotFound | OperationNotFound):
            out.append(Violation("", str(err), "SPEC_UNKNOWN_ROUTE"))
        elif isinstance(err, ParameterValidationError):
            detail = f"{err}: {cause}" if cause is not None else str(err)
            code = "BASE_TYPE_REQUIRED" if "Missing" in type(err).__name__ else "SPEC_MISMATCH"
            out.append(Violation(err.name, detail, code))
        else:
            detail = f"{err}: {cause}" if cause is not None and str(cause) not in str(err) else str(err)
            out.append(Violation("", detail, "SPEC_MISMATCH"))
    return out


_CODE_FAMILY = {
    "BASE_TYPE_MAX_LENGTH": "LENGTH",
    "BASE_TYPE_MIN_LENGTH": "LENGTH",
    "BASE_TYPE_BAD_LENGTH": "LENGTH",
    "NUMBER_TYPE_MAX": "NUMBER",
    "NUMBER_TYPE_MIN": "NUMBER",
}


def _dedupe(violations: Iterable[Violation]) -> list[Violation]:
    """Drop repeats of the same path and kind of error (length, range, ...), keeping the first."""
    seen: set[tuple[str, str]] = set()
    out = []
    for v in violations:
        key = (v.path, _CODE_FAMILY.get(v.code, v.code))
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


# ---------------------------------------------------------------------------------------------- documented limits


class _Limits:
    """Hand-coded documented limits the spec leaves out; appends to `out`."""

    def __init__(self) -> None:
        """Start with no violations."""
        self.out: list[Violation] = []

    def add(self, path: str, message: str, code: str) -> None:
        """Record a violation."""
        self.out.append(Violation(path, message, code))

    def length(self, path: str, value: Any, max_len: int, min_len: int = 0) -> None:
        """String or list length within [min_len, max_len] (Discord's wording)."""
        if not isinstance(value, str | list):
            return
        n = len(value)
        if min_len > 0 and not min_len <= n <= max_len:
            self.add(path, f"Must be between {min_len} and {max_len} in length.", "BASE_TYPE_BAD_LENGTH")
        elif n > max_len:
            self.add(path, f"Must be {max_len} or fewer in length.", "BASE_TYPE_MAX_LENGTH")

    def required_length(
        self, path: str, obj: Mapping[str, Any], key: str, max_len: int, min_len: int = 1
    ) -> None:
        """A required string field with a length range."""
        if obj.get(key) is None:
            self.add(_join(path, key), "This field is required", "BASE_TYPE_REQUIRED")
        else:
            self.length(_join(path, key), obj[key], max_len, min_len)

    def number(self, path: str, value: Any, lo: int, hi: int) -> None:
        """Integer within [lo, hi]."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return
        if value < lo:
            self.add(path, f"int value should be greater than or equal to {lo}.", "NUMBER_TYPE_MIN")
        elif value > hi:
            self.add(path, f"int value should be less than or equal to {hi}.", "NUMBER_TYPE_MAX")

    # ---- messages

    def message(self, body: Any, prefix: str = "") -> None:
        """Message create/edit payload (channel messages, webhooks, interaction responses)."""
        if not isinstance(body, dict):
            return
        self.length(_join(prefix, "content"), body.get("content"), MESSAGE_CONTENT_MAX)
        self.embeds(body.get("embeds"), _join(prefix, "embeds"))
        self.poll(body.get("poll"), _join(prefix, "poll"))
        flags = body.get("flags")
        v2 = isinstance(flags, int) and bool(flags & IS_COMPONENTS_V2)
        self.components(body.get("components"), _join(prefix, "components"), v2=v2)

    def embeds(self, embeds: Any, path: str) -> None:
        """Per-embed and per-message embed limits."""
        if not isinstance(embeds, list):
            return
        self.length(path, embeds, EMBEDS_MAX)
        total = 0
        for i, e in enumerate(embeds):
            if not isinstance(e, dict):
                continue
            p = _join(path, i)
            total += self._embed(e, p)
        if total > EMBED_TOTAL_MAX:
            self.add(path, f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}", "MAX_EMBED_SIZE_EXCEEDED")

    def _embed(self, e: Mapping[str, Any], p: str) -> int:
        """One embed; returns its character count toward the 6000 total."""
        size = 0

        def text(path: str, value: Any, limit: int) -> None:
            nonlocal size
            if isinstance(value, str):
                size += len(value)
                self.length(path, value, limit)

        text(_join(p, "title"), e.get("title"), 256)
        text(_join(p, "description"), e.get("description"), 4096)
        footer, author = e.get("footer"), e.get("author")
        if isinstance(footer, dict):
            text(_join(p, "footer", "text"), footer.get("text"), 2048)
        if isinstance(author, dict):
            text(_join(p, "author", "name"), author.get("name"), 256)
        fields = e.get("fields")
        if isinstance(fields, list):
            self.length(_join(p, "fields"), fields, 25)
            for j, f in enumerate(fields):
                if isinstance(f, dict):
                    fp = _join(p, "fields", j)
                    for key, limit in (("name", 256), ("value", 1024)):
                        if not f.get(key):
                            self.add(_join(fp, key), "This field is required", "BASE_TYPE_REQUIRED")
                        text(_join(fp, key), f.get(key), limit)
        return size

    def poll(self, poll: Any, path: str) -> None:
        """Poll question, answers and duration."""
        if not isinstance(poll, dict):
            return
        question = poll.get("question")
        if isinstance(question, dict):
            self.required_length(_join(path, "question"), question, "text", 300)
        answers = poll.get("answers")
        if isinstance(answers, list):
            self.length(_join(path, "answers"), answers, 10, 1)
            for i, a in enumerate(answers):
                media = a.get("poll_media") if isinstance(a, dict) else None
                if isinstance(media, dict) and media.get("text") is not None:
                    self.length(
                        _join(path, "answers", i, "poll_media", "text"),
                        media["text"],
                        POLL_ANSWER_TEXT_MAX,
                        1,
                    )
        self.number(_join(path, "duration"), poll.get("duration"), 1, 768)

    # ---- components

    def components(self, comps: Any, path: str, *, v2: bool = False, modal: bool = False) -> None:
        """Component tree: rows, buttons, selects, text inputs; custom_id uniqueness."""
        if not isinstance(comps, list):
            return
        if modal:
            self.length(path, comps, 5, 1)
        elif not v2:
            self.length(path, comps, 5)
        seen: dict[str, str] = {}
        self._walk_components(comps, path, seen)

    def _walk_components(self, comps: list[Any], path: str, seen: dict[str, str]) -> None:
        """Recursive part of components()."""
        for i, c in enumerate(comps):
            if not isinstance(c, dict):
                continue
            p = _join(path, i)
            self._component(c, p, seen)
            children = c.get("components")
            if isinstance(children, list):
                if c.get("type") == 1:
                    self.length(_join(p, "components"), children, 5)
                    selects = [x for x in children if isinstance(x, dict) and x.get("type") in SELECT_TYPES]
                    if selects and len(children) > 1:
                        self.add(
                            _join(p, "components"),
                            "The specified component exceeds the maximum width",
                            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                        )
                self._walk_components(children, _join(p, "components"), seen)
            for key in ("accessory", "component"):
                if isinstance(c.get(key), dict):
                    self._component(c[key], _join(p, key), seen)

    def _component(self, c: Mapping[str, Any], p: str, seen: dict[str, str]) -> None:
        """Per-component limits."""
        t = c.get("type")
        needs_id = t in SELECT_TYPES or t == 4 or (t == 2 and c.get("style") not in (5, 6))
        if needs_id:
            self.required_length(p, c, "custom_id", 100)
        elif c.get("custom_id") is not None:
            self.length(_join(p, "custom_id"), c["custom_id"], 100, 1)
        cid = c.get("custom_id")
        if isinstance(cid, str) and cid:
            if cid in seen:
                self.add(
                    _join(p, "custom_id"),
                    "Component custom id cannot be duplicated",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                )
            seen[cid] = p
        if t == 2:
            self.length(_join(p, "label"), c.get("label"), 80)
            if c.get("style") == 5 and not c.get("url"):
                self.add(_join(p, "url"), "This field is required", "BASE_TYPE_REQUIRED")
        elif t in SELECT_TYPES:
            self.length(_join(p, "placeholder"), c.get("placeholder"), 150)
            self.number(_join(p, "min_values"), c.get("min_values"), 0, 25)
            self.number(_join(p, "max_values"), c.get("max_values"), 1, 25)
            if t == 3:
                options = c.get("options")
                if options is None:
                    self.add(_join(p, "options"), "This field is required", "BASE_TYPE_REQUIRED")
                elif isinstance(options, list):
                    self.length(_join(p, "options"), options, 25, 1)
                    for j, o in enumerate(options):
                        if isinstance(o, dict):
                            op = _join(p, "options", j)
                            self.required_length(op, o, "label", 100)
                            self.required_length(op, o, "value", 100)
                            self.length(_join(op, "description"), o.get("description"), 100)
        elif t == 4:
            self.length(_join(p, "label"), c.get("label"), 45)
            self.length(_join(p, "value"), c.get("value"), 4000)
            self.length(_join(p, "placeholder"), c.get("placeholder"), 100)
            self.number(_join(p, "min_length"), c.get("min_length"), 0, 4000)
            self.number(_join(p, "max_length"), c.get("max_length"), 1, 4000)

    # ---- interactions

    def callback(self, body: Any) -> None:
        """Interaction callback: message (4, 7), autocomplete (8), modal (9)."""
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            return
        t, data = body.get("type"), body["data"]
        if t in (4, 5, 7):
            self.message(data, "data")
        elif t == 8:
            self.choices(data.get("choices"), "data.choices")
        elif t == 9:
            self.required_length("data", data, "custom_id", 100)
            self.required_length("data", data, "title", 45)
            self.components(data.get("components"), "data.components", modal=True)

    def choices(self, choices: Any, path: str) -> None:
        """Autocomplete results / command option choices: 25 max, name 1-100, string value 1-100."""
        if not isinstance(choices, list):
            return
        self.length(path, choices, 25)
        for i, ch in enumerate(choices):
            if isinstance(ch, dict):
                self.required_length(_join(path, i), ch, "name", 100)
                if isinstance(ch.get("value"), str):
                    self.length(_join(path, i, "value"), ch["value"], 100)

    # ---- threads

    def thread(self, body: Any, *, require_name: bool) -> None:
        """Thread name 1-100 and auto_archive_duration choices; forum starter message."""
        if not isinstance(body, dict):
            return
        if require_name or "name" in body:
            self.required_length("", body, "name", 100)
        dur = body.get("auto_archive_duration")
        if dur is not None and (isinstance(dur, bool) or dur not in THREAD_ARCHIVE_CHOICES):
            shown = ", ".join(str(x) for x in THREAD_ARCHIVE_CHOICES)
            self.add("auto_archive_duration", f"Value must be one of {{{shown}}}.", "BASE_TYPE_CHOICES")
        if isinstance(body.get("message"), dict):
            self.message(body["message"], "message")

    # ---- application commands

    def commands(self, body: Any, *, bulk: bool, partial: bool = False) -> None:
        """Command sync: names, descriptions, options, choices, sizes, counts, duplicates."""
        if bulk:
            if not isinstance(body, list):
                return
            chat = [c for c in body if isinstance(c, dict) and c.get("type", 1) == 1]
            if len(chat) > 100:
                self.add(
                    "",
                    "Maximum number of chat input application commands reached (100)",
                    "APPLICATION_COMMANDS_MAX_EXCEEDED",
                )
            seen: set[tuple[Any, str]] = set()
            for i, c in enumerate(body):
                if not isinstance(c, dict):
                    continue
                self.command(c, str(i), partial=False)
                key = (c.get("type", 1), str(c.get("name")))
                if key in seen:
                    self.add(
                        _join(i, "name"),
                        "Application command names must be unique",
                        "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    )
                seen.add(key)
        elif isinstance(body, dict):
            self.command(body, "", partial=partial)

    def command(self, c: Mapping[str, Any], p: str, *, partial: bool) -> None:
        """One application command."""
        ctype = c.get("type", 1)
        chat = ctype == 1
        if c.get("name") is not None or not partial:
            if chat:
                self.name(c.get("name"), _join(p, "name"))
            else:
                self.required_length(p, c, "name", 32)
        if chat and (c.get("description") is not None or not partial):
            self.required_length(p, c, "description", 100)
        elif not chat and c.get("description"):
            self.add(
                _join(p, "description"),
                "Context menu commands cannot have a description",
                "APPLICATION_COMMAND_INVALID_DESCRIPTION",
            )
        self.options(c.get("options"), _join(p, "options"))
        if _command_size(c) > 8000:
            self.add(p, "Command exceeds maximum size (8000)", "APPLICATION_COMMAND_TOO_LARGE")

    def name(self, name: Any, path: str) -> None:
        r"""Chat-input command/option name: ^[-_'\p{L}\p{N}]{1,32}$ and lower-case."""
        if name is None:
            self.add(path, "This field is required", "BASE_TYPE_REQUIRED")
            return
        if not isinstance(name, str):
            return
        if not 1 <= len(name) <= 32:
            self.add(path, "Must be between 1 and 32 in length.", "BASE_TYPE_BAD_LENGTH")
        elif not all(_name_char_ok(ch) for ch in name):
            self.add(
                path,
                f"String value {_short(name)} did not match validation regex "
                "^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$.",
                "STRING_TYPE_REGEX",
            )
        elif name != name.lower():
            self.add(path, "Command name is invalid (must be lower-case)", "APPLICATION_COMMAND_INVALID_NAME")

    def options(self, opts: Any, path: str) -> None:
        """Options (recursively for sub-commands and groups)."""
        if not isinstance(opts, list):
            return
        self.length(path, opts, 25)
        seen_optional = False
        for i, o in enumerate(opts):
            if not isinstance(o, dict):
                continue
            p = _join(path, i)
            self.name(o.get("name"), _join(p, "name"))
            self.required_length(p, o, "description", 100)
            self.choices(o.get("choices"), _join(p, "choices"))
            if o.get("type") in (1, 2):
                self.options(o.get("options"), _join(p, "options"))
            elif o.get("required"):
                if seen_optional:
                    self.add(
                        _join(p, "required"),
                        "Required options must be placed before non-required options",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    )
            else:
                seen_optional = True


def _name_char_ok(ch: str) -> bool:
    r"""One character of \p{L}, \p{N}, - _ ' or a Devanagari/Thai mark."""
    if ch in "-_'":
        return True
    cat = unicodedata.category(ch)
    if cat[0] in "LN":
        return True
    return cat[0] == "M" and ("\u0900" <= ch <= "\u097f" or "\u0e00" <= ch <= "\u0e7f")


def _localized_len(obj: Mapping[str, Any], key: str) -> int:
    """Longest of a field and its localizations (how Discord counts command size)."""
    lens = [len(obj[key])] if isinstance(obj.get(key), str) else []
    locs = obj.get(f"{key}_localizations")
    if isinstance(locs, dict):
        lens.extend(len(v) for v in locs.values() if isinstance(v, str))
    return max(lens, default=0)


def _command_size(obj: Mapping[str, Any]) -> int:
    """Characters counted toward the 8000 per-command limit (names, descriptions, choices, recursively)."""
    size = _localized_len(obj, "name") + _localized_len(obj, "description")
    for ch in obj.get("choices") or ():
        if isinstance(ch, dict):
            size += _localized_len(ch, "name") + len(str(ch.get("value", "")))
    for o in obj.get("options") or ():
        if isinstance(o, dict):
            size += _command_size(o)
    return size


_MESSAGE_ROUTES = frozenset(
    {
        ("POST", "/channels/{channel_id}/messages"),
        ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
        ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
    }
)
_COMMAND_ROUTES: dict[tuple[str, str], tuple[bool, bool]] = {  # (bulk, partial)
    ("PUT", "/applications/{application_id}/commands"): (True, False),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): (True, False),
    ("POST", "/applications/{application_id}/commands"): (False, False),
    ("POST", "/applications/{application_id}/guilds/{guild_id}/commands"): (False, False),
    ("PATCH", "/applications/{application_id}/commands/{command_id}"): (False, True),
    ("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}"): (False, True),
}
_THREAD_ROUTES = {
    ("POST", "/channels/{channel_id}/threads"): True,
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): True,
    ("PATCH", "/channels/{channel_id}"): False,
}


def _documented_limits(method: str, template: str, body: Any) -> list[Violation]:
    """Apply the hand-coded limits that fit this route."""
    lim = _Limits()
    key = (method, template)
    if key in _MESSAGE_ROUTES:
        lim.message(body)
    elif key == ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"):
        lim.callback(body)
    elif key in _COMMAND_ROUTES:
        bulk, partial = _COMMAND_ROUTES[key]
        lim.commands(body, bulk=bulk, partial=partial)
    elif key in _THREAD_ROUTES:
        lim.thread(body, require_name=_THREAD_ROUTES[key])
    return lim.out


# ---------------------------------------------------------------------------------------------- error bodies


def _error_tree_violations(tree: Any, path: str) -> list[Violation]:
    """Structure of Discord's nested `errors` object ({field: {..., "_errors": [{code, message}]}})."""
    if not isinstance(tree, dict):
        return [Violation(path, "errors must be an object", "SPEC_MISMATCH")]
    out: list[Violation] = []
    for key, sub in tree.items():
        p = _join(path, key)
        if key == "_errors":
            if not isinstance(sub, list) or not sub:
                out.append(Violation(p, "_errors must be a non-empty list", "SPEC_MISMATCH"))
                continue
            for i, e in enumerate(sub):
                ok = (
                    isinstance(e, dict)
                    and isinstance(e.get("code"), str)
                    and isinstance(e.get("message"), str)
                )
                if not ok:
                    out.append(
                        Violation(_join(p, i), "each error needs string code and message", "SPEC_MISMATCH")
                    )
        else:
            out.extend(_error_tree_violations(sub, p))
    return out


def invalid_form_body(violations: list[Violation]) -> dict[str, Any]:
    """Discord's 400 body (code 50035) with errors nested by path segments."""
    errors: dict[str, Any] = {}
    for v in violations:
        node = errors
        for seg in v.path.split(".") if v.path else []:
            node = node.setdefault(seg, {})
        node.setdefault("_errors", []).append({"code": v.code, "message": v.message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


# ---------------------------------------------------------------------------------------------- public API


class SpecValidator:
    """Validates emulator traffic against the shared Discord spec; build it with locate()."""

    skipped_reason: ClassVar[str] = ""
    _instances: ClassVar[dict[Path, SpecValidator]] = {}

    def __init__(self, spec_dir: Path) -> None:
        """Load (or reuse) the spec files in spec_dir."""
        self.spec_dir = spec_dir
        self._openapi = _load_openapi(str(spec_dir))
        self._gateway = _load_gateway(str(spec_dir))

    @classmethod
    def locate(cls, start: Path | None = None) -> SpecValidator | None:
        """The validator for the spec dir found by spec_dir_or_reason(), or None (see skipped_reason)."""
        spec_dir, reason = spec_dir_or_reason(start)
        cls.skipped_reason = reason
        if spec_dir is None:
            return None
        inst = cls._instances.get(spec_dir)
        if inst is None:
            inst = cls._instances[spec_dir] = cls(spec_dir)
        return inst

    # ---- routes

    def _template(self, method: str, path: str) -> str | None:
        """The spec path template for this request, preferring one with the method."""
        norm = _normalise_path(path)
        first: str | None = None
        for r in self._openapi.routes:
            if r.regex.match(norm):
                if method.upper() in r.methods:
                    return r.template
                first = first or r.template
        return first

    def known_route(self, method: str, path: str) -> bool:
        """Whether the spec has this operation (method + path)."""
        norm = _normalise_path(path)
        return any(r.regex.match(norm) and method.upper() in r.methods for r in self._openapi.routes)

    @staticmethod
    def _request(method: str, path: str, query: Mapping[str, str] | None, body: object | None) -> MockRequest:
        """An openapi-core request for the spec's server (https://discord.com/api/v10)."""
        if "?" in path:
            query = {**dict(parse_qsl(path.split("?", 1)[1], keep_blank_values=True)), **(query or {})}
        headers = {"Authorization": "Bot fake-token"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        return MockRequest(
            HOST,
            method.lower(),
            API_PREFIX + _normalise_path(path),
            args=dict(query or {}),
            headers=headers,
            data=data,
        )

    @staticmethod
    def _quiet(fn: Callable[[], list[Exception]]) -> list[Exception]:
        """Run fn with openapi-core's 'Unsupported scheme type' warnings silenced."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn()

    # ---- HTTP

    def check_request(
        self, method: str, path: str, query: dict[str, str], body: object | None
    ) -> list[Violation]:
        """Violations in a request the bot sent: spec (path, query, body) plus documented limits."""
        method = method.upper()
        template = self._template(method, path)
        if template is None or not self.known_route(method, path):
            what = "method" if template else "route"
            return [
                Violation(
                    "",
                    f"Unknown {what} in the Discord API spec: {method} {_normalise_path(path)}",
                    "SPEC_UNKNOWN_ROUTE",
                )
            ]
        req = self._request(method, path, query, body)
        spec_errors = self._quiet(lambda: list(self._openapi.api.iter_request_errors(req)))
        limits = _documented_limits(method, template, body)
        return _dedupe([*limits, *_openapi_violations(spec_errors)])

    def check_response(self, method: str, path: str, status: int, body: object | None) -> list[Violation]:
        """Violations in a response the emulator is about to send (undocumented 5xx are skipped)."""
        method = method.upper()
        if not self.known_route(method, path):
            return [
                Violation(
                    "",
                    f"Unknown route in the Discord API spec: {method} {_normalise_path(path)}",
                    "SPEC_UNKNOWN_ROUTE",
                )
            ]
        extra: list[Violation] = []
        if status >= 400 and isinstance(body, dict) and "errors" in body:
            # The spec types field-error codes as integers; Discord sends strings (BASE_TYPE_...).
            extra = _error_tree_violations(body["errors"], "errors")
            body = {k: v for k, v in body.items() if k != "errors"}
        req = self._request(method, path, {}, None)
        data = b"" if body is None else json.dumps(body).encode()
        resp = MockResponse(data=data, status_code=status, content_type="application/json")
        errors = self._quiet(lambda: list(self._openapi.api.iter_response_errors(req, resp)))
        if status >= 500:
            errors = [e for e in errors if not isinstance(e, ResponseNotFound)]
        out = []
        for e in errors:
            if isinstance(e, ResponseNotFound):
                out.append(
                    Violation(
                        "",
                        f"Status {status} is not documented for {method} {path}",
                        "SPEC_UNDOCUMENTED_STATUS",
                    )
                )
            else:
                out.extend(_openapi_violations([e]))
        return _dedupe([*out, *extra])

    # ---- gateway

    def check_gateway(self, frame: dict[str, Any]) -> list[Violation]:
        """Violations in a server-to-client gateway frame (op 0 by `t`; other ops when the schema has them)."""
        if not isinstance(frame, dict):
            return [Violation("", "Gateway frame must be a JSON object", "MODEL_TYPE_CONVERT")]
        gw = self._gateway
        op = frame.get("op")
        if op == 0:
            t = frame.get("t")
            definition = gw.event_map.get(t) if isinstance(t, str) else None
            if definition is None:
                return [Violation("t", f"Unknown dispatch event {t!r}", "SPEC_UNKNOWN_EVENT")]
        else:
            definition = gw.op_map.get(op) if isinstance(op, int) else None
            if definition is None:
                return []
        return _dedupe(_schema_violations(gw.validator(definition).iter_errors(frame)))

    def gateway_events(self) -> list[str]:
        """Dispatch event names the schema knows."""
        return sorted(self._gateway.event_map)
