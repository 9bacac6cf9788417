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

**Derivatives with respect to the rates.** Written as the convolution
``h(t) = int_0^t exp(-a u - b (t - u)) du = t int_0^1 exp(-lo t - d t v) dv``, where ``v``
is the fraction of ``[0, t]`` spent decaying at the faster rate ``hi``, the kernel's
derivatives with respect to the two rates are weighted averages of the same integrand::

    dh/d(lo) = -t^2 exp(-lo t) phi2(-d t),    phi2(x) = (expm1(x) - x) / x^2          (K1)
    dh/d(hi) = -t^2 exp(-lo t) psi(-d t),     psi(x)  = (x exp(x) - expm1(x)) / x^2

(``phi2 = int_0^1 (1 - v) exp(x v) dv``, ``psi = int_0^1 v exp(x v) dv``, so
``phi2 + psi = phi1``), and ``dh/da``, ``dh/db`` are the one of the two that belongs to
``a`` and ``b``. At ``a == b`` both are ``-t^2 exp(-b t) / 2`` (``phi2(0) = psi(0) = 1/2``):
continuous in the time constants. The plain quotients, ``(h - t exp(-a t)) / (b - a)``
for ``dh/da``, lose all digits as ``a -> b``; so do the closed forms of ``phi2`` and
``psi`` for small ``|x|`` (``expm1(x) - x ~ x^2/2``): for ``|x| < 1`` they are summed
from their Taylor series ``phi2 = sum x^n / (n+2)!``, ``psi = sum x^n / (n! (n+2))``
(18 terms, below one ulp), and for ``x <= -1`` the closed forms have no cancellation.
"""

from __future__ import annotations

import numpy as np


def phi1(x: np.ndarray) -> np.ndarray:
    """``expm1(x) / x`` with its limit 1 at ``x = 0``; accurate for every ``x <= 0``."""
    x = np.asarray(x, dtype=float)
    zero = x == 0.0
    if not zero.any():  # the common case, no masking
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


#: ``lo t`` beyond which ``exp(-lo t)`` is 0 in double precision (it underflows at about
#: 745), so ``h`` and ``h'`` are 0 there too.
_DECAYED = 800.0


def _for_all_t(t, a, b, which: int) -> np.ndarray:
    """``kernel_pair(t)[which]`` for ``t > 0``, zero for ``t <= 0``; arrays broadcast.

    ``t`` is capped at ``_DECAYED / lo``, where the kernel is 0 in floating point already:
    a huge finite ``t`` (``1e307``) would otherwise overflow ``hi t`` into ``0 * inf``."""
    t = np.asarray(t, dtype=float)
    lo, hi = _lo_hi(a, b)
    s = np.minimum(np.maximum(t, 0.0), _DECAYED / lo)
    return np.where(t > 0, kernel_pair(s, lo, hi)[which], 0.0)


def kernel(t, a, b) -> np.ndarray:
    """Joint kernel ``h(t)`` (module docstring); arrays broadcast, zero for ``t <= 0``."""
    return _for_all_t(t, a, b, 0)


def kernel_derivative(t, a, b) -> np.ndarray:
    """Time derivative ``h'(t)`` (module docstring) for ``t > 0``; zero for ``t <= 0``."""
    return _for_all_t(t, a, b, 1)


#: Terms of the Taylor series of ``phi2`` and ``psi`` for ``|x| < 1`` (the next is below
#: ``1/20! ~ 4e-19`` of the value).
_SERIES_TERMS = 18
_FACT = np.cumprod(np.r_[1.0, np.arange(1.0, _SERIES_TERMS + 3)])  # 0! .. (N+2)!
_PHI2_COEF = 1.0 / _FACT[2 : _SERIES_TERMS + 2]  # 1 / (n+2)!
_PSI_COEF = 1.0 / (_FACT[:_SERIES_TERMS] * np.arange(2.0, _SERIES_TERMS + 2))  # 1 / (n! (n+2))


def _horner(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, coef[-1])
    for c in coef[-2::-1]:
        out = out * x + c
    return out


def phi2_psi(x) -> tuple[np.ndarray, np.ndarray]:
    """``phi2(x)`` and ``psi(x)`` of (K1) for ``x <= 0``: Taylor series for ``|x| < 1``,
    the closed forms elsewhere (module docstring); both ``1/2`` at ``x = 0``."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1.0
    xs = np.where(small, x, 0.0)
    xl = np.where(small, -1.0, x)
    em1 = np.expm1(xl)
    with np.errstate(under="ignore"):
        big_psi = (xl * np.exp(xl) - em1) / (xl * xl)
    phi2 = np.where(small, _horner(_PHI2_COEF, xs), (em1 - xl) / (xl * xl))
    psi = np.where(small, _horner(_PSI_COEF, xs), big_psi)
    return phi2, psi


def kernel_rate_derivatives(t, a, b) -> tuple[np.ndarray, np.ndarray]:
    """``dh/da`` and ``dh/db`` by (K1) (module docstring) for ``t > 0``, zero for
    ``t <= 0``; arrays broadcast. Continuous through ``a == b``."""
    t = np.asarray(t, dtype=float)
    lo, hi = _lo_hi(a, b)
    s = np.maximum(t, 0.0)
    phi2, psi = phi2_psi((lo - hi) * s)
    scale = np.where(t > 0, -s * s * np.exp(-lo * s), 0.0)
    d_lo, d_hi = scale * phi2, scale * psi
    a_is_lo = np.asarray(a, dtype=float) <= np.asarray(b, dtype=float)
    return np.where(a_is_lo, d_lo, d_hi), np.where(a_is_lo, d_hi, d_lo)
