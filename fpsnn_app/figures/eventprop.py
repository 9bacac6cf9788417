"""EventProp beside FP: adjoint traces under the membrane traces, and the two sweeps.

:func:`adjoint_figure`, two rows per neuron on a shared time axis:

1. the forward membrane potential ``V_i(t)`` with ``theta`` and the spikes (``V(f) = theta``);
   FP's cursor sweeps it left to right;
2. the adjoint traces ``lambda_V,i`` (solid) and ``lambda_I,i`` (dotted) of
   :mod:`fpsnn_core.eventprop`, drawn for ``t >= `` EventProp's cursor, which sweeps right
   to left; at each processed spike of ``i`` the jump ``eps_k`` of ``lambda_V`` (E2) is a
   vertical segment with a triangle (up: ``eps_k > 0``, down: ``eps_k < 0``; an open
   circle where ``eps_k = 0``: that spike does not reach the loss).

:func:`sweep_figure`, spikes in time order down the rows: ``c_k = dLoss/df_k``; FP's rows
``df_k/dW`` filled top-down (forward substitution, G2); EventProp's jumps ``eps_k`` filled
bottom-up (they solve ``L^T eps = c``, G3). The gradient is ``c^T dF/dW`` on the left and
``-eps^T dPhi/dW`` on the right.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
from plotly.subplots import make_subplots

from .. import style
from .common import plain_figure
from .jacobian import apply_relayout, rows_axis


def adjoint_figure(
    t: np.ndarray,
    V: np.ndarray,
    lambda_V: np.ndarray,
    lambda_I: np.ndarray,
    theta: np.ndarray,
    spike_times: np.ndarray,
    spike_neurons: np.ndarray,
    jumps: np.ndarray,
    neurons,
    t_max: float,
    steps: list,
    active: int,
    fit: int | None = None,
):
    """The figure of the module docstring, with a replay slider that runs in the browser;
    ``fit`` (pixels) makes the whole figure that tall (presentation mode), else each neuron
    takes 250 px.

    Parameters
    ----------
    t : ndarray, shape (T,)
        Time grid (with each event and the float just after it, so jumps draw vertically).
    V, lambda_V, lambda_I : ndarray, shape (T, N)
        Forward potential and adjoint traces on ``t`` (left limits at events).
    theta : ndarray, shape (N,)
    spike_times, spike_neurons, jumps : ndarray, shape (S,)
        Spikes in time order and ``eps_k`` (forwards-in-time jump of ``lambda_V``).
    neurons : sequence of int
        Neurons to draw, top to bottom.
    steps : list of (int, float, float, str)
        The slider's replay steps ``(step, back, fwd, text)``: EventProp has processed
        ``t >= back``, FP ``t <= fwd``; ``text`` is shown above the plots.
    active : int
        Index into ``steps`` of the view the figure opens on.

    The adjoint traces are sent once, whole, on an extra x axis per neuron whose domain
    and range each step sets to ``[back, t_max]`` at the place the shared time axis draws
    it (:func:`_clip_axis`): Plotly clips them where EventProp has not been yet. A step
    changes those axes, the cursors, the texts and the jump marks of the processed spikes.
    """
    neurons = [int(i) for i in neurons]
    n = len(neurons)
    titles = []
    for i in neurons:
        titles += [
            f"n{i}: membrane V(t), forward",
            f"n{i}: adjoint λ_V (solid), λ_I (dotted), backward",
        ]
    height = 150 + 250 * n if fit is None else max(fit - 110, 150 + 60 * n)
    layout = _stack_layout(n, tuple(titles), height)
    data, jump_traces, own = [], [], []
    for r, i in enumerate(neurons):
        row_v, row_l = 2 * r + 1, 2 * r + 2
        color = style.neuron_color(i)
        own.append(np.flatnonzero(spike_neurons == i))
        xv, yv, xl, yl = (
            _axis("x", row_v),
            _axis("y", row_v),
            _axis("x", row_l),
            _axis("y", row_l),
        )
        clip = _axis("x", 2 * n + 1 + r)
        for tr in _membrane_row(t, V[:, i], float(theta[i]), spike_times[own[-1]], color, t_max):
            data.append(dict(tr, xaxis=xv, yaxis=yv))
        for tr in _adjoint_lines(t, lambda_V[:, i], lambda_I[:, i], color, i):
            data.append(dict(tr, xaxis=clip, yaxis=yl))
        data.append(
            dict(
                type="scatter",
                x=[t[0], t[-1]],
                y=[0, 0],
                mode="lines",
                showlegend=False,
                hoverinfo="skip",
                line=dict(color=style.GREY, width=1),
                xaxis=xl,
                yaxis=yl,
            )
        )
        jump_traces.append(len(data))
        data += [
            dict(
                type="scatter",
                x=[],
                y=[],
                mode="lines",
                showlegend=False,
                hoverinfo="skip",
                line=dict(color=style.HIGHLIGHT, width=4),
                xaxis=xl,
                yaxis=yl,
            ),
            dict(
                type="scatter",
                x=[],
                y=[],
                mode="markers",
                showlegend=False,
                name="jump",
                marker=dict(size=13, line=dict(width=1, color=style.GREY)),
                hovertemplate="spike #%{customdata[0]:.0f} at t=%{x:.4f}<br>jump of λ_V: "
                "ε=%{customdata[1]:.4g}<extra></extra>",
                xaxis=xl,
                yaxis=yl,
            ),
        ]
        layout[_axis("yaxis", row_v)]["title"] = dict(text="V")
        layout[_axis("yaxis", row_l)]["title"] = dict(text="λ")
        dom = layout[_axis("xaxis", row_l)]["domain"]
        layout[_axis("xaxis", 2 * n + 1 + r)] = dict(
            anchor=yl, visible=False, fixedrange=True, domain=list(dom), range=[0, t_max]
        )
    for r in range(2 * n):
        layout[_axis("xaxis", r + 1)].update(range=[0, t_max], fixedrange=True)
        layout[_axis("yaxis", r + 1)]["fixedrange"] = True
    layout[_axis("xaxis", 2 * n)]["title"] = dict(text="time t")
    fwd_line = dict(color=style.GREY, width=2, dash="dot")
    back_line = dict(color=style.HIGHLIGHT, width=3)
    layout["shapes"] = [
        _cursor(0.0, row, fwd_line if row % 2 else back_line) for row in range(1, 2 * n + 1)
    ]
    label = dict(y=1.0, xref="x", yanchor="top", showarrow=False, bgcolor="rgba(128,128,128,0.15)")
    layout["annotations"] += [
        dict(label, x=0, yref="y domain", text="FP →", font=dict(color=style.GREY)),
        dict(
            label, x=t_max, yref="y2 domain", text="← EventProp", font=dict(color=style.HIGHLIGHT)
        ),
        dict(
            text="",
            x=0,
            xref="paper",
            xanchor="left",
            y=1,
            yref="paper",
            yanchor="bottom",
            yshift=30,
            align="left",
            showarrow=False,
            font=dict(size=13),
        ),
    ]
    first_label = len(layout["annotations"]) - 3
    layout["dragmode"] = False
    view = [
        _replay_view(
            s,
            back,
            fwd,
            text,
            n,
            t_max,
            first_label,
            layout,
            spike_times,
            own,
            jumps,
            t,
            lambda_V[:, neurons],
        )
        for s, back, fwd, text in steps
    ]
    jump_idx = [j for k in jump_traces for j in (k, k + 1)]
    for key, value in view[active][1].items():
        apply_relayout(layout, key, value)
    for k, j in enumerate(jump_idx):
        for key, values in view[active][0].items():
            _apply_restyle(data[j], key, values[k])
    layout["sliders"] = [
        _slider(
            steps,
            active,
            "Replay step = ",
            [[view[m][0], view[m][1], jump_idx] for m in range(len(steps))],
        )
    ]
    layout = style.finish_plain(layout, height + 110)
    layout["margin"] = dict(l=70, r=20, t=215, b=50)
    return plain_figure(data, layout)


@functools.lru_cache(maxsize=16)
def _stack_layout_cached(n: int, titles: tuple, height: int) -> dict:
    layout = make_subplots(
        rows=2 * n,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=45 / height,
        row_heights=[1.0, 1.25] * n,
        subplot_titles=titles,
    ).to_dict()["layout"]
    layout.pop("template", None)
    return layout


def _stack_layout(n: int, titles: tuple, height: int) -> dict:
    """Plotly's ``make_subplots`` grid of ``2 n`` rows sharing ``x`` as a fresh plain dict."""
    return copy.deepcopy(_stack_layout_cached(n, titles, height))


def _slider(steps: list, active: int, prefix: str, args: list) -> dict:
    """A Plotly slider over the replay ``steps`` whose step ``m`` calls ``Plotly.update``
    with ``args[m]``; it sits above the plot area, over the step's text."""
    return dict(
        active=active,
        x=0,
        len=1,
        y=1,
        yanchor="bottom",
        pad=dict(t=0, b=118),
        currentvalue=dict(prefix=prefix, font=dict(size=14)),
        font=dict(size=11),
        ticklen=4,
        minorticklen=0,
        transition=dict(duration=0),
        steps=[dict(method="update", label=str(s[0]), args=a) for s, a in zip(steps, args)],
    )


def _clip_axis(domain, back: float, t_max: float) -> dict:
    """Domain and range of an axis that draws ``[back, t_max]`` where an axis over ``domain``
    with range ``[0, t_max]`` draws it (a sliver at the right end when ``back = t_max``)."""
    d0, d1 = domain
    lo = min(back, t_max * (1 - 1e-9))
    return {"domain": [d0 + (d1 - d0) * lo / t_max, d1], "range": [lo, t_max]}


def _replay_view(
    step, back, fwd, text, n, t_max, first_label, layout, spike_times, own, jumps, t, lambda_V
) -> tuple[dict, dict]:
    """``(restyle, relayout)`` of one replay step: the jump marks of the processed spikes
    (two traces per neuron, see :func:`_jump_marks`) and the axes, cursors and texts."""
    restyle = {"x": [], "y": [], "customdata": [], "marker.symbol": [], "marker.color": []}
    for r, idx in enumerate(own):
        ks = [int(k) for k in idx if spike_times[k] >= back]
        seg, marks = _jump_marks(t, lambda_V[:, r], spike_times, jumps, ks)
        for key, a, b in (("x", seg["x"], marks["x"]), ("y", seg["y"], marks["y"])):
            restyle[key] += [a, b]
        restyle["customdata"] += [None, marks["customdata"]]
        restyle["marker.symbol"] += [None, marks["symbol"]]
        restyle["marker.color"] += [None, marks["color"]]
    relayout = {}
    for r in range(n):
        dom = layout[_axis("xaxis", 2 * r + 2)]["domain"]
        for key, v in _clip_axis(dom, back, t_max).items():
            relayout[f"{_axis('xaxis', 2 * n + 1 + r)}.{key}"] = v
    for row in range(1, 2 * n + 1):
        x = fwd if row % 2 else back
        relayout[f"shapes[{row - 1}].x0"] = relayout[f"shapes[{row - 1}].x1"] = x
    relayout[f"annotations[{first_label}].x"] = fwd
    relayout[f"annotations[{first_label}].xanchor"] = "left" if fwd < 0.85 * t_max else "right"
    relayout[f"annotations[{first_label + 1}].x"] = back
    relayout[f"annotations[{first_label + 1}].xanchor"] = "right" if back > 0.15 * t_max else "left"
    relayout[f"annotations[{first_label + 2}].text"] = text
    return restyle, relayout


def _apply_restyle(trace: dict, key: str, value) -> None:
    """Set ``key`` (``a`` or ``a.b``) of a trace dict; ``None`` leaves it as it is."""
    if value is None:
        return
    head, _, tail = key.partition(".")
    if tail:
        trace.setdefault(head, {})[tail] = value
    else:
        trace[head] = value


def _axis(name: str, row: int) -> str:
    """Layout name of the axis of subplot ``row`` (one column): ``yaxis``, ``yaxis2``, ..."""
    return name if row == 1 else f"{name}{row}"


def _cursor(x: float, row: int, line: dict) -> dict:
    """A vertical line at ``x`` across subplot ``row`` (what ``add_vline`` makes)."""
    xref, yref = _axis("x", row), _axis("y", row)
    return dict(type="line", x0=x, x1=x, xref=xref, y0=0, y1=1, yref=f"{yref} domain", line=line)


def _membrane_row(t, V, theta, own_times, color, t_max) -> list:
    """Traces of one membrane row: ``V_i(t)``, ``theta`` and the spikes."""
    return [
        dict(
            type="scatter",
            x=t,
            y=V,
            mode="lines",
            showlegend=False,
            name="V",
            line=dict(color=color, width=style.LINE_WIDTH),
            hovertemplate="t=%{x:.3f}<br>V=%{y:.3f}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=[0, t_max],
            y=[theta, theta],
            mode="lines",
            showlegend=False,
            name="θ",
            line=dict(color=style.GREY, dash="dash", width=1.5),
            hovertemplate=f"θ={theta:g}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=own_times,
            y=np.full(own_times.size, theta),
            mode="markers",
            showlegend=False,
            name="spikes",
            marker=dict(symbol="circle-open", size=11, line=dict(width=3), color=style.HIGHLIGHT),
            hovertemplate="spike at t=%{x:.4f}<extra></extra>",
        ),
    ]


def _adjoint_lines(t, lam_V, lam_I, color, i) -> list:
    """``lambda_V`` (solid) and ``lambda_I`` (dotted) of neuron ``i`` over the whole grid."""
    return [
        dict(
            type="scatter",
            x=t,
            y=lam_V,
            mode="lines",
            showlegend=False,
            name=f"λ_V n{i}",
            line=dict(color=color, width=style.LINE_WIDTH),
            hovertemplate="t=%{x:.3f}<br>λ_V=%{y:.4f}<extra></extra>",
        ),
        dict(
            type="scatter",
            x=t,
            y=lam_I,
            mode="lines",
            showlegend=False,
            name=f"λ_I n{i}",
            line=dict(color=color, width=style.LINE_WIDTH, dash="dot"),
            hovertemplate="t=%{x:.3f}<br>λ_I=%{y:.4f}<extra></extra>",
        ),
    ]


def _jump_marks(t, lam_V, spike_times, jumps, ks) -> tuple[dict, dict]:
    """The jumps of ``lambda_V`` at the spikes ``ks``: vertical segments from
    ``lambda_V(f-)`` to ``lambda_V(f+) = lambda_V(f-) + eps`` and a mark at the top."""
    f = spike_times[ks]
    eps = jumps[ks]
    left = np.interp(f, t, lam_V)  # lambda_V(f-): f is a grid point
    xs, ys = [], []
    for fk, e, lo in zip(f, eps, left):
        xs += [float(fk), float(fk), None]
        ys += [float(lo), float(lo + e), None]
    marks = dict(
        x=f.tolist(),
        y=(left + eps).tolist(),
        symbol=[_jump_symbol(e) for e in eps],
        color=[style.sign_color(e) if e else style.GREY for e in eps],
        customdata=[[k, float(e)] for k, e in zip(ks, eps)],
    )
    return dict(x=xs, y=ys), marks


def _jump_symbol(eps: float) -> str:
    """Up for a positive jump, down for a negative one, an open circle for none."""
    return "triangle-up" if eps > 0 else "triangle-down" if eps < 0 else "circle-open"


def sweep_figure(
    labels,
    c: np.ndarray,
    dF: np.ndarray | None,
    param_labels,
    eps: np.ndarray,
    steps: list,
    active: int,
    fit: int | None = None,
):
    """Spikes down the rows: ``c_k``, FP's ``dF/dW`` (first ``step`` rows), EventProp's
    ``eps`` (last ``step`` rows), with a replay slider that runs in the browser; ``fit``
    (pixels) makes the whole figure that tall, else each spike takes 22 px.

    Parameters
    ----------
    labels : list of str, length S
        Spike names in time order.
    c, eps : ndarray, shape (S,)
    dF : ndarray, shape (S, P) or None
        ``df_k/dW`` over the parameters (``None``: too large to draw).
    param_labels : list of str, length P
    steps : list of int
        The slider's replay steps (each in ``0..S``).
    active : int
        Index into ``steps`` of the view the figure opens on.

    ``dF/dW`` and ``eps`` are sent whole, on extra y axes whose domain and range each step
    sets to the rows computed so far (:func:`~fpsnn_app.figures.jacobian.rows_axis`).
    """
    S = len(labels)
    ids = [f"{k}: {lab}" for k, lab in enumerate(labels)]
    widths = [0.16, 0.6, 0.24] if dF is not None else [0.5, 0.0001, 0.5]
    layout = make_subplots(
        rows=1,
        cols=3,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        column_widths=widths,
        subplot_titles=("c", "FP: dF/dW ↓" if dF is not None else "", "EventProp: ε ↑"),
    ).to_dict()["layout"]
    layout.pop("template", None)
    bars = dict(type="bar", orientation="h", y=ids, showlegend=False)
    data = [
        dict(
            bars,
            x=c,
            name="c",
            xaxis="x",
            yaxis="y",
            marker=dict(
                color=[style.sign_color(v) for v in c],
                pattern=dict(shape=["" if v >= 0 else "/" for v in c]),
            ),
            hovertemplate="%{y}<br>c=%{x:.4g}<extra></extra>",
        )
    ]
    if dF is not None:
        zmax = float(np.abs(dF).max()) if dF.size else 1.0
        data.append(
            dict(
                type="heatmap",
                z=dF,
                x=list(param_labels),
                y=ids,
                colorscale=style.DIVERGING,
                zmin=-zmax,
                zmax=zmax,
                zmid=0,
                showscale=False,
                xaxis="x2",
                yaxis="y4",
                hovertemplate="%{y}<br>d f / d W[%{x}] = %{z:.4g}<extra></extra>",
            )
        )
        layout["xaxis2"]["tickangle"] = -60
    data.append(
        dict(
            bars,
            x=eps,
            name="ε",
            xaxis="x3",
            yaxis="y5",
            marker=dict(
                color=[style.sign_color(v) for v in eps],
                pattern=dict(shape=["" if v >= 0 else "/" for v in eps]),
            ),
            hovertemplate="%{y}<br>ε=%{x:.4g}<extra></extra>",
        )
    )
    rows = dict(
        type="category",
        categoryorder="array",
        categoryarray=ids,
        range=[S - 0.5, -0.5],
        fixedrange=True,
    )
    layout["yaxis"].update(rows, autorange=False)
    layout["yaxis4"] = dict(rows, anchor="x2", visible=False, domain=[0, 1])
    layout["yaxis5"] = dict(rows, anchor="x3", visible=False, domain=[0, 1])
    for k in ("xaxis", "xaxis2", "xaxis3"):
        layout[k]["fixedrange"] = True
    layout["dragmode"] = False
    clipped = list(range(1, len(data)))
    args = []
    for step in steps:
        hidden = rows_axis(0, 0, max(S, 1))  # any valid axis: the traces are hidden
        fwd = rows_axis(0, step - 1, S) if step else hidden
        back = rows_axis(S - step, S - 1, S) if step else hidden
        relayout = {
            f"{ax}.{key}": v
            for ax, part in (("yaxis5", back), ("yaxis4", fwd))
            for key, v in part.items()
            if ax != "yaxis4" or dF is not None
        }
        args.append([{"visible": [step > 0] * len(clipped)}, relayout, clipped])
    for key, value in args[active][1].items():
        apply_relayout(layout, key, value)
    for j in clipped:
        data[j]["visible"] = steps[active] > 0
    layout["sliders"] = [_slider([(s,) for s in steps], active, "Replay step = ", args)]
    layout["sliders"][0]["pad"] = dict(t=0, b=40)
    layout = style.finish_plain(layout, max(320, 140 + 22 * S) + 90 if fit is None else fit)
    layout["margin"] = dict(l=70, r=20, t=130, b=50)
    return plain_figure(data, layout)
