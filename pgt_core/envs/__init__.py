"""Environment backends behind one interface (`GoalEnv`)."""
from pgt_core.envs.base import GoalEnv, StepResult, make_env

__all__ = ["GoalEnv", "StepResult", "make_env"]
