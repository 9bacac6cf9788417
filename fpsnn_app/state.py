"""The app's state model: what happens to a control when the network changes.

Many controls offer values that depend on the network: the class (an output neuron), the
selected spike, the FP or replay step (at most the number of spikes), the weight to slice,
the neurons to draw, the target times (one per output). When the network changes (another
motif, other constants, a weight edit, an upload, an edited link), each such control is
reconciled *before* it is drawn, by one of these rules:

* a number outside ``[lo, hi]`` is clamped to the nearer end (:func:`clamp_number`);
* a choice that is no longer offered is reset to the control's default
  (:func:`reconcile_choice`);
* a selection of several choices keeps the items still offered, and falls back to the
  default when none is left (:func:`reconcile_subset`);
* a value equal to the control's previous default follows the new default (an untouched
  replay slider stays at the last step), see :func:`fpsnn_app.ui.controls`.

The rules never raise and never leave a stale value for a later rerun to change; the
controls in :mod:`fpsnn_app.ui.controls` apply them, show a short note when a value
changed, and write the reconciled value to the URL. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def clamp_number(value, lo, hi) -> tuple[Any, bool]:
    """``value`` clamped to ``[lo, hi]``, and whether it changed."""
    clamped = min(max(value, lo), hi)
    return clamped, clamped != value


def reconcile_choice(value, options: Sequence, default) -> tuple[Any, bool]:
    """``value`` if it is among ``options``, else ``default``; and whether it changed."""
    if value in options:
        return value, False
    return default, True


def reconcile_subset(values, options: Sequence, default) -> tuple[list, bool]:
    """The items of ``values`` still among ``options`` (the ``default`` if none is left),
    and whether the selection changed."""
    values = list(values)
    kept = [v for v in values if v in options]
    if not kept and values:
        kept = list(default)
    return kept, kept != values
