"""Class labels on a square grid, computed coarse to fine (no Streamlit, no Plotly).

A decision-region picture needs the predicted class at every point of a ``G x G`` grid, and
each point costs one network simulation. Away from the boundaries the class is constant,
so :func:`refined_labels` evaluates a coarse sub-grid (every ``2**levels``-th point) and
then halves the spacing ``levels`` times. At each level a new point lies midway between
already known neighbours at distance ``h`` (the spacing of the new level):

* on a row or a column of the known lattice, between its two neighbours along that line;
* at the centre of a known cell, among its four corners.

If those neighbours all have the same label the new point gets it; otherwise (the point is
next to a boundary) it is evaluated. Every point next to a boundary that the coarser level
saw is thus evaluated, and the result equals evaluating every point, except where a region
fits between known points of the same label: a region (or a stripe) narrower than the
coarse spacing ``2**levels / (G - 1)`` can be missed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def refined_labels(
    predict: Callable[[np.ndarray], np.ndarray], grid: np.ndarray, levels: int
) -> tuple[np.ndarray, int]:
    """Labels of ``predict`` on the grid ``grid x grid`` (module docstring).

    Parameters
    ----------
    predict : callable
        ``predict(points)`` with ``points`` of shape (n, 2) (columns ``x``, ``y``) returns
        integer labels, shape (n,). Called for the coarse grid, then once per level that
        has points to evaluate.
    grid : ndarray, shape (G,)
        Coordinates along both axes; ``G - 1`` must be divisible by ``2**levels``.
    levels : int
        Number of halvings; ``0`` evaluates every point.

    Returns
    -------
    labels : ndarray of int, shape (G, G)
        ``[row = y, column = x]``.
    evaluated : int
        Points passed to ``predict`` (at most ``G**2``).
    """
    grid = np.asarray(grid, dtype=float)
    G, step = grid.size, 2 ** int(levels)
    if levels < 0 or G < 2 or (G - 1) % step:
        raise ValueError(
            f"a grid of {G} points cannot be refined {levels} times "
            f"(G - 1 must be divisible by {step})"
        )
    labels = np.zeros((G, G), dtype=int)
    known = np.zeros((G, G), dtype=bool)

    def evaluate(rows: np.ndarray, cols: np.ndarray) -> int:
        if rows.size:
            labels[rows, cols] = np.asarray(
                predict(np.stack([grid[cols], grid[rows]], axis=1)), dtype=int
            )
            known[rows, cols] = True
        return int(rows.size)

    coarse = np.arange(0, G, step)
    rows, cols = (a.ravel() for a in np.meshgrid(coarse, coarse, indexing="ij"))
    evaluated = evaluate(rows, cols)
    while step > 1:
        h = step // 2
        idx = np.arange(0, G, h)
        rows, cols = (a.ravel() for a in np.meshgrid(idx, idx, indexing="ij"))
        new = ~known[rows, cols]
        rows, cols = rows[new], cols[new]
        odd_r, odd_c = (rows // h) % 2 == 1, (cols // h) % 2 == 1
        # the known neighbours of each new point (see the module docstring)
        dr = np.where(odd_r, h, 0)
        dc = np.where(odd_c, h, 0)
        corners = np.stack(
            [
                labels[rows - dr, cols - dc],
                labels[rows - dr, cols + dc],
                labels[rows + dr, cols - dc],
                labels[rows + dr, cols + dc],
            ]
        )
        same = np.all(corners == corners[0], axis=0)
        labels[rows[same], cols[same]] = corners[0, same]
        known[rows[same], cols[same]] = True
        evaluated += evaluate(rows[~same], cols[~same])
        step = h
    return labels, evaluated
