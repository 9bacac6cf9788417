"""Colours, marks and fonts shared by every figure (no Streamlit here).

Sign is orange (negative) or blue (positive) and always doubled by a second cue: dashed
versus solid lines, down versus up triangles, or the printed number. Neurons get the
colour-blind-safe qualitative palette ``plotly.express.colors.qualitative.Safe`` and,
where lines overlap, a dash pattern each. Neutral marks use mid greys and half-transparent
fills so that a figure reads on the light and on the dark theme alike. Fonts are large, as
in Plotly's ``presentation`` template, for projectors.
"""

from __future__ import annotations

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
NEURON_COLORS = ("#CC6677", "#44AA99", "#DDCC77", "#AA4499", "#999933", "#88CCEE", "#117733",
                 "#882255", "#6699CC", "#661100")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

#: Diverging scale centred at zero: orange (negative), see-through middle, blue (positive).
#: The middle is transparent so that small values fade into either theme's background.
DIVERGING = [
    [0.0, ORANGE],
    [0.25, "rgba(230, 97, 0, 0.55)"],
    [0.5, "rgba(128, 128, 128, 0.10)"],
    [0.75, "rgba(44, 127, 184, 0.55)"],
    [1.0, BLUE],
]
SEQUENTIAL = "cividis"

FONT_SIZE = 16
TICK_SIZE = 14
LINE_WIDTH = 2.5


def sign_color(value: float) -> str:
    """``BLUE`` for ``value >= 0``, else ``ORANGE``."""
    return BLUE if value >= 0 else ORANGE


def neuron_color(i: int) -> str:
    """Colour of neuron ``i`` (cycled through the Safe palette)."""
    return NEURON_COLORS[int(i) % len(NEURON_COLORS)]


def neuron_dash(i: int) -> str:
    """Dash pattern of neuron ``i`` (cycled)."""
    return DASHES[int(i) % len(DASHES)]


def finish(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    """Apply the shared layout: projector-sized fonts, margins, height and legend."""
    fig.update_layout(
        height=height,
        font=dict(size=FONT_SIZE),
        margin=dict(l=70, r=20, t=60 if title else 30, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0,
                    font=dict(size=TICK_SIZE)),
        hoverlabel=dict(font=dict(size=TICK_SIZE)),
    )
    if title:
        fig.update_layout(title=dict(text=title, font=dict(size=FONT_SIZE + 2)))
    fig.update_xaxes(tickfont=dict(size=TICK_SIZE), title_font=dict(size=FONT_SIZE))
    fig.update_yaxes(tickfont=dict(size=TICK_SIZE), title_font=dict(size=FONT_SIZE))
    return fig


def standalone(fig: go.Figure) -> go.Figure:
    """A copy for export outside the app (plain white template)."""
    out = go.Figure(fig)
    out.update_layout(template="plotly_white")
    return out
