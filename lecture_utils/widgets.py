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


def _em_init_params(mu0: float, mu1: float, sigma: float, pi: float):
    """MixtureParams for the start (mu_0, mu_1, sigma, pi = P(male)) of the heights model."""
    import numpy as np

    from lecture_utils import mixture

    return mixture.MixtureParams(
        weights=np.array([1.0 - pi, pi]),
        means=np.array([mu0, mu1]),
        variances=np.array([sigma**2, sigma**2]),
    )


def _em_start_slider(description: str, value: float, lo: float, hi: float, step: float):
    """A start-value slider that reports only when released (so EM reruns once per change)."""
    import ipywidgets as widgets
    import numpy as np

    return widgets.FloatSlider(
        value=float(np.clip(value, lo, hi)),
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": "90px"},
        layout=widgets.Layout(width="330px"),
    )


class EMExplorer:
    """The interactive EM of slide 13; build it with :func:`em_explorer`.

    State changes and what they cost:

    - the iteration slider / Play button, and the E/M half-step toggle: index the precomputed
      :class:`~lecture_utils.em_plots.EMFrames`, update the artists, render one PNG;
    - a start control (mu_0, mu_1, sigma, pi), on release: one ``mixture.run_em`` and one
      ``em_frames``, then one redraw.
    """

    def __init__(
        self,
        x,
        trace,
        *,
        max_iter: int = 300,
        tol: float = 1e-6,
        shared_variance: bool = True,
        dpi: float = 90,
    ) -> None:
        import ipywidgets as widgets
        import numpy as np

        from lecture_utils import em_plots

        self.x = np.asarray(x, dtype=float)
        self.max_iter, self.tol, self.shared_variance, self.dpi = (
            max_iter,
            tol,
            shared_variance,
            dpi,
        )
        self.trace = trace
        self.frames = em_plots.em_frames(self.x, trace)
        self.figure = em_plots.EMFigure(self.frames)
        self.n_recomputes = 0
        self._hold = False
        T = self.frames.n_iter

        self.slider = widgets.IntSlider(
            value=0,
            min=0,
            max=T,
            step=1,
            description="iteration t",
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
        )
        self.slider.add_class("explorer-main-slider")
        self.play = widgets.Play(
            value=0, min=0, max=T, step=1, interval=400, description="play the iterations"
        )
        self.play_link = widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.half = widgets.ToggleButtons(
            options=[("after the E step", "E"), ("after the M step", "M")],
            value="E",
            tooltips=[
                "q(t) = p(z | x, θ(t)): the bound touches ℓ",
                "θ(t+1) = argmax L(q(t), θ): the bound's top",
            ],
            style={"button_width": "130px"},
        )
        self.readout = widgets.HTML()
        self.readout.add_class("explorer-readout")
        self.image = widgets.Image(format="png")
        self.image.add_class("explorer-figure")

        start = trace.params[0]
        lo, hi = float(np.floor(self.x.min())) - 5.0, float(np.ceil(self.x.max())) + 5.0
        self.controls = {
            "mu0": _em_start_slider("start μ₀ (in)", start.means[0], lo, hi, 0.5),
            "mu1": _em_start_slider("start μ₁ (in)", start.means[1], lo, hi, 0.5),
            "sigma": _em_start_slider("start σ (in)", np.sqrt(start.variances[0]), 0.5, 12.0, 0.1),
            "pi": _em_start_slider("start π (male)", start.weights[1], 0.02, 0.98, 0.01),
        }
        for control in self.controls.values():
            control.observe(self._restart, names="value")
        self.slider.observe(self._on_view_change, names="value")
        self.half.observe(self._on_view_change, names="value")

        controls = widgets.VBox(
            [
                widgets.HTML("<b>Start θ⁽⁰⁾</b> — EM is rerun once when you release a slider"),
                widgets.HBox([self.controls["mu0"], self.controls["mu1"]]),
                widgets.HBox([self.controls["sigma"], self.controls["pi"]]),
            ]
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.play, self.slider, self.half]),
                self.readout,
                self.image,
                controls,
            ]
        )
        self.widget.add_class("lecture-explorer")
        for name in ("slider", "readout", "image", "half", "play", "controls", "update"):
            setattr(self.widget, name, getattr(self, name))
        self.widget.explorer = self
        self.redraw()

    def update(self, t: int | None = None, half: str | None = None) -> None:
        """Show iteration ``t`` after the ``half`` ('E' or 'M') step, as the widgets would."""
        with self._holding():
            if t is not None:
                self.slider.value = int(t)
            if half is not None:
                self.half.value = half
        self.redraw()

    def redraw(self) -> None:
        """Index the precomputed frames, update the artists, render the PNG and the readout."""
        from lecture_utils import em_plots

        t, half = int(self.slider.value), self.half.value
        self.figure.show(t, half)
        self.image.value = self.figure.png(dpi=self.dpi)
        status = (
            "converged" if self.frames.converged else f"not converged after {self.frames.n_iter}"
        )
        self.readout.value = (
            f"<span style='font-size:0.95em'>{em_plots.describe_state(self.frames, t, half)}"
            f" · EM {status}</span>"
        )

    # -- callbacks --------------------------------------------------------------------------
    def _holding(self):
        explorer = self

        class _Hold:
            def __enter__(self):
                explorer._hold = True

            def __exit__(self, *exc):
                explorer._hold = False

        return _Hold()

    def _on_view_change(self, change) -> None:
        if not self._hold:
            self.redraw()

    def _restart(self, change) -> None:
        """A start value changed: run EM once from the new start, precompute, redraw once."""
        from lecture_utils import em_plots, mixture

        c = {name: control.value for name, control in self.controls.items()}
        init = _em_init_params(c["mu0"], c["mu1"], c["sigma"], c["pi"])
        self.trace = mixture.run_em(
            self.x, init, max_iter=self.max_iter, tol=self.tol, shared_variance=self.shared_variance
        )
        self.n_recomputes += 1
        self.frames = em_plots.em_frames(self.x, self.trace, shared_variance=self.shared_variance)
        self.figure.set_frames(self.frames)
        T = self.frames.n_iter
        with self._holding():
            self.slider.value = 0
            self.play.value = 0
            self.slider.max = T
            self.play.max = T
        self.redraw()


def em_explorer(
    x,
    trace,
    *,
    max_iter: int = 300,
    tol: float = 1e-6,
    shared_variance: bool = True,
    dpi: float = 90,
):
    """The interactive EM on the heights (slide 13): a slider over the iterations of ``trace``.

    Parameters
    ----------
    x : array_like, shape (n,)
        The heights (inches) the trace was run on.
    trace : EMTrace
        From :func:`lecture_utils.mixture.run_em` with K = 2; ``trace.params[0]`` is the start
        the start controls show.
    max_iter, tol, shared_variance :
        Passed to ``run_em`` when a start control changes.
    dpi : float
        Resolution of the rendered figure.

    Returns
    -------
    ipywidgets.VBox
        With class ``lecture-explorer`` and the attributes ``slider`` (iteration), ``half``
        (E/M toggle), ``play``, ``readout``, ``image``, ``controls`` (dict of the start sliders),
        ``update(t, half)`` and ``explorer`` (the :class:`EMExplorer`).
    """
    return EMExplorer(
        x, trace, max_iter=max_iter, tol=tol, shared_variance=shared_variance, dpi=dpi
    ).widget


# ---------------------------------------------------------------------------------------------
# Fish HMM explorers (slide 6): lecture_utils.hmm posteriors
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Election explorer (slides 7-8): lecture_utils.election simulations
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Bayesian recap explorers (slide 2): conjugate posteriors
# ---------------------------------------------------------------------------------------------
