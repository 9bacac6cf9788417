"""The kernel formulas against SymPy's symbolic convolution and derivative."""

import mpmath
import numpy as np
import pytest
import sympy as sym

import fpsnn_core as fp
from fpsnn_core.simulate import _Neuron

t, s = sym.symbols("t s", positive=True)


def symbolic_kernel(a, b):
    """h = h_s * h_n: the convolution of exp(-a t) and exp(-b t), by SymPy."""
    return sym.integrate(sym.exp(-a * s) * sym.exp(-b * (t - s)), (s, 0, t))


@pytest.mark.parametrize(
    "a,b",
    [(2, 1), (sym.Rational(99, 100), 1), (1, 3), (1, 1), (sym.Rational(5, 2), sym.Rational(5, 2))],
)
def test_kernel_and_derivative_equal_symbolic_convolution(a, b):
    h = symbolic_kernel(a, b)
    dh = sym.diff(h, t)
    h_num = sym.lambdify(t, h, "mpmath")
    dh_num = sym.lambdify(t, dh, "mpmath")
    grid = np.array([1e-6, 0.013, 0.37, 1.0, 2.9, 7.5])
    ours = fp.kernel(grid, float(a), float(b))
    ours_d = fp.kernel_derivative(grid, float(a), float(b))
    with mpmath.workdps(50):  # the symbolic form cancels for small t: evaluate it in 50 digits
        exact = np.array([float(h_num(mpmath.mpf(x))) for x in grid])
        exact_d = np.array([float(dh_num(mpmath.mpf(x))) for x in grid])
    np.testing.assert_allclose(ours, exact, rtol=3e-15, atol=0)  # 3.1e-16
    np.testing.assert_allclose(ours_d, exact_d, rtol=4e-14, atol=1e-16)  # 3.8e-15


def test_kernels_vanish_before_the_spike():
    x = np.array([-1.0, -1e-9, 0.0])
    assert np.all(fp.kernel(x, 2.0, 1.0) == 0) and np.all(fp.kernel_derivative(x, 2.0, 1.0) == 0)


def test_kernels_continuous_as_time_constants_meet():
    grid = np.linspace(0.01, 5, 50)
    at = fp.kernel(grid, 1.0, 1.0)
    for d in (1e-4, 1e-8, 1e-12, -1e-8):
        np.testing.assert_allclose(fp.kernel(grid, 1.0 + d, 1.0), at, rtol=3 * abs(d) * 5 + 1e-15)
        np.testing.assert_allclose(
            fp.kernel_derivative(grid, 1.0 + d, 1.0),
            fp.kernel_derivative(grid, 1.0, 1.0),
            atol=3 * abs(d) * 5 + 1e-15,
        )


@pytest.mark.parametrize(
    "a,b", [(0.7, 3.0), (3.0, 0.7), (1.0, 1.0 + 1e-9), (1.0 + 1e-9, 1.0), (5.0, 0.2), (2.0, 2.0)]
)
def test_either_time_constant_faster_and_the_float_specialisation(a, b):
    """h(t) = (exp(-a t) - exp(-b t)) / (b - a) and its derivative, written in that plain
    form and evaluated with 60 digits (at a == b: t exp(-b t)), against the array kernels
    and the event loop's float specialisation, with a and b either way round."""
    grid = [1e-7, 0.02, 0.4, 1.0, 3.3, 9.0]
    neuron = _Neuron(a, b, 1.0)
    with mpmath.workdps(60):
        A, B = mpmath.mpf(a), mpmath.mpf(b)
        for x in grid:
            X = mpmath.mpf(x)
            if a == b:
                h, dh = X * mpmath.exp(-B * X), (1 - B * X) * mpmath.exp(-B * X)
            else:
                h = (mpmath.exp(-A * X) - mpmath.exp(-B * X)) / (B - A)
                dh = (B * mpmath.exp(-B * X) - A * mpmath.exp(-A * X)) / (B - A)
            # holds: 2.1e-16 (h), 1.1e-16 absolute where h' is near its zero (h')
            assert float(fp.kernel(x, a, b)) == pytest.approx(float(h), rel=3e-15)
            assert neuron.h(x) == pytest.approx(float(h), rel=3e-15)
            assert float(fp.kernel_derivative(x, a, b)) == pytest.approx(
                float(dh), rel=2e-14, abs=1e-16
            )


def test_kernel_is_zero_without_overflow_at_huge_times():
    """A huge finite time gives 0, not an overflow into ``0 * inf`` (found by fuzzing the
    traces with a grid point at 8.99e307); values where the kernel has not decayed are
    untouched by the cap."""
    import warnings

    from fpsnn_core import kernels

    t = np.array([8.98846567431158e307, 1e6, 0.5, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = kernels.kernel(t, 1.0, 2.0)
        dh = kernels.kernel_derivative(t, 1.0, 2.0)
    assert h[0] == 0.0 and dh[0] == 0.0 and h[1] == 0.0 and dh[1] == 0.0
    s = t[2:]
    np.testing.assert_allclose(h[2:], np.exp(-s) - np.exp(-2 * s), rtol=1e-14)
    np.testing.assert_allclose(dh[2:], -np.exp(-s) + 2 * np.exp(-2 * s), rtol=1e-14)


def test_traces_refuse_a_grid_beyond_max_grid_time():
    from fpsnn_core import traces

    net = fp.Network(weights=np.array([[1.5], [0.0]]), n_inputs=1, tau_s=0.5, tau_n=1.0)
    sim = fp.simulate(net, [[0.5]], 3.0)
    with pytest.raises(ValueError, match="within"):
        fp.potentials(net, sim, [1.0, 8.98846567431158e307])
    ok = fp.potentials(net, sim, [1.0, traces.MAX_GRID_TIME])
    assert ok.V[1, 0] == 0.0 and np.isfinite(ok.V).all()
