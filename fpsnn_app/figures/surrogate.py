"""Surrogate gradients against the exact gradient: credit over time, gradients weight by
weight, and sweeps over ``dt`` and the slope (results of :mod:`fpsnn_app.surrogate_compare`).

Each surrogate keeps one colour, dash and marker in every figure (:func:`surrogate_style`);
the exact FP gradient is the thick highlight colour, finite differences grey crosses.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fpsnn_core.surrogate import SURROGATES, surrogate

from .. import style
from ..limits import MAX_WEIGHTS_DRAWN, strongest
from ..surrogate_compare import Credit, GradientComparison, Sweep
from .common import source_label
from .frames import ROOM, slider, with_slider

_MARKERS = ("circle", "square", "diamond", "triangle-up", "star")


def _axis(row: int) -> str:
    return "" if row == 1 else str(row)


def hline(y: float, row: int, line: dict) -> dict:
    """A horizontal line across subplot ``row`` as a layout shape (``add_hline`` is slow)."""
    a = _axis(row)
    return dict(type="line", xref=f"x{a} domain", yref=f"y{a}", x0=0, x1=1, y0=y, y1=y, line=line)


def vline(x: float, row: int, line: dict) -> dict:
    """A vertical line across subplot ``row`` as a layout shape."""
    a = _axis(row)
    return dict(type="line", xref=f"x{a}", yref=f"y{a} domain", x0=x, x1=x, y0=0, y1=1, line=line)


def _room_for_legend(fig: go.Figure) -> go.Figure:
    """More top margin, so the legend above the plot clears the first subplot title."""
    fig.update_layout(margin=dict(t=80), legend=dict(y=1.04))
    return fig


def surrogate_style(name: str) -> dict:
    """Colour, dash and marker symbol of the surrogate ``name`` (stable across figures)."""
    k = list(SURROGATES).index(name)
    return dict(
        color=style.NEURON_COLORS[(k + 1) % len(style.NEURON_COLORS)],
        dash=style.DASHES[(k + 1) % len(style.DASHES)],
        symbol=_MARKERS[k % len(_MARKERS)],
    )


def _line(name: str) -> dict:
    """The line of surrogate ``name`` (colour, dash, width)."""
    st = surrogate_style(name)
    return dict(color=st["color"], dash=st["dash"], width=style.LINE_WIDTH)


def surrogate_title(name: str, slope: float | None = None) -> str:
    """``"sigmoid"`` or ``"sigmoid β=5"``."""
    title = SURROGATES[name].name
    return title if slope is None else f"{title} β={slope:g}"


#: Pixels the credit figure gives up at its top when it has a slider: the slider's room
#: holds the legend too.
_SQUEEZE = 50

#: The credit figure offers its slope slider while its frames hold at most this many numbers.
MAX_CREDIT_FRAME_NUMBERS = 100_000


def credit_figure(
    credit: Credit,
    slopes: dict,
    n_inputs: int,
    height: int = 720,
    slope_steps: tuple = (),
    fit: int | None = None,
) -> go.Figure:
    """Credit over time for the synapse ``j -> i``, three rows on one time axis:

    1. ``V_i`` of the discrete simulation with the threshold and FP's firing times;
    2. each surrogate's credit density ``sigma'(V_i(t) - theta) y_ji(t)``: a fixed window
       around threshold, wherever ``V_i`` comes near it;
    3. cumulative credit: FP's staircase, a jump of ``y_ji(f) / V_i'(f)`` at each firing time
       ``f``, against ``int_0^t sigma'(V_i - theta) y_ji ds`` of each surrogate.

    Given ``slope_steps`` (one slope for every surrogate, ``slopes`` among them), a slider
    above the plot redraws rows 2 and 3 at each of them in the browser, while the frames
    stay within :data:`MAX_CREDIT_FRAME_NUMBERS` numbers. ``fit`` (pixels) makes the whole
    figure, slider included, that tall (presentation mode) instead of ``height`` plus the
    slider.
    """
    if fit is not None:
        height = fit - ROOM + _SQUEEZE if credit_steps_fit(credit, slope_steps) else fit
    j, i = credit.j, credit.i
    syn = f"{source_label(j, n_inputs)} → n{i}"
    titles = (
        f"membrane potential V of n{i} (discrete, dt={credit.dt:g})",
        f"credit density σ'(V − θ) y(t) of {syn}",
        "cumulative credit: FP's jumps y(f)/V'(f) vs ∫ σ'(V − θ) y dt",
    )
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.3, 0.35, 0.35],
        subplot_titles=titles,
    )
    t, f = credit.t, credit.fp_times
    fig.add_trace(
        go.Scatter(
            x=t,
            y=credit.V,
            name="V",
            showlegend=False,
            line=dict(color=style.BLUE, width=style.LINE_WIDTH),
            hovertemplate="t=%{x:.3f}<br>V=%{y:.3f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    ring = dict(symbol="circle-open", size=12, line=dict(width=3), color=style.HIGHLIGHT)
    fig.add_trace(
        go.Scatter(
            x=f,
            y=np.full(f.size, credit.theta),
            mode="markers",
            showlegend=False,
            name="firing times",
            marker=ring,
            hovertemplate="f=%{x:.4f}<extra>exact firing time</extra>",
        ),
        row=1,
        col=1,
    )
    for name, dens in credit.density.items():
        label = surrogate_title(name, slopes.get(name))
        hover = surrogate_title(name) + "<br>t=%{x:.3f}: %{y:.4g}<extra></extra>"
        fig.add_trace(
            go.Scatter(
                x=t,
                y=dens,
                name=label,
                legendgroup=name,
                showlegend=False,
                line=_line(name),
                hovertemplate=hover,
            ),
            row=2,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=t,
                y=credit.cumulative(name),
                name=label,
                legendgroup=name,
                line=_line(name),
                hovertemplate=hover,
            ),
            row=3,
            col=1,
        )
    stairs_t = np.concatenate([[0.0], np.repeat(f, 2), [t[-1]]])
    cum = np.concatenate([[0.0], np.cumsum(credit.fp_weights)])
    stairs_y = np.repeat(cum, 2)
    fig.add_trace(
        go.Scatter(
            x=stairs_t,
            y=stairs_y,
            name="FP: y(f)/V'(f)",
            line=dict(color=style.HIGHLIGHT, width=style.LINE_WIDTH + 2),
            hovertemplate="FP cumulative credit %{y:.4g}<extra></extra>",
        ),
        row=3,
        col=1,
    )
    dotted = dict(color=style.HIGHLIGHT, width=1.5, dash="dot")
    shapes = [hline(credit.theta, 1, dict(color=style.GREY, dash="dash", width=2))]
    shapes += [vline(float(fk), row, dotted) for fk in f for row in (2, 3)]
    fig.update_layout(shapes=shapes)
    fig.update_xaxes(title_text="time t", row=3, col=1)
    fig.update_yaxes(title_text="V", row=1, col=1)
    fig.update_yaxes(title_text="per unit time", row=2, col=1)
    fig.update_yaxes(title_text="cumulative", row=3, col=1)
    _room_for_legend(style.finish(fig, height))
    names = list(credit.density)
    if not credit_steps_fit(credit, slope_steps):
        return fig
    frames = []
    for slope in slope_steps:
        data = []
        for name in names:
            dens = credit.density_at(name, slope)
            label = surrogate_title(name, slope)
            data += [
                dict(y=dens.tolist(), name=label),  # lists: see gradient_figure
                dict(y=credit.integral(dens).tolist(), name=label),
            ]
        frames.append(dict(name=f"{slope:g}", data=data, traces=list(range(2, 2 + 2 * len(names)))))
    current = slopes[names[0]] if names else slope_steps[0]
    active = int(np.argmin(np.abs(np.asarray(slope_steps) - current)))
    bar = slider(
        [fr["name"] for fr in frames], [fr["name"] for fr in frames], active, "Credit at slope β = "
    )
    doc = fig.to_dict()
    doc["layout"]["margin"]["t"] = 30  # the slider's room holds the legend too
    doc["layout"]["height"] -= _SQUEEZE
    return with_slider(doc, frames, bar)


def credit_steps_fit(credit: Credit, slope_steps) -> bool:
    """Whether the slope slider's frames (two curves per surrogate and slope) stay within
    :data:`MAX_CREDIT_FRAME_NUMBERS` numbers."""
    n = 2 * len(slope_steps) * len(credit.density) * credit.t.size
    return 0 < n <= MAX_CREDIT_FRAME_NUMBERS


def _param_labels(cmp: GradientComparison) -> tuple[np.ndarray, list]:
    params = np.argwhere(cmp.mask)
    order = np.lexsort((params[:, 0], params[:, 1], ~cmp.hidden[cmp.mask]))  # hidden first
    params = params[order]
    return params, [f"{source_label(j, cmp.n_inputs)}→n{i}" for j, i in params]


def drawn_weights(cmp: GradientComparison) -> np.ndarray:
    """Positions (in :func:`_param_labels` order) of the weights :func:`gradient_figure`
    draws: all up to :data:`~fpsnn_app.limits.MAX_WEIGHTS_DRAWN`, else those checked by
    finite differences and the largest exact gradients, in their order."""
    params, _ = _param_labels(cmp)
    fd = cmp.finite_diff[params[:, 0], params[:, 1]]
    return strongest(
        cmp.exact[params[:, 0], params[:, 1]],
        MAX_WEIGHTS_DRAWN,
        keep=np.flatnonzero(np.isfinite(fd)),
    )


def gradient_figure(
    cmp: GradientComparison,
    slopes: dict,
    normalize: bool = True,
    height: int = 460,
    by_dt: Sweep | None = None,
) -> go.Figure:
    """``dLoss/dW`` weight by weight: exact FP, finite differences and each surrogate.

    With ``normalize`` every surrogate gradient is rescaled to the norm of the exact one,
    so that only directions are compared (the scale is in the relative norm). Hidden
    weights (those whose gradient passes through a spike function) come first. Given the
    surrogate gradients of a ``dt`` sweep (``by_dt``, same surrogates and slopes), a slider
    above the plot shows them step by step in the browser, starting at ``cmp``'s step.
    """
    params, labels = _param_labels(cmp)
    drawn = drawn_weights(cmp)
    params, labels = params[drawn], [labels[k] for k in drawn]
    J, I = params[:, 0], params[:, 1]
    exact = cmp.exact[J, I]
    fig = go.Figure()
    n_hidden = int(cmp.hidden[J, I].sum())
    if 0 < n_hidden < len(labels):
        fig.add_vrect(
            x0=-0.5,
            x1=n_hidden - 0.5,
            fillcolor=style.GREY,
            opacity=0.12,
            line_width=0,
            annotation_text="hidden weights (through spikes)",
            annotation_position="top left",
        )
    points = _rescaled(cmp.surrogate, J, I, exact, normalize)
    for k, name in enumerate(cmp.surrogate):
        st = surrogate_style(name)
        hover = "%{text}: %{customdata[0]:.4g}" + (" (×%{customdata[1]:.3g})" if normalize else "")
        fig.add_trace(
            go.Scatter(
                x=np.arange(len(labels)) + 0.1 * (k - 2),
                **points[name],
                mode="markers",
                name=surrogate_title(name, slopes.get(name)),
                marker=dict(symbol=st["symbol"], size=10, color=st["color"]),
                text=labels,
                hovertemplate=hover + f"<extra>{surrogate_title(name)}</extra>",
            )
        )
    x = np.arange(len(labels))
    bar = dict(symbol="line-ew", size=30, line=dict(width=4, color=style.HIGHLIGHT))
    cross = dict(symbol="x-thin", size=14, line=dict(width=2, color=style.GREY))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=exact,
            mode="markers",
            name="exact (FP)",
            marker=bar,
            text=labels,
            hovertemplate="%{text}: %{y:.6g}<extra>exact FP</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=cmp.finite_diff[J, I],
            mode="markers",
            name="finite differences",
            marker=cross,
            text=labels,
            hovertemplate="%{text}: %{y:.6g}<extra>finite differences</extra>",
        )
    )
    fig.add_shape(hline(0.0, 1, dict(color=style.GREY, width=1)))
    fig.update_xaxes(
        tickmode="array",
        tickvals=np.arange(len(labels)),
        ticktext=labels,
        title_text="weight W[j, i]",
    )
    fig.update_yaxes(title_text="dLoss/dW" + (" (surrogates rescaled)" if normalize else ""))
    style.finish(fig, height)
    if by_dt is None:
        return fig
    names = list(cmp.surrogate)
    frames, texts = [], []
    for dt, grads in zip(by_dt.values, by_dt.gradients):
        found = _rescaled(grads, J, I, exact, normalize)
        empty = dict(y=[], customdata=[])
        # plain lists: plotly.js decodes base64 arrays when a figure is drawn, not in frames
        frames.append(
            dict(
                name=f"{dt:g}",
                traces=list(range(len(names))),
                data=[
                    {k: np.asarray(v).tolist() for k, v in found.get(n, empty).items()}
                    for n in names
                ],
            )
        )
        texts.append(f"{dt:g}" + ("" if grads else " (an output is silent)"))
    active = int(np.argmin(np.abs(by_dt.values - cmp.dt))) if cmp.dt is not None else 0
    bar = slider([f["name"] for f in frames], texts, active, "Surrogate gradients at dt = ")
    return with_slider(fig.to_dict(), frames, bar)


def _rescaled(grads: dict, rows, cols, exact, normalize: bool) -> dict:
    """``{name: {"y": drawn values, "customdata": [value, scale]}}`` of each surrogate's
    gradient at the drawn weights ``W[rows, cols]``; with ``normalize`` rescaled to the
    exact norm."""
    out = {}
    for name, g in grads.items():
        vals = g[rows, cols]
        scale = np.linalg.norm(exact) / np.linalg.norm(vals) if normalize and np.any(vals) else 1.0
        out[name] = dict(
            y=vals * scale, customdata=np.stack([vals, np.full(vals.size, scale)], axis=-1)
        )
    return out


def _sweep_traces(fig, sweep: Sweep, attr: str, row: int, slopes: dict | None) -> None:
    for name, vals in getattr(sweep, attr).items():
        label = surrogate_title(name, slopes.get(name) if slopes else None)
        fig.add_trace(
            go.Scatter(
                x=sweep.values,
                y=vals,
                mode="lines+markers",
                name=label,
                legendgroup=name,
                showlegend=row == 2,
                line=_line(name),
                marker=dict(symbol=surrogate_style(name)["symbol"], size=8),
                hovertemplate=label + ": %{y:.4g} at %{x:.3g}<extra></extra>",
            ),
            row=row,
            col=1,
        )


def dt_sweep_figure(
    sweep: Sweep, slopes: dict, hidden: bool = True, height: int = 760
) -> go.Figure:
    """Three rows against ``dt`` (log axes): the largest spike-time error with a line of
    slope 1 for reference, the cosine similarity and the relative norm of each surrogate
    gradient against the exact one (over the hidden weights, or over all with
    ``hidden=False``)."""
    which = "hidden weights" if hidden else "all weights"
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=(
            "largest spike-time error |t̂ − f|",
            f"cosine similarity to the exact gradient ({which})",
            f"relative norm |g| / |g*| ({which})",
        ),
    )
    dts, err = sweep.values, sweep.spike_time_error
    fig.add_trace(
        go.Scatter(
            x=dts,
            y=err,
            mode="lines+markers",
            name="spike-time error",
            showlegend=False,
            line=dict(color=style.BLUE, width=style.LINE_WIDTH),
            hovertemplate="dt=%{x:.3g}: %{y:.3g}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    ok = np.isfinite(err) & (err > 0)
    if ok.any():
        ref = err[ok][-1] * dts / dts[ok][-1]
        fig.add_trace(
            go.Scatter(
                x=dts,
                y=ref,
                mode="lines",
                name="∝ dt",
                showlegend=False,
                line=dict(color=style.GREY, dash="dot", width=2),
                hovertemplate="first order: ∝ dt<extra></extra>",
            ),
            row=1,
            col=1,
        )
    suffix = "_hidden" if hidden else ""
    _sweep_traces(fig, sweep, "cosine" + suffix, 2, slopes)
    _sweep_traces(fig, sweep, "relative_norm" + suffix, 3, slopes)
    one = dict(color=style.HIGHLIGHT, width=2)
    fig.update_layout(shapes=[hline(1.0, 2, one), hline(1.0, 3, one)])
    fig.update_xaxes(type="log", title_text="time step dt", row=3, col=1)
    for row in (1, 2, 3):
        fig.update_xaxes(type="log", autorange="reversed", row=row, col=1)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(range=[-1.05, 1.05], row=2, col=1)
    fig.update_yaxes(type="log", row=3, col=1)
    return _room_for_legend(style.finish(fig, height))


def slope_sweep_figure(sweep: Sweep, hidden: bool = True, height: int = 560) -> go.Figure:
    """Cosine similarity and relative norm of each surrogate against the slope ``beta``."""
    which = "hidden weights" if hidden else "all weights"
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=(
            f"cosine similarity to the exact gradient ({which})",
            f"relative norm |g| / |g*| ({which})",
        ),
    )
    suffix = "_hidden" if hidden else ""
    for row, attr in ((1, "cosine"), (2, "relative_norm")):
        for name, vals in getattr(sweep, attr + suffix).items():
            hover = surrogate_title(name) + ": %{y:.4g} at β=%{x:.3g}<extra></extra>"
            fig.add_trace(
                go.Scatter(
                    x=sweep.values,
                    y=vals,
                    mode="lines+markers",
                    name=surrogate_title(name),
                    legendgroup=name,
                    showlegend=row == 1,
                    line=_line(name),
                    marker=dict(symbol=surrogate_style(name)["symbol"], size=8),
                    hovertemplate=hover,
                ),
                row=row,
                col=1,
            )
    one = dict(color=style.HIGHLIGHT, width=2)
    fig.update_layout(shapes=[hline(1.0, 1, one), hline(1.0, 2, one)])
    fig.update_xaxes(type="log", row=1, col=1)
    fig.update_xaxes(type="log", title_text="surrogate slope β", row=2, col=1)
    fig.update_yaxes(range=[-1.05, 1.05], row=1, col=1)
    fig.update_yaxes(type="log", row=2, col=1)
    return _room_for_legend(style.finish(fig, height))


def surrogate_shapes_figure(slopes: dict, height: int = 320) -> go.Figure:
    """Each surrogate derivative ``sigma'(x)`` against ``x = V - theta``."""
    x = np.linspace(-1.5, 1.5, 601)
    fig = go.Figure()
    for name, slope in slopes.items():
        fig.add_trace(
            go.Scatter(
                x=x,
                y=surrogate(name, slope).grad(x),
                name=surrogate_title(name, slope),
                line=_line(name),
                hovertemplate="x=%{x:.2f}: %{y:.3g}<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="x = V − θ")
    fig.update_yaxes(title_text="σ'(x)")
    return style.finish(fig, height)
