"""The layout's rules, checked on the source: pgt_core stands alone, no import cycles, small modules, and no
module reaching into another one's private members (tests and benchmarks included)."""
from __future__ import annotations

import ast

from tests.support.imports import cycles, import_graph, module_files, source_files
from tests.support.private_members import private_leaks

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


def test_no_private_member_is_used_across_modules():
    files = source_files()
    assert {"labeler.db.store", "tests.test_architecture", "benchmarks.bench_round", "app"} <= set(files)
    assert private_leaks({m: ast.parse(p.read_text(), str(p)) for m, p in files.items()}) == []


def leaks(**sources: str) -> list[str]:
    return private_leaks({name: ast.parse(text) for name, text in sources.items()})


def test_the_leak_finder_finds_leaks():
    a = "class S:\n    def _q(self):\n        return self._q, self._inherited\n"
    assert leaks(a=a, b="def f(s):\n    return s._q()\n", c="from a import _q\n") == [
        "a:3 ._inherited (private to ['another package'])", "b:2 ._q (private to ['a'])", "c:1 imports _q"]


def test_a_private_name_of_ones_own_does_not_open_anothers():
    b = ("class B:\n    def __init__(self, store):\n        self._lock = None\n        self.store = store\n"
         "    def f(self):\n        return self.store._lock, self._lock\n")
    assert leaks(a="class S:\n    _lock = None\n", b=b) == ["b:6 ._lock (private to ['a', 'b'])"]


def test_objects_of_the_modules_own_classes_may_use_its_privates():
    a = ("class S:\n    def __init__(self):\n        self._n = 0\n"
         "    def same(self, other: 'S | None') -> bool:\n        return other._n == self._n\n"
         "def make():\n    s = S()\n    s._n = 1\n    return S._n if s else None\n")
    assert leaks(a=a) == []


def test_private_names_in_strings_are_leaks_too():
    t = ("import os\nfrom unittest import mock\nfrom a import S\n"
         "def test(monkeypatch):\n    getattr(S, '_q')\n    monkeypatch.setattr(S, '_q', len)\n"
         "    monkeypatch.setattr('a._helper', len)\n    mock.patch.object(S, '_q')\n    os._exit(0)\n"
         "    getattr(S, '__name__'), setattr(S, 'public', 1)\n")
    assert [x.split(" (")[0] for x in leaks(a="class S:\n    def _q(self): ...\n", t=t)] == [
        "t:5 ._q", "t:6 ._q", "t:7 ._helper", "t:8 ._q", "t:9 ._exit"]
