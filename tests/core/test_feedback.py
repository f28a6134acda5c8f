"""The one rule per feedback mode: pairs, groups and weights; group- and episode-wise held-out splits."""
import numpy as np
import pytest
import torch

from pgt_core.feedback import (
    SPLIT_BY,
    PairwiseAnswer,
    RankingAnswer,
    pairs_from_grades,
    pairs_from_pairwise,
    pairs_from_ranking,
    pairs_from_rankings,
)
from pgt_core.pairs import Pair, preference_rows
from pgt_core.tuning_data import Items, group_batches, split_items


def _ordered(pairs):
    return {(p.preferred, p.rejected) for p in pairs}


def test_pairwise_answers_are_one_pair_each():
    pairs = pairs_from_pairwise([PairwiseAnswer("a", "b", "left", 7), PairwiseAnswer("c", "a", "right"),
                                 PairwiseAnswer("b", "c", "skip"), PairwiseAnswer("b", "d", "tie")])
    assert [(p.i, p.j, p.label) for p in pairs] == [("a", "b", "left"), ("c", "a", "right"), ("b", "d", "tie")]
    assert len({p.group for p in pairs}) == 3 and all(p.weight == 1.0 for p in pairs)
    assert pairs[0].group == ("pairwise", 7)
    with pytest.raises(ValueError, match="unknown pairwise choice"):
        pairs_from_pairwise([PairwiseAnswer("a", "b", "maybe")])


def test_grades_give_every_good_x_bad_pair_of_the_same_latent():
    grades = {"g1": "good", "g2": "good", "b1": "bad", "b2": "bad", "b3": "bad", "u": "unsure", "x": "good",
              "y": "bad"}
    latent_of = {"g1": 1, "g2": 1, "b1": 1, "b2": 1, "b3": 1, "u": 1, "x": 2, "y": 3}
    pairs = pairs_from_grades(grades, latent_of)
    assert _ordered(pairs) == {(g, b) for g in ("g1", "g2") for b in ("b1", "b2", "b3")}  # x, y: other latents
    assert all(p.label == "left" and p.group is None for p in pairs)
    assert sum(p.weight for p in pairs) == pytest.approx(5)  # five decisions (2 good + 3 bad), one unit each
    with pytest.raises(ValueError, match="no latent"):
        pairs_from_grades({"a": "good"}, {})
    with pytest.raises(ValueError, match="unknown grade"):
        pairs_from_grades({"a": "great"}, {"a": 1})
    assert SPLIT_BY["per_episode"] == "episode" and SPLIT_BY["best_of_k"] == SPLIT_BY["pairwise"] == "group"


def test_best_and_worst_of_k_imply_2k_minus_3_pairs_in_one_group():
    pairs = pairs_from_ranking(RankingAnswer(("a", "b", "c", "d"), best="c", worst="a"), group=3)
    assert _ordered(pairs) == {("c", "a"), ("c", "b"), ("c", "d"), ("b", "a"), ("d", "a")}
    assert {p.group for p in pairs} == {("ranking", 3)} and sum(p.weight for p in pairs) == pytest.approx(2)
    best_only = pairs_from_ranking(RankingAnswer(("a", "b", "c"), best="b"))
    assert _ordered(best_only) == {("b", "a"), ("b", "c")} and sum(p.weight for p in best_only) == pytest.approx(1)
    worst_only = pairs_from_ranking(RankingAnswer(("a", "b", "c"), worst="b"))
    assert _ordered(worst_only) == {("a", "b"), ("c", "b")}
    assert pairs_from_ranking(RankingAnswer(("a", "b", "c"))) == []  # "all look the same"
    for bad in (RankingAnswer(("a", "b"), best="a", worst="a"), RankingAnswer(("a", "b"), best="z"),
                RankingAnswer(("a",), best="a")):
        with pytest.raises(ValueError):
            pairs_from_ranking(bad)


def test_a_full_order_implies_every_ordering_and_ties_share_a_tier():
    full = pairs_from_ranking(RankingAnswer(("a", "b", "c", "d"), order=(("d",), ("b",), ("a",), ("c",))))
    assert _ordered(full) == {("d", "b"), ("d", "a"), ("d", "c"), ("b", "a"), ("b", "c"), ("a", "c")}
    assert sum(p.weight for p in full) == pytest.approx(3)  # K - 1 decisions
    tied = pairs_from_ranking(RankingAnswer(("a", "b", "c", "d"), order=(("a",), ("b", "c"), ("d",))))
    assert _ordered(tied) == {("a", "b"), ("a", "c"), ("a", "d"), ("b", "d"), ("c", "d")}
    assert sum(p.weight for p in tied) == pytest.approx(2)
    with pytest.raises(ValueError, match="every episode"):
        pairs_from_ranking(RankingAnswer(("a", "b", "c"), order=(("a",), ("b",))))
    with pytest.raises(ValueError, match="not both"):
        pairs_from_ranking(RankingAnswer(("a", "b"), best="a", order=(("a",), ("b",))))
    many = pairs_from_rankings([RankingAnswer(("a", "b"), best="a"), RankingAnswer(("a", "b"), best="b")])
    assert len({p.group for p in many}) == 2


def _items(pairs, n):
    rows = preference_rows(pairs)
    assert max(rows.winners.max(), rows.losers.max()) < n
    return Items(*(torch.from_numpy(a) for a in (rows.winners, rows.losers, rows.ties, rows.groups)),
                 torch.from_numpy(rows.weights).float())


def test_held_out_splits_never_cut_a_ranking_and_episode_splits_share_no_episode():
    rankings = [RankingAnswer(tuple(range(4 * g, 4 * g + 4)), best=4 * g, worst=4 * g + 3) for g in range(20)]
    items = _items(pairs_from_rankings(rankings), 80)
    for seed in range(5):
        train, val = split_items(items, 0.2, np.random.default_rng(seed), "group")
        assert len(val) == 4 * 5 and not set(items.group[train].tolist()) & set(items.group[val].tolist())
        for batch in group_batches(items.take(train), 12, np.random.default_rng(seed)):
            codes = items.take(train).group[batch]
            assert all((items.take(train).group == c).sum() == (codes == c).sum() for c in codes.unique())
    grades = {k: ("good" if k % 3 == 0 else "bad") for k in range(30)}
    graded = _items(pairs_from_grades(grades, dict.fromkeys(grades, 0)), 30)
    train, val = split_items(graded, 0.3, np.random.default_rng(0), "episode")
    train_eps = set(graded.w[train].tolist()) | set(graded.lose[train].tolist())
    val_eps = set(graded.w[val].tolist()) | set(graded.lose[val].tolist())
    assert len(val) and len(train) and not train_eps & val_eps


def test_preference_rows_carry_groups_and_weights():
    pairs = [Pair(0, 1, "left", "r", 0.5), Pair(2, 1, "left", "r", 0.5), Pair(3, 4, "right"), Pair(5, 6, "tie")]
    rows = preference_rows(pairs)
    assert rows.groups.tolist() == [0, 0, 1] and rows.weights.tolist() == [0.5, 0.5, 1.0]
    assert rows.winners.tolist() == [0, 2, 4] and Pair.from_dict(pairs[0].to_dict()) == pairs[0]
    with pytest.raises(ValueError, match="weight"):
        Pair(0, 1, "left", None, 0.0)
