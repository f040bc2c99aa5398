"""The house rules of the package layout, checked on the source itself.

Imports follow the data arrow (io -> text -> match -> story -> index -> pipeline -> report
-> api -> cli): a module never imports one in a higher room, no two modules import each
other (directly or through others), only ``dedup.cli`` imports click, and modules and
functions stay small enough to read, unless a written reason says otherwise.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dedup"

# Rooms in the order data flows through them; a module may import its own room or lower ones.
ROOMS = {
    "dedup._version": 0, "dedup.errors": 0, "dedup.document": 0, "dedup.workers": 0, "dedup.spools": 0,
    "dedup.io": 1, "dedup.text": 2, "dedup.match": 3, "dedup.story": 4, "dedup.index": 5,
    "dedup.pipeline": 6, "dedup.batches": 6, "dedup.forked": 6, "dedup.verifying": 6, "dedup.packing": 6, "dedup.report": 7, "dedup.evaluate": 7, "dedup.api": 8, "dedup.spark": 8,
    "dedup.cli": 9, "dedup.__main__": 10, "dedup": 10,
}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# Longer than the limits above, with the reason.
LONG_FUNCTIONS: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def room_of(name: str) -> int:
    while name not in ROOMS:
        if "." not in name:
            raise AssertionError(f"{name} belongs to no room: add it to ROOMS in {__file__}")
        name = name.rsplit(".", 1)[0]
    return ROOMS[name]


def imports_of(name: str, top_level_only: bool) -> set[str]:
    """The dedup modules ``name`` imports (``from dedup.x import y`` counts y when it is a module)."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & MODULES.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):  # names defined in the module itself
                found.add(node.module)
    return {m for m in found if m in MODULES and m != name}


def test_every_module_has_a_room():
    for name in MODULES:
        room_of(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_follow_the_arrow(name):
    for target in imports_of(name, top_level_only=False):
        if target == "dedup":  # the package itself only re-exports the API
            raise AssertionError(f"{name} imports the top-level package; import the module that defines the name")
        assert room_of(target) <= room_of(name), f"{name} (room {room_of(name)}) imports {target} (room {room_of(target)})"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target, path + [target])
                if found:
                    return found
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            found = visit(name, [name])
            if found:
                return found
    return None


def test_no_import_cycles():
    cycle = find_cycle({name: imports_of(name, top_level_only=True) for name in MODULES})
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_check_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_only_the_cli_imports_click():
    for name, path in MODULES.items():
        if name.startswith("dedup.cli"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            assert not any(n == "click" or n.startswith("click.") for n in names), f"{name} imports click"


def test_modules_and_functions_stay_small():
    too_long = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"module {name}: {lines} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                key = f"{name}.{node.name}"
                if length > MAX_FUNCTION_LINES and key not in LONG_FUNCTIONS:
                    too_long.append(f"function {key}: {length} lines")
    assert not too_long, "over the size limits without a written reason: " + "; ".join(too_long)
