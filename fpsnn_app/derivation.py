"""SymPy derivations of the kernel and of the implicit-function step (no Streamlit here).

For one neuron fed by one input spike at time 0 with weight ``w``::

    h(t)   = int_0^t exp(-a s) exp(-b (t - s)) ds        (the convolution h_s * h_n)
    h'(t)  = d h / d t,  peak t* where h'(t*) = 0
    Phi(f, w) = w h(f) - theta = 0                       (the spike-time equation)
    df/dw  = -(dPhi/dw) / (dPhi/df) = -h(f) / (w h'(f))  (implicit function theorem)

:func:`symbolic_kernel` derives the general forms once (SymPy takes most of a second) and
memoizes them; :func:`derive` substitutes the current parameters and
:func:`kernel_functions` turns the result into NumPy functions (both memoized per process
too: the server shares them across sessions, and :mod:`fpsnn_app.warm` fills them for the
default parameters when it starts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

t, s, a, b, w, theta, f = sp.symbols("t s a b w theta f", positive=True)


@dataclass(frozen=True)
class SymbolicKernel:
    """General results: the integral, ``h``, ``h'``, the peak and the IFT derivative."""

    integral: sp.Expr
    h: sp.Expr
    dh: sp.Expr
    peak: sp.Expr
    peak_equal: sp.Expr
    dphi_df: sp.Expr
    dphi_dw: sp.Expr
    df_dw: sp.Expr


@lru_cache(maxsize=1)
def symbolic_kernel() -> SymbolicKernel:
    """Derive the kernel and the IFT step symbolically (pure; computed once per process)."""
    integral = sp.Integral(sp.exp(-a * s) * sp.exp(-b * (t - s)), (s, 0, t))
    h = sp.simplify(integral.doit())  # Piecewise: a != b, a == b
    dh = sp.simplify(sp.diff(h, t))
    generic_dh = dh.args[0][0]
    peak = sp.simplify(sp.solve(sp.Eq(generic_dh, 0), t)[0])
    peak_equal = sp.solve(sp.Eq(dh.args[1][0], 0), t)[0]
    phi = w * sp.Function("h")(f) - theta
    dphi_df = sp.diff(phi, f)
    dphi_dw = sp.diff(phi, w)
    return SymbolicKernel(
        integral, h, dh, peak, peak_equal, dphi_df, dphi_dw, sp.simplify(-dphi_dw / dphi_df)
    )


def rational(x: float) -> sp.Rational:
    """A slider value as an exact rational (0.05 steps stay short: ``0.35 -> 7/20``)."""
    return sp.nsimplify(round(float(x), 6), rational=True)


def _latex(expr) -> str:
    """``sympy.latex`` with ``h(f)`` and ``h'(f)`` written as in the text."""
    return (
        sp.latex(expr)
        .replace("\\frac{d}{d f} h{\\left(f \\right)}", "h'(f)")
        .replace("h{\\left(f \\right)}", "h(f)")
    )


@dataclass(frozen=True)
class Derivation:
    """The derivation with numbers: LaTeX steps and the values of the IFT step."""

    steps: tuple  # (title, latex) pairs
    a: sp.Rational
    b: sp.Rational
    h: sp.Expr  # h(t) for these a, b
    dh: sp.Expr


@lru_cache(maxsize=256)
def derive(tau_s: float, tau_n: float) -> Derivation:
    """Substitute ``a = 1/tau_s`` and ``b = 1/tau_n`` into the general results."""
    k = symbolic_kernel()
    av, bv = 1 / rational(tau_s), 1 / rational(tau_n)
    equal = av == bv
    h = sp.simplify((k.h.args[1][0] if equal else k.h.args[0][0]).subs({a: av, b: bv}))
    dh = sp.simplify(sp.diff(h, t))
    peak = (k.peak_equal if equal else k.peak).subs({a: av, b: bv})
    L = _latex
    steps = (
        (
            "The joint kernel is the convolution of the synaptic and membrane kernels",
            f"h(t) = {L(k.integral)} = {L(k.h)}",
        ),
        ("Its time derivative", f"h'(t) = {L(k.dh)}"),
        (
            f"For the current parameters a = 1/τ_s = {av}, b = 1/τ_n = {bv}"
            + (" (equal: the limit form)" if equal else ""),
            f"h(t) = {L(h)}, \\qquad h'(t) = {L(dh)}",
        ),
        (
            "The kernel peaks where h'(t*) = 0",
            f"t^* = {L(k.peak_equal if equal else k.peak)} = {L(peak)} \\approx {float(peak):.4f},"
            f"\\qquad h(t^*) \\approx {float(h.subs(t, peak)):.4f}",
        ),
        (
            "One input spike at 0 with weight w: the spike time f solves",
            "\\Phi(f, w) = w\\,h(f) - \\theta = 0",
        ),
        (
            "Implicit function theorem",
            f"\\frac{{df}}{{dw}} = -\\frac{{\\partial\\Phi/\\partial w}}{{\\partial\\Phi/\\partial f}}"
            f" = -\\frac{{{L(k.dphi_dw)}}}{{{L(k.dphi_df)}}}"
            " = -\\frac{\\theta}{w^2\\,h'(f)}\\quad(\\text{since } w\\,h(f) = \\theta)",
        ),
    )
    return Derivation(steps, av, bv, h, dh)


@lru_cache(maxsize=256)
def kernel_functions(tau_s: float, tau_n: float) -> tuple[Callable, Callable]:
    """``h(t)`` and ``h'(t)`` of :func:`derive` as NumPy functions (``sympy.lambdify``)."""
    d = derive(tau_s, tau_n)
    return sp.lambdify(t, d.h, "numpy"), sp.lambdify(t, d.dh, "numpy")
