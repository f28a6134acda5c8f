"""Atomic writes: readers see the old file or the new one; the exclusive mode never replaces an existing file."""
from __future__ import annotations

import os
import stat
import threading

import pytest

from pgt_core.atomic import atomic_path, write_atomic


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".tmp-"))


def test_replace_mode_swaps_the_file_and_leaves_no_temporary_behind(tmp_path):
    target = tmp_path / "sub" / "result.json"
    write_atomic(target, "old")
    write_atomic(target, b"new", mode=0o600)
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(target.parent) == []


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = write_atomic(tmp_path / "f", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old" and leftovers(tmp_path) == []


def test_exclusive_mode_publishes_a_new_name(tmp_path):
    target = write_atomic(tmp_path / "tokens.json", "{}", mode=0o600, exclusive=True)
    assert target.read_text() == "{}" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_exclusive_mode_never_replaces_an_existing_file(tmp_path):
    target = write_atomic(tmp_path / "a.npz", "first")
    with pytest.raises(FileExistsError):
        write_atomic(target, "second", exclusive=True)
    assert target.read_text() == "first" and leftovers(tmp_path) == []


def test_exclusive_mode_lets_the_caller_judge_the_new_content_against_the_existing_file(tmp_path):
    target = write_atomic(tmp_path / "a.npz", "same")
    seen = []

    def judge(tmp):
        seen.append(tmp.read_text())
        if tmp.read_text() != target.read_text():
            raise ValueError("other content")

    with atomic_path(target, exclusive=True, if_exists=judge) as tmp:  # a resend: kept, no error
        tmp.write_text("same")
    with pytest.raises(ValueError), atomic_path(target, exclusive=True, if_exists=judge) as tmp:
        tmp.write_text("different")
    assert seen == ["same", "different"] and target.read_text() == "same" and leftovers(tmp_path) == []


def test_racing_exclusive_writers_one_wins_and_everyone_reads_its_content(tmp_path):
    target, start = tmp_path / "tokens.json", threading.Barrier(8)
    outcomes: list[str] = []

    def writer(i: int) -> None:
        start.wait(timeout=10)
        try:
            write_atomic(target, f"writer {i}", exclusive=True)
            outcomes.append("won")
        except FileExistsError:
            outcomes.append("lost")

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(outcomes) == ["lost"] * 7 + ["won"]
    assert target.read_text().startswith("writer ") and leftovers(tmp_path) == []
    assert os.stat(target).st_nlink == 1  # the temporary link is gone
