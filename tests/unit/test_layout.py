"""The layout tells the truth: `bot/` holds what features share, each feature lives in `cogs/<feature>/`."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "cogs")

# Shared infrastructure that one feature happens to be the only user of so far. Each entry says why it
# belongs to the runtime rather than to that feature.
SHARED_WITH_ONE_USER: dict[str, str] = {}


def module_name(path: Path) -> str:
    """Return the dotted module name of a file under the repository root."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the bot and its features, by dotted name."""
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def _runtime_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Walk the tree, skipping `if TYPE_CHECKING:` blocks (imports only type checkers follow)."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


@cache
def imports_of(name: str) -> frozenset[str]:
    """Return the project modules `name` imports at run time, inside functions too."""
    known = modules()
    nodes = _runtime_nodes(ast.parse(known[name].read_text(encoding="utf-8")))
    package = name if known[name].name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in nodes:
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            if target in known and target != name:
                found.add(target)
    return frozenset(found)


def feature_of(name: str) -> str | None:
    """Return the feature package a module belongs to (`cogs.polls._views` -> `polls`), if any."""
    parts = name.split(".")
    return parts[1] if parts[0] == "cogs" and len(parts) > 1 else None


def users(name: str) -> set[str]:
    """Return who uses a `bot/` module at run time: feature names, or `runtime` for the wiring.

    A `bot/` module used by another `bot/` module counts through that module's users, so shared code
    reached only through one feature's helpers is still that feature's.
    """
    found: set[str] = set()
    seen = {name}
    todo = [name]
    while todo:
        current = todo.pop()
        for other in modules():
            if current not in imports_of(other) or other in seen:
                continue
            feature = feature_of(other)
            if feature is not None:
                found.add(feature)
            elif other in ("bot.__main__", "bot.client") or other.startswith("bot.store"):
                found.add("runtime")
            elif not other.startswith(name + "."):
                seen.add(other)
                todo.append(other)
    return found


def test_every_bot_module_serves_more_than_one_feature():
    single = {}
    for name in modules():
        if feature_of(name) is not None or name.split(".")[0] != "bot" or name in SHARED_WITH_ONE_USER:
            continue
        who = users(name)
        if len(who) == 1 and "runtime" not in who:
            single[name] = who.pop()
    assert not single, (
        "these bot/ modules serve one feature; move them into that feature's package under cogs/ "
        f"(or list them in SHARED_WITH_ONE_USER with the reason): {single}"
    )


def test_allow_list_is_current():
    for name in SHARED_WITH_ONE_USER:
        assert name in modules(), f"{name} is allow-listed but does not exist"
        assert len(users(name)) == 1, f"{name} now serves {sorted(users(name))}; drop it from the allow-list"


def readme_layout() -> dict[str, str]:
    """Return the README's "where each feature lives" table as {path: what}."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Where each feature lives", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| *([^|]+?) *\| *([^|]+?) *\|$", section, flags=re.MULTILINE)
    table: dict[str, str] = {}
    for what, where in rows[2:] if rows and rows[0][0] == "Feature" else rows:
        for path in re.findall(r"`([^`]+)`", where):
            table[path] = what
    return table


def _covers(listed: str, path: str) -> bool:
    """Whether a table entry names `path`, a folder holding it, or something inside the package `path`."""
    return listed == path or path.startswith(listed + "/") or listed.startswith(path + "/")


def test_readme_layout_table_matches_the_tree():
    table = readme_layout()
    assert table, "README.md's Development section needs its '### Where each feature lives' table"
    missing = [path for path in table if not (ROOT / path).exists()]
    assert not missing, f"the README's layout table names paths that do not exist: {missing}"
    features = sorted(p.name for p in (ROOT / "cogs").iterdir() if (p / "__init__.py").exists())
    listed = {Path(path).parts[1] for path in table if path.startswith("cogs/") and len(Path(path).parts) > 1}
    assert listed == set(features), f"features in cogs/: {features}; in the README table: {sorted(listed)}"
    shared = sorted(
        f"bot/{p.name}"
        for p in (ROOT / "bot").iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").exists())
        and p.name not in ("__init__.py", "__pycache__")
    )
    unlisted = [path for path in shared if not any(_covers(t.rstrip("/"), path) for t in table)]
    assert not unlisted, f"bot/ modules missing from the README's layout table: {unlisted}"


@cache
def edges_of(name: str) -> frozenset[str]:
    """Return the modules `name` needs at import or call time, for cycle checking.

    `from package import submodule` needs the submodule, not the package's other contents; a module's
    own parent packages are always initialised before it runs, so an edge to them is not counted.
    """
    known = modules()
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, len(name.split(".")))}
    direct = {t for t in imports_of(name) if t not in ancestors}
    # Keep `pkg.sub` and drop `pkg` when the only reason `pkg` is there is `from pkg import sub`.
    via_package_only: set[str] = set()
    plain: set[str] = set()
    for node in _runtime_nodes(ast.parse(known[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            submodules = all(f"{node.module}.{alias.name}" in known for alias in node.names)
            (via_package_only if submodules else plain).add(node.module)
    return frozenset(t for t in direct if t not in via_package_only or t in plain)


def import_cycles(edges: Callable[[str], Iterable[str]] = edges_of) -> list[list[str]]:
    """Return every strongly connected group of two or more modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for name in modules():
        if name not in index:
            visit(name)
    return groups


def test_no_import_cycles_outside_type_checking():
    assert import_cycles() == [], "these modules import each other (outside TYPE_CHECKING); break the circle"


def test_the_cycle_check_sees_a_cycle():
    # The check itself: bot.client -> bot.services.discussions.service -> bot.client is one group.
    fake = {
        "bot.client": {"bot.services.discussions.service"},
        "bot.services.discussions.service": {"bot.client"},
    }
    assert import_cycles(lambda name: fake.get(name, set())) == [
        ["bot.client", "bot.services.discussions.service"]
    ]


def test_only_the_wiring_imports_the_client_at_run_time():
    allowed = {"bot.__main__"} | {
        name for name in modules() if name.startswith("cogs.") and name.count(".") == 1
    }
    importers = sorted(name for name in modules() if "bot.client" in imports_of(name) and name not in allowed)
    assert importers == [], (
        f"import bot.client only in bot/__main__.py, a feature's setup, or for type hints: {importers}"
    )


def bare_transactions(paths: Iterable[Path]) -> list[str]:
    """Return `file:line` of every `.transaction()` call in the given files."""
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "transaction"
            ):
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                found.append(f"{where}:{node.lineno}")
    return found


def test_writes_go_through_atomic_so_postgres_can_run_them_again():
    # `Database.transaction()` runs once: on PostgreSQL a conflicting write from another process would
    # reach the member as an error. `db.atomic(fn)` reruns fn instead; only the backends open transactions.
    # transfer.py copies a club in one asyncpg transaction of its own (into an empty database, never retried).
    backends = {ROOT / "bot" / "store" / n for n in ("db.py", "postgres.py", "transfer.py")}
    code = [p for folder in (*PACKAGES, "demo", "bench") for p in sorted((ROOT / folder).rglob("*.py"))]
    assert bare_transactions(p for p in code if p not in backends) == [], (
        "write with `await db.atomic(fn)` (or `execute_atomic`), not `async with db.transaction()`"
    )


def test_the_transaction_check_sees_one(tmp_path):
    sample = tmp_path / "repo.py"
    sample.write_text("async def f(self):\n    async with self._db.transaction() as tx:\n        pass\n")
    assert bare_transactions([sample]) == [f"{sample}:2"]
