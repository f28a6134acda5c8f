"""The shipped foundation checkpoint is really goal-conditioned, and PGT really improves it.

The first check runs in the default suite (about half a minute): on fixed evaluation worlds, the
collect_wood prompt must clearly beat another task's prompt. The second (`pytest -m slow`, a few
minutes) runs one full-size PGT round on collect_wood and asserts success goes up.
"""
from __future__ import annotations

import pytest
import torch

from pgt_core.evaluate import eval_seeds, success_rate
from pgt_core.policy.checkpoint import DEFAULT_CHECKPOINT, load_foundation
from pgt_core.tasks import get_task

pytestmark = pytest.mark.skipif(not DEFAULT_CHECKPOINT.exists(), reason="shipped checkpoint not built")


def test_prompt_steers_the_policy():
    torch.set_num_threads(1)
    f = load_foundation()
    task, seeds = get_task("collect_wood"), eval_seeds(24)
    own = success_rate(f, f.prompt_latent("collect_wood"), task, seeds, batch_size=24)
    other = success_rate(f, f.prompt_latent("collect_drink"), task, seeds, batch_size=24)
    assert own >= 0.25 and own >= other + 0.2, (own, other)


@pytest.mark.slow
def test_one_pgt_round_improves_collect_wood(tmp_path):
    from pgt_core.reproduce import ReproConfig, reproduce

    cfg = ReproConfig(tasks=["collect_wood"], rounds=1, episodes=300, eval_episodes=100)
    success = reproduce(cfg, tmp_path)["tasks"]["collect_wood"]["success"]
    assert success["pgt_1"]["id"] >= success["z0"]["id"] + 0.1
    assert success["pgt_1"]["ood"] >= success["z0"]["ood"] + 0.1
