"""Item scheduling: unseen first, k annotators per item, never twice to one person, leases."""
from __future__ import annotations

from labeler.db.label_index import ItemStat
from labeler.domain.leases import Leases
from labeler.domain.scheduling import build_label_pairs, choose_next, eligible, progress


def stat(pid, n=0, seen=False, rnd=1, kind="p", skipped=False):
    return ItemStat(item=f"{kind}{pid}", round_id=rnd, n_labels=n, seen=seen, skipped=skipped)


def test_never_the_same_pair_twice_and_at_most_k():
    stats = [stat(1, n=1, seen=True), stat(2, n=3), stat(3, n=2), stat(4, n=0)]
    assert [s.pair_id for s in eligible(stats, k=3)] == [3, 4]
    assert choose_next(stats, k=3).pair_id == 4  # least-labelled first
    assert choose_next(stats, k=3, exclude=["p4"]).pair_id == 3
    assert choose_next(stats, k=3, exclude=["p3", "p4"]) is None


def test_newest_round_first_and_leases_count_toward_k():
    stats = [stat(1, rnd=1), stat(2, rnd=2), stat(3, rnd=2)]
    assert choose_next(stats, k=1).pair_id == 2
    assert choose_next(stats, k=1, leased_by_others={"p2": 1}).pair_id == 3
    assert choose_next(stats, k=1, leased_by_others={"p2": 1, "p3": 1}).pair_id == 1
    assert choose_next(stats, k=2, leased_by_others={"p2": 1}).pair_id == 3  # spread before doubling up


def test_progress_counts_this_annotator():
    stats = [stat(1, n=1, seen=True), stat(2, n=2), stat(3, n=0), stat(4, n=0, seen=True)]
    p = progress(stats, k=2)
    assert (p.done, p.total, p.pairs, p.complete) == (2, 3, 4, 1)


def test_progress_separates_skips_from_answers():
    stats = [stat(1, n=1, seen=True), stat(2, n=0, seen=True, skipped=True), stat(3, kind="q")]
    p = progress(stats, k=2).as_dict()
    assert (p["done"], p["skipped"], p["labelled"], p["total"], p["pairs"]) == (2, 1, 1, 3, 3)


def test_pairs_and_questions_share_one_queue():
    stats = [stat(1, n=1, rnd=1), stat(1, kind="q", rnd=2), stat(2, kind="q", n=1, rnd=2)]
    assert choose_next(stats, k=2).item == "q1"  # newest round, least answered
    assert choose_next(stats, k=2, exclude=["q1"]).item == "q2"
    assert choose_next(stats, k=2, exclude=["q1", "q2"]).item == "p1"


def test_leases_expire_and_ignore_own():
    now = [0.0]
    leases = Leases(ttl_s=10, clock=lambda: now[0])
    leases.hold(1, "ann")
    leases.hold(1, "bob")
    assert leases.held_by_others("ann") == {1: 1}
    leases.release(1, "bob")
    assert leases.held_by_others("ann") == {}
    assert leases.held_by_others("zed") == {1: 1}
    now[0] = 11.0
    assert leases.held_by_others("zed") == {}


def test_a_persons_other_tabs_hold_their_pairs():
    leases = Leases()
    leases.hold(1, "ann", client="tab-a")
    leases.hold(2, "ann", client="tab-b")
    assert leases.held_in_other_tabs("ann", "tab-a") == {2}
    assert leases.held_in_other_tabs("ann", "tab-b") == {1}
    assert leases.held_by_others("ann") == {}  # still one person towards k
    leases.release(1, "ann")  # answered in one tab: free in all
    assert leases.held_in_other_tabs("ann", "tab-b") == set()


def test_leases_are_bounded_per_person_and_per_address():
    leases = Leases(per_annotator=2, per_address=3)
    for pair in (1, 2, 3):
        leases.hold(pair, "ann", address="10.0.0.1")
    assert leases.held_by_others("x") == {2: 1, 3: 1}  # ann's oldest lease went first
    for k, name in enumerate(("p1", "p2", "p3", "p4")):  # made-up names from one address
        leases.hold(10 + k, name, address="10.0.0.9")
    assert sorted(leases.held_by_others("x")) == [2, 3, 11, 12, 13]
    leases.hold(20, "real", address="10.0.0.2")  # someone elsewhere is not affected
    assert 20 in leases.held_by_others("x")


def test_build_label_pairs_unique_and_covering():
    ids = [f"t{i}" for i in range(24)]
    pairs = build_label_pairs(ids, per_traj=4, seed=1)
    assert len(pairs) == 48 and len(set(pairs)) == 48
    assert all(a < b for a, b in pairs)
    counts = {i: 0 for i in ids}
    for a, b in pairs:
        counts[a] += 1
        counts[b] += 1
    assert min(counts.values()) >= 2
    assert build_label_pairs(ids, 4, seed=1) == pairs  # deterministic
    assert len(build_label_pairs(["a", "b", "c"], per_traj=10)) == 3  # all possible pairs
    assert build_label_pairs(["a"]) == []
