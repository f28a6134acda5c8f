"""The simulated person: correct answers without noise, the stated error rate with it, the clock."""
import numpy as np

from pgt_core.feedback import pairs_from_ranking
from pgt_core.human_time import SecondsModel
from pgt_core.simulated_person import Episode, SimulatedPerson
from pgt_core.stats import success_rate

EPS = [Episode(0, 0.0, 26), Episode(1, 1.4, 26), Episode(2, 0.0, 26), Episode(3, 1.1, 26)]


def test_a_noiseless_person_judges_by_outcome():
    p = SimulatedPerson(noise=0.0, seed=0)
    assert p.pairwise(EPS[1], EPS[0])[0].choice == "left" and p.pairwise(EPS[0], EPS[3])[0].choice == "right"
    assert p.pairwise(EPS[0], EPS[2])[0].choice == "both_bad"
    assert [p.grade(e)[0] for e in EPS] == ["bad", "good", "bad", "good"]
    ranking, seconds = p.best_worst(EPS)
    assert ranking.best == 1 and ranking.worst in (0, 2) and seconds == SecondsModel().answer("best_of_k", [26] * 4)
    same, _ = p.best_worst([EPS[0], EPS[2]])
    assert pairs_from_ranking(same) == []  # all look the same: no picks


def test_noise_is_the_share_of_wrong_answers():
    p = SimulatedPerson(noise=0.2, seed=1)
    wrong = [p.grade(EPS[1])[0] == "bad" for _ in range(2000)]
    assert success_rate(wrong).interval.contains(0.2)
    wrong_best = [p.best_worst(EPS)[0].best != 1 for _ in range(2000)]
    assert success_rate(wrong_best).interval.contains(0.2)
    wrong_pair = [p.pairwise(EPS[1], EPS[3])[0].choice != "left" for _ in range(2000)]
    assert success_rate(wrong_pair).interval.contains(0.2)
    picks = [p.best_worst(EPS)[0] for _ in range(200)]
    assert all(r.best != r.worst for r in picks) and len({r.worst for r in picks}) == 4
    assert np.mean([p.grade(EPS[0])[1] for _ in range(3)]) == SecondsModel().answer("per_episode", [26])
