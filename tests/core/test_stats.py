"""Statistics against published values, pairing that matters, and coverage at the nominal rate."""
import math

import numpy as np
import pytest

from pgt_core.promotion_advice import promotion_advice
from pgt_core.stats import (
    compare_paired,
    episodes_for_difference_half_width,
    episodes_for_half_width,
    evaluation_plan,
    format_paired,
    format_rate,
    holm_adjust,
    mcnemar_exact_p,
    mean_relative_improvement,
    newcombe_paired_interval,
    success_rate,
    tally,
    wilson_half_width,
    wilson_interval,
    win_rate,
)


@pytest.mark.parametrize("k, n, low, high", [
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table II, method 3 (score)
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_matches_newcombe_1998(k, n, low, high):
    iv = wilson_interval(k, n)
    assert (iv.low, iv.high) == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))
    assert wilson_interval(n, n).high == 1.0 and wilson_interval(0, n).low == 0.0


def test_exact_mcnemar_matches_fagerland_2013():
    # Fagerland, Lydersen, Laake (2013), BMC Med Res Methodol 13:91: exact conditional McNemar tests
    assert mcnemar_exact_p(1, 7) == pytest.approx(0.0703, abs=5e-5)  # Bentur et al. (2009)
    assert mcnemar_exact_p(6, 16) == pytest.approx(0.0525, abs=5e-5)  # Cavo et al. (2012)
    assert mcnemar_exact_p(16, 6) == mcnemar_exact_p(6, 16)
    assert mcnemar_exact_p(0, 0) == 1.0 and mcnemar_exact_p(5, 5) == 1.0
    assert mcnemar_exact_p(0, 10) == pytest.approx(2 / 2 ** 10)


def test_newcombe_paired_interval_matches_fagerland_2014():
    # Fagerland, Lydersen, Laake, "Statistical Analysis of Contingency Tables" (2017), ch. 8:
    # Cavo et al. [[59, 6], [16, 80]]: first - second = -0.0621 (95% CI -0.1186 to -0.0046)
    iv = newcombe_paired_interval(59, 6, 16, 80)
    assert (iv.low, iv.high) == (pytest.approx(0.0046, abs=5e-5), pytest.approx(0.1186, abs=5e-5))
    first = [1] * 59 + [1] * 6 + [0] * 16 + [0] * 80
    second = [1] * 59 + [0] * 6 + [1] * 16 + [0] * 80
    c = compare_paired(first, second)
    assert c.difference == pytest.approx(10 / 161) and c.interval == iv
    assert (c.only_first, c.only_second, c.n) == (6, 16, 161)
    assert c.p_value == pytest.approx(0.0525, abs=5e-5) and not c.significant and c.verdict == "not significant"


def test_holm_adjustment_matches_a_hand_computation():
    assert holm_adjust([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_the_paired_p_value_changes_when_the_pairing_is_broken():
    rng = np.random.default_rng(3)
    z0 = rng.random(100) < 0.5
    tuned = z0.copy()
    tuned[np.flatnonzero(~z0)[:14]] = True  # 14 episodes gained, 2 lost: a consistent paired gain
    tuned[np.flatnonzero(z0)[:2]] = False
    paired = compare_paired(z0, tuned)
    broken = compare_paired(z0, rng.permutation(tuned))  # same rates, pairing destroyed
    assert paired.first.rate == broken.first.rate and paired.second.rate == broken.second.rate
    assert paired.p_value < 0.01 and paired.verdict == "significantly better"
    assert broken.p_value > 0.05 and broken.p_value != paired.p_value
    assert broken.interval.width > paired.interval.width


def test_a_small_evaluation_reads_not_significant_with_a_plain_summary():
    z0 = np.array([True] * 10 + [False] * 10)
    tuned = np.array([True] * 8 + [False] * 12)  # "50% -> 40%" on 20 seeds
    c = compare_paired(z0, tuned)
    assert c.verdict == "not significant" and c.worse_than_start
    text = c.summary()
    assert "50% -> tuned 40%" in text and "not significant" in text and "episodes would give +/-5 points" in text
    assert c.to_dict()["significant"] is False and format_paired(c).startswith("-10 [")
    assert format_rate(success_rate([1, 1, 0, 0])) == "50% [15-85]"


def test_success_rate_and_win_rate():
    r = success_rate([True, False, True, True])
    assert (r.successes, r.n, r.rate) == (3, 4, 0.75) and r.interval == wilson_interval(3, 4)
    w = win_rate(30, 20, 10)
    assert w.rate == pytest.approx(35 / 60) and w.interval == wilson_interval(35, 60)
    assert w.p_value == pytest.approx(mcnemar_exact_p(30, 20)) and not w.significant
    assert win_rate(40, 10).significant and win_rate(0, 0).rate == 0.5
    with pytest.raises(ValueError):
        win_rate(-1, 2)


def test_mean_relative_improvement_point_estimate_and_zero_baselines():
    first = {"a": [1, 1, 0, 0], "b": [1, 0, 0, 0], "c": [0, 0, 0, 0]}
    second = {"a": [1, 1, 1, 0], "b": [1, 1, 0, 0], "c": [1, 0, 0, 0]}
    r = mean_relative_improvement(first, second, n_boot=500)
    assert r.tasks == ("a", "b") and r.per_task == pytest.approx({"a": 0.5, "b": 1.0})
    assert r.estimate == pytest.approx(0.75) and r.interval.low <= r.estimate <= r.interval.high
    same = mean_relative_improvement({"a": [1, 0] * 20}, {"a": [1, 0] * 20}, n_boot=200)
    assert same.estimate == 0 and same.interval.low == same.interval.high == 0  # paired resampling: no noise


def test_sizing_an_evaluation_reaches_the_stated_width():
    n = episodes_for_half_width(0.5, 0.05)
    assert wilson_half_width(0.5, n) <= 0.05 < wilson_half_width(0.5, n - 1) and 370 < n < 390
    # normal approximation: n = z^2 (discordance - d^2) / h^2, textbook paired sample size
    assert episodes_for_difference_half_width(0.5, 0.6, 0.05, discordance=0.2) == \
        math.ceil(1.959964 ** 2 * (0.2 - 0.01) / 0.05 ** 2)
    independent = episodes_for_difference_half_width(0.5, 0.6, 0.05)
    assert independent > episodes_for_difference_half_width(0.5, 0.6, 0.05, discordance=0.2)
    plan = evaluation_plan(0.5, 0.6, 0.1, latents=3, seconds_per_episode=0.2, discordance=0.2)
    assert plan.seconds == pytest.approx(plan.episodes * 3 * 0.2) and plan.to_dict()["half_width"] == 0.1


def test_tally_counts_significant_changes():
    up = compare_paired([0] * 30, [1] * 20 + [0] * 10)
    down = compare_paired([1] * 30, [0] * 20 + [1] * 10)
    flat = compare_paired([1, 0] * 10, [0, 1] * 10)
    t = tally({"a": up, "b": down, "c": flat})
    assert (t.improved, t.worse, t.unclear, t.total) == (1, 1, 1, 3)
    assert t.sentence().startswith("1/3 tasks improved significantly")


# -- coverage: seeded simulations, the interval should hold the true value about 95% of the time --------
def test_wilson_intervals_cover_the_true_rate_at_about_the_nominal_frequency():
    rng = np.random.default_rng(0)
    for p, n in [(0.1, 40), (0.5, 20), (0.45, 100)]:
        ks = rng.binomial(n, p, size=2000)
        cover = np.mean([wilson_interval(int(k), n).contains(p) for k in ks])
        assert 0.92 <= cover <= 0.98, (p, n, cover)


def test_paired_intervals_cover_the_true_difference_and_the_test_holds_its_size():
    rng = np.random.default_rng(1)
    n, reps = 60, 1500
    difficulty = rng.random((reps, n))  # shared per episode: the same world is hard for both latents
    first, second = difficulty < 0.45, difficulty < 0.55  # strongly paired, true difference +0.10
    noise = rng.random((reps, n)) < 0.15  # and some episodes flip independently
    second = np.where(noise, rng.random((reps, n)) < 0.55, second)
    true_diff = 0.85 * 0.55 + 0.15 * 0.55 - 0.45
    results = [compare_paired(a, b) for a, b in zip(first, second, strict=True)]
    cover = np.mean([c.interval.contains(true_diff) for c in results])
    assert 0.93 <= cover <= 0.99, cover
    same = rng.random((reps, n)) < 0.5  # no true difference: exact McNemar rejects at most ~5%
    flips = np.where(rng.random((reps, n)) < 0.2, ~same, same)
    flips2 = np.where(rng.random((reps, n)) < 0.2, ~same, same)
    size = np.mean([compare_paired(a, b).significant for a, b in zip(flips, flips2, strict=True)])
    assert size <= 0.06, size


def test_bootstrap_relative_improvement_covers_the_true_value():
    rng = np.random.default_rng(2)
    rates = {"a": (0.4, 0.6), "b": (0.5, 0.6), "c": (0.3, 0.3), "d": (0.5, 0.7)}
    truth = np.mean([b / a - 1 for a, b in rates.values()])
    hits = []
    for rep in range(150):
        first, second = {}, {}
        for name, (pa, pb) in rates.items():
            u = rng.random(150)  # paired: one uniform per episode drives both latents
            first[name], second[name] = u < pa, u < pb
        hits.append(mean_relative_improvement(first, second, n_boot=400, seed=rep).interval.contains(truth))
    assert 0.88 <= np.mean(hits) <= 0.99, np.mean(hits)


def test_promotion_advice_names_significance_and_asks_before_promoting_a_worse_candidate():
    small = promotion_advice(compare_paired([1] * 10 + [0] * 10, [1] * 11 + [0] * 9))
    assert small.button == "Promote (not significant)" and not small.needs_confirmation and small.flag is None
    good = promotion_advice(compare_paired([0] * 30, [1] * 20 + [0] * 10))
    assert good.button == "Promote (significantly better)" and not good.needs_confirmation
    worse = promotion_advice(compare_paired([1] * 10 + [0] * 10, [1] * 8 + [0] * 12))
    assert worse.needs_confirmation and worse.button == "Promote anyway (not significant)"
    assert "-10 points" in worse.flag


def test_a_blind_ab_the_candidate_loses_asks_for_a_confirmation_and_one_it_wins_does_not():
    lost = promotion_advice(win_rate(2, 8, 0))
    assert lost.needs_confirmation and "20% of blind comparisons" in lost.flag
    won = promotion_advice(win_rate(18, 2, 0))
    assert not won.needs_confirmation and won.button == "Promote (significantly better)"
    assert win_rate(18, 2).verdict == "significantly better" and not win_rate(6, 4).significant


def test_difference_half_width_is_the_inverse_of_the_episode_count():
    from pgt_core.stats import difference_half_width, episodes_for_difference_half_width

    for p, hw in ((0.5, 0.1), (0.2, 0.05), (0.9, 0.15)):
        n = episodes_for_difference_half_width(p, p, hw)
        assert difference_half_width(p, p, n) <= hw < difference_half_width(p, p, n - 1)
