"""The Derivation page: SymPy's derivation with numbers, checked against the core."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import fpsnn_core as fp

from ..derivation import derive, kernel_functions, t
from ..figures.kernel import kernel_figure
from .common import Chart, Notice

#: The page's default weight of the input.
DEFAULT_W = 4.5
#: Height in pixels of the figure in normal mode, and while presenting: whole, its axis
#: title included, on a 1280x720 screen below the title and the row of sliders.
FIGURE_HEIGHT, PRESENT_HEIGHT = 540, 480


@dataclass(frozen=True, eq=False)
class DerivationScene:
    """LaTeX steps, the figure and the derivative three ways (``None`` without a spike)."""

    steps: tuple
    chart: Chart
    f: float | None
    df_dw_sympy: float | None
    df_dw_fp: float | None
    df_dw_fd: float | None
    notices: tuple


def derivation_scene(
    tau_s: float, tau_n: float, theta: float, w: float, height: int = FIGURE_HEIGHT
) -> DerivationScene:
    """Derive ``h``, ``h'`` and ``df/dw`` for these parameters; check them with the core;
    the figure ``height`` pixels tall."""
    d = derive(tau_s, tau_n)
    h_fn, dh_fn = kernel_functions(tau_s, tau_n)
    t_max = 5.0 * max(tau_s, tau_n)
    grid = np.linspace(0.0, t_max, 600)
    h, dh = np.broadcast_to(h_fn(grid), grid.shape), np.broadcast_to(dh_fn(grid), grid.shape)
    peak = float(grid[np.argmax(h)])
    net = fp.Network([[w], [0.0]], 1, tau_s, tau_n, theta)
    sim = fp.simulate(net, [[0.0]], t_max)
    notices: tuple = ()
    f = sympy_df = fp_df = fd_df = None
    if sim.n_spikes == 0:
        notices = (
            Notice(
                "warning",
                f"With w = {w:g} the potential peaks at w·h(t*) = "
                f"{w * h.max():.3f} < θ = {theta:g}: no spike, so no f and no df/dw. "
                "Raise w or lower θ.",
            ),
        )
    else:
        f = float(sim.spike_times[0])
        sympy_df = float(-d.h.subs(t, f) / (w * d.dh.subs(t, f)))  # IFT, SymPy's formula
        fp_df = float(fp.spike_time_jacobian(net, sim, [0])[0, 0, 0])
        fd = fp.finite_difference_jacobian(net, [[0.0]], t_max, eps=1e-6, entries=[(0, 0)])
        fd_df = float(fd.jacobian[0, 0, 0]) if fd.valid[0, 0] else None
    summary = f"One input spike of weight {w:g}: V = w h(t) peaks at t* ≈ {peak:.3f}; " + (
        f"it crosses θ = {theta:g} at f = {f:.4f} with slope {w * np.interp(f, grid, dh):.3f}."
        if f is not None
        else f"it stays below θ = {theta:g}."
    )
    chart = Chart(
        kernel_figure(grid, h, dh, w, theta, f, peak, height),
        alt="The potential w h(t) after one input spike with the threshold and the "
        "spike time, above the kernel derivative h'(t).",
        summary=summary,
    )
    return DerivationScene(d.steps, chart, f, sympy_df, fp_df, fd_df, notices)
