"""The instructions annotators read before their first answer, when the researcher wrote none.

They say what "better" means in words of the goal and when to use each non-committal answer: a person who is
not told when "tie", "both bad" or "unsure" apply uses them inconsistently, and those answers carry no gradient.
"""
from __future__ import annotations

TEMPLATE = """Goal: {goal}.

Judge what the agent does, not how the video looks.
- Better: the episode that gets closer to the goal, or reaches it sooner and more surely.
- Tie: both do equally well (or equally badly, but each makes some progress).
- Both bad: neither makes any progress toward the goal.
- Unsure: you cannot tell (the important moment is off screen, too fast, or the videos did not play).
One episode at a time: good = it reaches the goal or clearly works toward it; bad = it does not.
Several at once: pick the best and the worst first; order the rest only if you are sure."""


def default_instructions(goal: str) -> str:
    """Guidance for a task whose researcher gave none; `goal` is the task's description (what success looks like)."""
    goal = goal.strip().rstrip(".") or "do what the prompt clip shows"
    return TEMPLATE.format(goal=goal[:1].lower() + goal[1:])
