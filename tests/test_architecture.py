"""The layout's rules, checked on the source: pgt_core stands alone, no import cycles, small modules, and no
module reaching into another one's private members."""
from __future__ import annotations

import ast
from collections import defaultdict

from tests.support.imports import cycles, import_graph, module_files

MAX_LINES = 400


def test_pgt_core_never_imports_labeler():
    bad = {m: sorted(d for d in deps if d.startswith("labeler")) for m, deps in import_graph().items()
           if m.startswith("pgt_core")}
    assert not {m: d for m, d in bad.items() if d}


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_is_over_the_size_limit():
    sizes = {m: len(p.read_text().splitlines()) for m, p in module_files().items()}
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}


def _private_definitions(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def private_leaks(trees: dict[str, ast.AST]) -> list[str]:
    defined = {m: _private_definitions(t) for m, t in trees.items()}
    owners: dict[str, set[str]] = defaultdict(set)
    for m, names in defined.items():
        for n in names:
            owners[n].add(m)
    leaks = []
    for m, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in owners and m not in owners[node.attr]:
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    leaks.append(f"{m}:{node.lineno} .{node.attr} (private to {sorted(owners[node.attr])})")
            elif isinstance(node, ast.ImportFrom):
                leaks += [f"{m}:{node.lineno} imports {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    return leaks


def test_no_private_member_is_used_across_modules():
    assert private_leaks({m: ast.parse(p.read_text(), str(p)) for m, p in module_files().items()}) == []


def test_the_leak_finder_finds_leaks():
    trees = {"a": ast.parse("class S:\n    def _q(self):\n        return self._con\n"),
             "b": ast.parse("def f(s):\n    return s._q()\n"), "c": ast.parse("from a import _q\n")}
    assert private_leaks(trees) == ["b:2 ._q (private to ['a'])", "c:1 imports _q"]
