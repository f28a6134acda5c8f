"""The demonstrator reaches its goals, and demonstrations carry goal segments for hindsight labels."""
from pgt_core.policy.demos import record_demo
from pgt_core.scripted_agent import GOALS


def test_demonstrations_reach_most_goals():
    reached = attempted = 0
    for seed in range(4):
        tr = record_demo(seed, length=150)
        for goal, _start, end, noise in tr.meta["segments"]:
            assert goal in GOALS and 0 <= noise < 1
            attempted += 1
            if end is not None:
                reached += 1
                assert goal in [name for step, name in tr.events if step == end]
    assert attempted >= 4 and reached / attempted > 0.6


def test_demo_is_a_function_of_its_seed():
    a, b = record_demo(11, length=60), record_demo(11, length=60)
    assert (a.actions == b.actions).all() and a.meta == b.meta
