"""The ipywidgets explorers. Thin by design: every explorer takes results computed elsewhere
(an EM trace, a posterior, a set of simulations) and its callbacks only index them and redraw.
No explorer computes EM, a forward-backward pass or a simulation inside a slider callback.

Each explorer has a static counterpart in the notebook (a small-multiples figure), so the
notebook reads on GitHub, in nbval and without a kernel.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# EM explorer (slides 12-13): lecture_utils.mixture traces
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Fish HMM explorers (slide 6): lecture_utils.hmm posteriors
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Election explorer (slides 7-8): lecture_utils.election simulations
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Bayesian recap explorers (slide 2): conjugate posteriors
# ---------------------------------------------------------------------------------------------
