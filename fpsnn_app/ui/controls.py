"""Controls bound to the URL that follow the state model of :mod:`fpsnn_app.state`.

Each control takes the values the current network allows, reconciles the value it is about
to show (from this session, else from the link) *before* Streamlit draws it, and shows a
short note under it when the value had to change. The reconciled value is written to
``st.session_state``, so the widget shows it and Streamlit writes it to the URL; a later
rerun never changes it again. Every control is bound to the URL (``bind="query-params"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from ..state import clamp_number, reconcile_choice, reconcile_subset

Q = {"bind": "query-params"}
_DEFAULTS = "fpsnn.defaults"  # {key: the default the control had in the last run}
_MISSING = object()


class _Unknown(str):
    """A value in the link that names no option of the control."""


def _current(key: str, from_url: Callable[[Any], Any]):
    """The value the control ``key`` is about to take: this session's, else the link's
    (parsed by ``from_url``; :class:`_Unknown` if it does not parse), else ``_MISSING``."""
    if key in st.session_state:
        return st.session_state[key]
    if key in st.query_params:
        raw = st.query_params.get_all(key)
        try:
            return from_url(raw)
        except (ValueError, KeyError, IndexError):
            return _Unknown(" ".join(raw))
    return _MISSING


def _reconcile(
    key: str,
    default,
    reconcile: Callable,
    from_url: Callable,
    describe: Callable[[Any], str],
    what: str,
) -> str | None:
    """Apply the state model to the control ``key``; the note to show, if any."""
    defaults = st.session_state.setdefault(_DEFAULTS, {})
    old_default, defaults[key] = defaults.get(key, _MISSING), default
    current = _current(key, from_url)
    if current is _MISSING:
        return None
    if current == old_default and default != old_default and key in st.session_state:
        st.session_state[key] = default  # untouched: follows its default
        return None
    new, changed = (default, True) if isinstance(current, _Unknown) else reconcile(current)
    if not changed:
        return None
    st.session_state[key] = new
    shown = str(current) if isinstance(current, _Unknown) else describe(current)
    return f"{what}: {shown} is not available for this network; now {describe(new)}."


def _safe(fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    def describe(v) -> str:
        try:
            return str(fmt(v))
        except Exception:  # noqa: BLE001 - a stale value may not format
            return str(v)

    return describe


def _note(container, text: str | None) -> None:
    if text:
        container.caption(f":material/sync: {text}")


def int_slider(
    container,
    label: str,
    lo: int,
    hi: int,
    default: int,
    key: str,
    *,
    what: str | None = None,
    **kwargs,
) -> int:
    """``st.slider`` over the integers ``lo..hi``; a value outside is clamped."""
    hi = max(hi, lo + 1)  # Streamlit needs lo < hi
    default = int(min(max(default, lo), hi))
    note = _reconcile(
        key,
        default,
        lambda v: clamp_number(int(v), lo, hi),
        lambda raw: int(float(raw[-1])),
        str,
        what or label,
    )
    value = container.slider(label, lo, hi, default, key=key, **Q, **kwargs)
    _note(container, note)
    return value


def optional_index(
    container, label: str, lo: int, hi: int, key: str, *, what: str | None = None, **kwargs
) -> int | None:
    """A ``st.number_input`` over the integers ``lo..hi`` that starts empty (``None``: no
    choice yet); a number outside is clamped."""
    hi = max(hi, lo)
    note = _reconcile(
        key,
        None,
        lambda v: (None, False) if v is None else clamp_number(int(v), lo, hi),
        lambda raw: int(float(raw[-1])),
        str,
        what or label,
    )
    value = container.number_input(label, lo, hi, None, key=key, **Q, **kwargs)
    _note(container, note)
    return None if value is None else int(value)


def choice(
    container,
    label: str,
    options: Sequence,
    default,
    key: str,
    *,
    format_func: Callable[[Any], str] = str,
    widget: str = "selectbox",
    what: str | None = None,
    **kwargs,
):
    """A ``st.selectbox`` (or ``widget="radio"``) over ``options``; a value no longer
    offered is reset to ``default``. The link holds the option's label."""
    options = list(options)
    default = default if default in options else options[0]
    by_label = {str(format_func(o)): o for o in options}
    note = _reconcile(
        key,
        default,
        lambda v: reconcile_choice(v, options, default),
        lambda raw: by_label[raw[-1]],
        _safe(format_func),
        what or label,
    )
    draw = getattr(container, widget)
    value = draw(
        label,
        options,
        index=options.index(default),
        key=key,
        format_func=format_func,
        **Q,
        **kwargs,
    )
    _note(container, note)
    return value


def subset(
    container,
    label: str,
    options: Sequence,
    default: Sequence,
    key: str,
    *,
    format_func: Callable[[Any], str] = str,
    what: str | None = None,
    **kwargs,
) -> list:
    """A ``st.multiselect`` over ``options``; items no longer offered are dropped."""
    options, default = list(options), [d for d in default if d in options]
    by_label = {str(format_func(o)): o for o in options}
    fmt = _safe(format_func)
    note = _reconcile(
        key,
        default,
        lambda v: reconcile_subset(v, options, default),
        lambda raw: [by_label[r] for r in raw if r],
        lambda vs: ", ".join(map(fmt, vs)) or "none",
        what or label,
    )
    value = container.multiselect(
        label, options, default=default, key=key, format_func=format_func, **Q, **kwargs
    )
    _note(container, note)
    return value


def output_class(container, label: str, outputs: Sequence[int], key: str, **kwargs) -> int:
    """The class of a loss: one of the network's output neurons, shown and linked as
    ``n<i>``; returns its index in ``outputs`` (what the losses take)."""
    neuron = choice(
        container,
        label,
        outputs,
        outputs[0],
        key,
        what="Class",
        format_func=lambda i: f"n{i}",
        **kwargs,
    )
    return list(outputs).index(neuron)


def _numbers(text: str) -> tuple[float, ...]:
    values = []
    for item in text.replace(",", " ").split():
        try:
            v = float(item)
        except ValueError:
            raise ValueError(f"{item!r} is not a number") from None
        if not math.isfinite(v):
            raise ValueError(f"{item} is not a finite number")
        values.append(v)
    return tuple(values)


def target_times(
    container, label: str, n: int, default: str, key: str, *, one_for_all: bool = False, **kwargs
) -> tuple[float, ...]:
    """A text input of ``n`` target times, one per output (or one for all with
    ``one_for_all``). A count that does not fit the network is reset to ``default`` with a
    note; text that is no list of numbers is flagged and ``default`` used until fixed."""

    def fits(values) -> bool:
        return len(values) == n or (one_for_all and len(values) == 1)

    def reconcile(text):
        try:
            return (text, False) if fits(_numbers(text)) else (default, True)
        except ValueError:
            return text, False  # a typo: flagged below, not replaced

    note = _reconcile(key, default, reconcile, lambda raw: raw[-1], str, label)
    text = container.text_input(label, default, key=key, **Q, **kwargs)
    _note(container, note)
    try:
        values = _numbers(text)
        if not fits(values):
            raise ValueError(f"give {'one time or ' * one_for_all}{n} (one per output)")
    except ValueError as exc:
        container.error(f"{label}: {exc}. Using the default ({default}) until it is fixed.")
        values = _numbers(default)
    return values * n if len(values) == 1 and n > 1 else values
