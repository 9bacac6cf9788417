"""A Plotly slider over precomputed animation frames: moving it shows another frame in the
browser at once, with no server run (the frames hold only the traces that change)."""

from __future__ import annotations

from .. import style
from .common import quick_figure_class

#: Jump to a frame at once (no transition).
JUMP = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
#: Pixels the slider takes above the plot (its current value, rail and ticks).
ROOM = 140


def slider(
    names: list[str], labels: list[str], active: int, prefix: str, tick_labels: bool = True
) -> dict:
    """A slider above the plot with one step per frame ``names[k]``, labelled
    ``labels[k]``, starting at step ``active``. Without ``tick_labels`` (hundreds of
    steps) only the chosen step's label is shown, after ``prefix``."""
    steps = [
        dict(method="animate", label=label, args=[[name], JUMP])
        for name, label in zip(names, labels)
    ]
    ticks = (
        dict(color=style.GREY, size=style.TICK_SIZE)
        if tick_labels
        else dict(color="rgba(0,0,0,0)", size=4)
    )
    return dict(
        active=active,
        steps=steps,
        x=0,
        len=1,
        y=1.0,
        yanchor="bottom",
        pad=dict(t=0, b=58),
        font=ticks,
        ticklen=3,
        minorticklen=0,
        bgcolor=style.GREY,
        activebgcolor=style.HIGHLIGHT,
        bordercolor=style.GREY,
        tickcolor=style.GREY,
        currentvalue=dict(
            prefix=prefix, xanchor="left", font=dict(size=style.FONT_SIZE, color=style.GREY)
        ),
    )


def with_slider(doc: dict, frames: list[dict], bar: dict):
    """The figure ``doc`` (``data``, ``layout``: plain dicts) with ``frames`` and the
    slider ``bar`` above the plot (:data:`ROOM` more pixels at the top), not validated."""
    layout = dict(doc["layout"], sliders=[bar])
    margin = dict(layout.get("margin", {}))
    margin["t"] = margin.get("t", 30) + ROOM
    layout.update(margin=margin, height=layout.get("height", 450) + ROOM)
    return quick_figure_class()(
        dict(data=doc["data"], layout=layout, frames=frames), _validate=False
    )
