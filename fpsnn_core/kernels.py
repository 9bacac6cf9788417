"""The joint post-synaptic kernel of the LIF model and its time derivative.

With ``a = 1/tau_s`` (synapse) and ``b = 1/tau_n`` (membrane), one spike at time 0
delivered with unit weight makes the membrane potential follow the joint kernel
``h = h_s * h_n`` (convolution of two exponentials)::

    h(t)  = (exp(-a t) - exp(-b t)) / (b - a)          t > 0, a != b
    h(t)  = t exp(-b t)                                 t > 0, a == b
    h'(t) = (b exp(-b t) - a exp(-a t)) / (b - a)       (a == b: (1 - b t) exp(-b t))

and ``h(t) = h'(t) = 0`` for ``t <= 0``. Both expressions are symmetric in ``a`` and
``b``. With ``lo = min(a, b)``, ``d = |b - a|`` and ``phi1(x) = expm1(x)/x`` (``phi1(0) = 1``)
they are evaluated as::

    h(t)  = t exp(-lo t) phi1(-d t)
    h'(t) = exp(-lo t) (1 - hi t phi1(-d t))            hi = max(a, b)

which has no cancellation as ``a -> b`` and equals the limit formula at ``a == b``:
the kernels are continuous in the time constants.
"""

from __future__ import annotations

import numpy as np


def phi1(x: np.ndarray) -> np.ndarray:
    """``expm1(x) / x`` with its limit 1 at ``x = 0``; accurate for every ``x <= 0``."""
    x = np.asarray(x, dtype=float)
    zero = x == 0.0
    if not zero.any():                                   # the common case, no masking
        return np.expm1(x) / x
    safe = np.where(zero, 1.0, x)
    return np.where(zero, 1.0, np.expm1(safe) / safe)


def kernel_pair(s, lo, hi, e_lo=None) -> tuple[np.ndarray, np.ndarray]:
    """``h(s)`` and ``h'(s)`` for ``s >= 0`` in the evaluated form above, given
    ``lo = min(a, b)`` and ``hi = max(a, b)`` (arrays broadcast); ``e_lo = exp(-lo s)``
    when the caller has it already.

    The one evaluation of the kernel: :func:`kernel`, :func:`kernel_derivative`, the
    crossing search of :mod:`fpsnn_core.simulate` and the batched path call it; the event
    loop of :func:`fpsnn_core.simulate.simulate` uses its float specialisation
    ``_Neuron.h`` (tested equal to it).
    """
    if e_lo is None:
        e_lo = np.exp(-lo * s)
    p = phi1((lo - hi) * s)
    return s * e_lo * p, e_lo * (1.0 - hi * s * p)


def _lo_hi(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return np.minimum(a, b), np.maximum(a, b)


def _for_all_t(t, a, b, which: int) -> np.ndarray:
    """``kernel_pair(t)[which]`` for ``t > 0``, zero for ``t <= 0``; arrays broadcast."""
    t = np.asarray(t, dtype=float)
    lo, hi = _lo_hi(a, b)
    return np.where(t > 0, kernel_pair(np.maximum(t, 0.0), lo, hi)[which], 0.0)


def kernel(t, a, b) -> np.ndarray:
    """Joint kernel ``h(t)`` (module docstring); arrays broadcast, zero for ``t <= 0``."""
    return _for_all_t(t, a, b, 0)


def kernel_derivative(t, a, b) -> np.ndarray:
    """Time derivative ``h'(t)`` (module docstring) for ``t > 0``; zero for ``t <= 0``."""
    return _for_all_t(t, a, b, 1)
