"""PGT core: environments, the goal-conditioned policy, rollouts, preference losses and latent tuning.

This package has no UI and never imports `labeler`.
"""

LATENT_DIM = 512
