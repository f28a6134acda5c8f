"""Preference losses against hand computations; ties and both_bad never reach DPO."""
import math

import numpy as np
import pytest
import torch

from pgt_core.losses import bc_positive_loss, dpo_loss, ipo_loss
from pgt_core.pairs import Pair, preference_indices

PI_W = torch.tensor([-10.0, -20.0])
PI_L = torch.tensor([-12.0, -18.0])
REF_W = torch.tensor([-11.0, -20.0])
REF_L = torch.tensor([-11.0, -20.0])


def test_dpo_loss_matches_a_hand_computation():
    loss, m = dpo_loss(PI_W, PI_L, REF_W, REF_L, beta=0.1)
    # pair 1: h = (-10 + 12) - (-11 + 11) = 2  -> -log sigmoid(0.2)
    # pair 2: h = (-20 + 18) - (-20 + 20) = -2 -> -log sigmoid(-0.2)
    expected = 0.5 * (math.log1p(math.exp(-0.2)) + math.log1p(math.exp(0.2)))
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    # implicit rewards beta * (pi - ref): chosen [0.1, 0.0], rejected [-0.1, 0.2]
    assert m["chosen_reward"] == pytest.approx(0.05)
    assert m["rejected_reward"] == pytest.approx(0.05)
    assert m["margin"] == pytest.approx(0.0, abs=1e-7)
    assert m["accuracy"] == pytest.approx(0.5)


def test_dpo_loss_at_the_reference_is_log_2_and_its_gradient_prefers_the_winner():
    pi_w = torch.tensor([-5.0], requires_grad=True)
    pi_l = torch.tensor([-5.0], requires_grad=True)
    loss, m = dpo_loss(pi_w, pi_l, pi_w.detach(), pi_l.detach())
    assert loss.item() == pytest.approx(math.log(2))
    assert m["accuracy"] == 0.5 and m["zero_margin"] == 1.0  # no opinion at the reference: a coin flip, not wrong
    loss.backward()
    assert pi_w.grad.item() == pytest.approx(-0.05) and pi_l.grad.item() == pytest.approx(0.05)
    smoothed, _ = dpo_loss(PI_W, PI_L, REF_W, REF_L, beta=0.1, label_smoothing=0.2)
    assert smoothed.item() > 0


def test_ipo_loss_matches_a_hand_computation_and_pulls_ties_to_zero():
    loss, _ = ipo_loss(PI_W, PI_L, REF_W, REF_L, beta=0.1)
    assert loss.item() == pytest.approx(((2 - 5) ** 2 + (-2 - 5) ** 2) / 2)
    tied, m = ipo_loss(PI_W, PI_L, REF_W, REF_L, beta=0.1, ties=torch.tensor([False, True]))
    assert tied.item() == pytest.approx(((2 - 5) ** 2 + (-2 - 0) ** 2) / 2)
    assert m["accuracy"] == 1.0  # metrics over the decisive pair only


def test_bc_positive_loss_is_the_mean_nll_per_step():
    loss, m = bc_positive_loss(torch.tensor([-10.0, -30.0]), torch.tensor([5, 10]))
    assert loss.item() == pytest.approx((2.0 + 3.0) / 2) and m["nll"] == pytest.approx(2.5)
    assert bc_positive_loss(torch.tensor([-4.0]))[0].item() == pytest.approx(4.0)


def test_empty_or_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        dpo_loss(*(torch.zeros(0),) * 4)
    with pytest.raises(ValueError, match="one shape"):
        dpo_loss(torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2))


def test_ties_and_both_bad_are_kept_as_records_but_excluded_from_dpo():
    pairs = [Pair(0, 1, "left"), Pair(2, 3, "tie"), Pair(4, 1, "right"), Pair(3, 0, "both_bad")]
    w, lose, tie = preference_indices(pairs)
    assert w.tolist() == [0, 1] and lose.tolist() == [1, 4] and not tie.any()
    w, lose, tie = preference_indices(pairs, include_ties=True)  # IPO may use ties
    assert w.tolist() == [0, 2, 1] and tie.tolist() == [False, True, False]
    by_id = preference_indices([Pair("a", "b", "right")], index_of={"a": 7, "b": 9})
    assert by_id[0].tolist() == [9] and by_id[1].tolist() == [7]
    assert isinstance(w, np.ndarray)


def test_weights_make_the_loss_a_weighted_mean():
    losses = [dpo_loss(PI_W[k:k + 1], PI_L[k:k + 1], REF_W[k:k + 1], REF_L[k:k + 1])[0].item() for k in range(2)]
    weighted, _ = dpo_loss(PI_W, PI_L, REF_W, REF_L, weights=torch.tensor([3.0, 1.0]))
    assert weighted.item() == pytest.approx((3 * losses[0] + losses[1]) / 4, abs=1e-6)
    same, _ = dpo_loss(PI_W, PI_L, REF_W, REF_L, weights=torch.tensor([0.2, 0.2]))
    assert same.item() == pytest.approx(dpo_loss(PI_W, PI_L, REF_W, REF_L)[0].item(), abs=1e-6)
    ipo, _ = ipo_loss(PI_W, PI_L, REF_W, REF_L, weights=torch.tensor([1.0, 0.0]))
    assert ipo.item() == pytest.approx((2 - 5) ** 2)
