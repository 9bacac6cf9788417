"""Colours, marks and fonts shared by every figure (no Streamlit here).

Sign is orange (negative) or blue (positive) and always doubled by a second cue: dashed
versus solid lines, down versus up triangles, or the printed number. Neurons get the
colour-blind-safe qualitative palette ``plotly.express.colors.qualitative.Safe`` and,
where lines overlap, a dash pattern each. Neutral marks use mid greys and half-transparent
fills so that a figure reads on the light and on the dark theme alike. Fonts are large, as
in Plotly's ``presentation`` template, for projectors.
"""

from __future__ import annotations

import plotly.colors as pc
import plotly.graph_objects as go

#: Positive values (excitation, positive derivatives).
BLUE = "#2c7fb8"
#: Negative values (inhibition, negative derivatives).
ORANGE = "#e66100"
#: Neutral marks (thresholds, input spikes, references); readable on white and on black.
GREY = "#8a8a8a"
#: Highlight for the selected item (a yellow that stays distinct from orange and blue).
HIGHLIGHT = "#f0b400"

#: Neurons: the colour-blind-safe ``Safe`` palette, reordered so that the first colours are
#: mid-luminance (readable on both themes) and not the blue/orange of sign.
NEURON_COLORS = (
    "#CC6677",
    "#44AA99",
    "#DDCC77",
    "#AA4499",
    "#999933",
    "#88CCEE",
    "#117733",
    "#882255",
    "#6699CC",
    "#661100",
)
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

#: Page backgrounds of the light and dark theme (Streamlit's defaults; ``.streamlit/config.toml``
#: sets none), against which figures must read.
BACKGROUNDS = {"light": "#ffffff", "dark": "#0e1117"}

#: Diverging scale centred at zero: orange (negative), an opaque light grey at zero, blue
#: (positive). Every stop is opaque, so a zero cell is grey on white and on black alike
#: (a see-through middle vanished into the dark background); blank cells (``NaN``) stay
#: the background.
ZERO_GREY = "#c4c4c4"
DIVERGING = [
    [0.0, ORANGE],
    [0.25, "#eea87a"],
    [0.5, ZERO_GREY],
    [0.75, "#8fb8d6"],
    [1.0, BLUE],
]
SEQUENTIAL = "cividis"
#: :data:`SEQUENTIAL` as explicit stops, for figures built as plain dicts (no validation
#: translates the name there).
SEQUENTIAL_STOPS = pc.get_colorscale(SEQUENTIAL)

#: Chart text (ticks, axis, legend and slider text, titles, annotations) in the page's own
#: text colour (``currentColor``: dark grey on the light theme,
#: near white on the dark one, both well above WCAG AA's 4.5:1). Streamlit's chart theme
#: draws ticks, axis and legend text in a mid grey (about 3.7:1 on white), and no single
#: colour reaches 4.5:1 on both white and the dark background, so the page's CSS sets it
#: (plain CSS, drawn by :func:`fpsnn_app.ui.present.presentation_switch` on every page).
#: Text traces in Streamlit's own light-theme chart grey (``rgb(128, 132, 149)``, their
#: default) follow too. Text inside data marks (heatmap cell numbers) keeps the contrast
#: Plotly picks for its cell, and text given a colour of its own keeps it.
CHART_TEXT_CSS = """<style>
[data-testid=stPlotlyChart] .main-svg :is(g[class$=tick] > text, text[class$=title], .gtitle,
  .legendtext, .legendtitletext, .annotation-text, .slider-current-value,
  .slider-label:not([style*="rgba(0, 0, 0, 0)"]),
  text[style*="fill: rgb(128, 132, 149)"]) { fill: currentColor !important; }
</style>"""

FONT_SIZE = 16
TICK_SIZE = 14
LINE_WIDTH = 2.5


#: How much presentation mode enlarges tick labels, axis titles, slider labels, text in
#: traces and line widths (the page's prose grows by 10-30 %, :data:`fpsnn_app.ui.present.CSS`).
PROJECTOR_SCALE = 1.2

#: Layout parts left at their size while presenting: legends, annotations (subplot titles
#: among them) and hover labels sit in fixed gaps between stacked panels, and larger ones
#: would cover the panel above.
_UNSCALED = ("annotations", "legend", "hoverlabel")


def for_projector(spec: dict, scale: float = PROJECTOR_SCALE) -> dict:
    """A figure's JSON form (``{"data", "layout", "frames"}``) for a projector: the font
    size of tick labels, axis titles and sliders, of text in traces (``textfont``), every
    trace's ``line.width`` and the left and bottom margins (where tick labels and axis
    titles sit) times ``scale``, in the traces of each animation frame too (a slider's step
    would otherwise redraw them at the normal size). Legends, annotations and hover labels
    keep their size (:data:`_UNSCALED`). New dicts along the changed paths only; ``spec``
    is not modified."""
    layout = _scaled(spec.get("layout", {}), scale, "")
    margin = layout.get("margin")
    if isinstance(margin, dict):
        layout["margin"] = {
            k: round(v * scale) if k in ("l", "b") and isinstance(v, (int, float)) else v
            for k, v in margin.items()
        }
    out = dict(spec, layout=layout, data=[_scaled_trace(t, scale) for t in spec.get("data", [])])
    if spec.get("frames"):
        out["frames"] = [
            dict(f, data=[_scaled_trace(t, scale) for t in f["data"]]) if f.get("data") else f
            for f in spec["frames"]
        ]
    return out


def _scaled(node, scale: float, parent: str):
    """``node`` (under the key ``parent``) with the ``size`` of its tick, text, title and
    slider fonts times ``scale``."""
    if isinstance(node, list):
        return [_scaled(v, scale, parent) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        font = k in ("tickfont", "textfont") or (
            k == "font" and parent in ("title", "currentvalue", "sliders")
        )
        if k in _UNSCALED:
            out[k] = v
        elif font and isinstance(v, dict) and isinstance(v.get("size"), (int, float)):
            out[k] = dict(v, size=round(v["size"] * scale, 1))
        elif isinstance(v, (dict, list)):
            out[k] = _scaled(v, scale, k)
        else:
            out[k] = v
    return out


def _scaled_trace(trace: dict, scale: float) -> dict:
    """A trace with ``line.width`` and, for a scatter's labels, ``textfont.size`` times
    ``scale`` (its data arrays are shared, not copied)."""
    out = trace
    line = trace.get("line")
    if isinstance(line, dict) and isinstance(line.get("width"), (int, float)):
        out = dict(out, line=dict(line, width=round(line["width"] * scale, 2)))
    font = trace.get("textfont")
    if (
        trace.get("type", "scatter") == "scatter"  # labels; cell numbers must fit their cells
        and isinstance(font, dict)
        and isinstance(font.get("size"), (int, float))
    ):
        out = dict(out, textfont=dict(font, size=round(font["size"] * scale, 1)))
    return out


def sign_color(value: float) -> str:
    """``BLUE`` for ``value >= 0``, else ``ORANGE``."""
    return BLUE if value >= 0 else ORANGE


def neuron_color(i: int) -> str:
    """Colour of neuron ``i`` (cycled through the Safe palette)."""
    return NEURON_COLORS[int(i) % len(NEURON_COLORS)]


def neuron_dash(i: int) -> str:
    """Dash pattern of neuron ``i`` (cycled)."""
    return DASHES[int(i) % len(DASHES)]


def base_layout(height: int, title: str | None = None) -> dict:
    """The shared layout as a plain dict: projector-sized fonts, margins, height, legend."""
    out = dict(
        height=height,
        font=dict(size=FONT_SIZE),
        margin=dict(l=70, r=20, t=60 if title else 30, b=50),
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.02,
            xanchor="left",
            x=0,
            font=dict(size=TICK_SIZE),
        ),
        hoverlabel=dict(font=dict(size=TICK_SIZE)),
    )
    if title:
        out["title"] = dict(text=title, font=dict(size=FONT_SIZE + 2))
    return out


def axis_style() -> dict:
    """The shared style of every axis; log axes label their minor ticks in full ("0.2",
    not a bare "2" beside "0.1")."""
    return dict(
        tickfont=dict(size=TICK_SIZE),
        title=dict(font=dict(size=FONT_SIZE)),
        minorloglabels="complete",
    )


def finish(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    """Apply the shared layout (:func:`base_layout`, :func:`axis_style`) to a figure."""
    fig.update_layout(**base_layout(height, title))
    fig.update_xaxes(**axis_style())
    fig.update_yaxes(**axis_style())
    return fig


def merged(a: dict, b: dict) -> dict:
    """``a`` updated by ``b``, nested dicts merged (as Plotly's ``update`` does); new dicts."""
    out = dict(a)
    for k, v in b.items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def finish_plain(layout: dict, height: int, title: str | None = None) -> dict:
    """:func:`finish` for a figure built as plain dicts: the shared layout under
    ``layout`` and the axis style on every ``xaxis*``/``yaxis*`` in it."""
    out = merged(base_layout(height, title), layout)
    for k, v in out.items():
        if k.startswith(("xaxis", "yaxis")):
            out[k] = merged(axis_style(), v)
    return out


def standalone(fig: go.Figure) -> go.Figure:
    """A copy for export outside the app (plain white template)."""
    out = go.Figure(fig)
    out.update_layout(template="plotly_white")
    return out
