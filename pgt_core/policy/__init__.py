"""The goal-conditioned foundation policy, its training and its checkpoint."""
from pgt_core.policy.model import GoalConditionedPolicy, PolicyConfig

__all__ = ["GoalConditionedPolicy", "PolicyConfig"]
