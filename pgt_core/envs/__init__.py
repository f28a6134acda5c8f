"""Environment backends behind one interface (`GoalEnv`)."""
from pgt_core.envs.base import GoalEnv, StepResult
from pgt_core.envs.registry import make_env

__all__ = ["GoalEnv", "StepResult", "make_env"]
