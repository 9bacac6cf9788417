"""Surrogate derivatives of the spike function ``H(V - theta)``
(docs/model.md#surrogate-gradients).

Back-propagation through time in a discrete spiking network meets ``dH/dV``, which is
zero almost everywhere. Surrogate-gradient training replaces it by the derivative
``sigma'(x)`` of a smooth function ``sigma``, ``x = V - theta``, while the forward pass
keeps ``H``. Each class below is one such choice: ``fn`` is ``sigma``, ``grad`` is
``sigma'``, and ``slope`` (``beta``) sets how narrow the window around threshold is.
Their formulas and sources are in the class docstrings. ``integral`` is
``int sigma'(x) dx`` over the real line (``inf`` for straight-through): the total credit
one threshold crossing can receive.

All classes are frozen dataclasses with ``fn``/``grad`` vectorized over arrays; build one
by name with :func:`surrogate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Surrogate:
    """Base class: a smooth ``sigma`` and its derivative; ``slope > 0``."""

    slope: float = 5.0
    name = "surrogate"
    source = ""

    def __post_init__(self):
        if not np.isscalar(self.slope) or not np.isfinite(self.slope) or self.slope <= 0:
            raise ValueError(
                f"the slope of a surrogate must be a finite number > 0, got {self.slope!r}"
            )
        object.__setattr__(self, "slope", float(self.slope))

    def fn(self, x) -> np.ndarray:
        raise NotImplementedError

    def grad(self, x) -> np.ndarray:
        raise NotImplementedError

    @property
    def integral(self) -> float:
        return 1.0

    def label(self) -> str:
        return f"{self.name} (slope {self.slope:g})"


@dataclass(frozen=True)
class FastSigmoid(Surrogate):
    """Fast sigmoid of SuperSpike::

        sigma(x)  = x / (1 + beta |x|)
        sigma'(x) = 1 / (1 + beta |x|)^2          integral 2 / beta

    Zenke & Ganguli, "SuperSpike: supervised learning in multilayer spiking neural
    networks", Neural Computation 30 (2018); the form of snnTorch's ``fast_sigmoid``.
    """

    name = "fast sigmoid"
    source = "Zenke & Ganguli 2018 (SuperSpike)"

    def fn(self, x):
        x = np.asarray(x, dtype=float)
        return x / (1.0 + self.slope * np.abs(x))

    def grad(self, x):
        return 1.0 / (1.0 + self.slope * np.abs(np.asarray(x, dtype=float))) ** 2

    @property
    def integral(self) -> float:
        return 2.0 / self.slope


@dataclass(frozen=True)
class Sigmoid(Surrogate):
    """Logistic sigmoid::

        sigma(x)  = 1 / (1 + exp(-beta x))
        sigma'(x) = beta sigma(x) (1 - sigma(x))  integral 1

    Neftci, Mostafa & Zenke, "Surrogate gradient learning in spiking neural networks",
    IEEE Signal Processing Magazine 36 (2019); Zenke & Vogels, Neural Computation 33 (2021).
    """

    name = "sigmoid"
    source = "Neftci, Mostafa & Zenke 2019"

    def fn(self, x):
        z = self.slope * np.asarray(x, dtype=float)
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+exp(-z)), no overflow

    def grad(self, x):
        sig = self.fn(x)
        return self.slope * sig * (1.0 - sig)


@dataclass(frozen=True)
class Arctan(Surrogate):
    """Arctangent::

        sigma(x)  = 1/2 + arctan(pi beta x / 2) / pi
        sigma'(x) = (beta / 2) / (1 + (pi beta x / 2)^2)    integral 1

    Fang et al., "Incorporating learnable membrane time constant to enhance learning of
    spiking neural networks", ICCV 2021 (SpikingJelly's ``ATan``, where beta is alpha).
    """

    name = "arctan"
    source = "Fang et al. 2021 (ICCV)"

    def fn(self, x):
        return 0.5 + np.arctan(0.5 * np.pi * self.slope * np.asarray(x, dtype=float)) / np.pi

    def grad(self, x):
        z = 0.5 * np.pi * self.slope * np.asarray(x, dtype=float)
        return 0.5 * self.slope / (1.0 + z * z)


@dataclass(frozen=True)
class Triangle(Surrogate):
    """Triangle (piecewise-linear pseudo-derivative)::

        sigma'(x) = beta max(0, 1 - beta |x|)     integral 1
        sigma(x)  = 0                      x <= -1/beta
                    (1 + beta x)^2 / 2     -1/beta < x <= 0
                    1 - (1 - beta x)^2 / 2  0 < x < 1/beta
                    1                      x >= 1/beta

    Bellec et al., "Long short-term memory and learning-to-learn in networks of spiking
    neurons", NeurIPS 2018 (``gamma max(0, 1 - |x|)`` with ``x`` scaled by the
    threshold); Esser et al., PNAS 113 (2016).
    """

    name = "triangle"
    source = "Bellec et al. 2018 (LSNN)"

    def fn(self, x):
        z = np.clip(self.slope * np.asarray(x, dtype=float), -1.0, 1.0)
        return np.where(z <= 0, 0.5 * (1.0 + z) ** 2, 1.0 - 0.5 * (1.0 - z) ** 2)

    def grad(self, x):
        return self.slope * np.maximum(0.0, 1.0 - self.slope * np.abs(np.asarray(x, dtype=float)))


@dataclass(frozen=True)
class StraightThrough(Surrogate):
    """Straight-through estimator: the step is treated as a line of slope beta::

        sigma(x)  = 1/2 + beta x
        sigma'(x) = beta                           integral inf

    Bengio, Leonard & Courville, "Estimating or propagating gradients through
    stochastic neurons for conditional computation", arXiv:1308.3432 (2013). Credit
    reaches every time step, however far from threshold.
    """

    slope: float = 1.0
    name = "straight-through"
    source = "Bengio, Leonard & Courville 2013"

    def fn(self, x):
        return 0.5 + self.slope * np.asarray(x, dtype=float)

    def grad(self, x):
        return np.full(np.shape(x), self.slope)

    @property
    def integral(self) -> float:
        return float("inf")


#: Surrogates by name, in the order the app lists them.
SURROGATES = {
    "fast_sigmoid": FastSigmoid,
    "sigmoid": Sigmoid,
    "arctan": Arctan,
    "triangle": Triangle,
    "straight_through": StraightThrough,
}


def surrogate(name: str, slope: float | None = None) -> Surrogate:
    """The surrogate called ``name`` (a key of :data:`SURROGATES`), with its default slope
    unless ``slope`` is given."""
    if name not in SURROGATES:
        raise ValueError(f"unknown surrogate {name!r}; choose one of {sorted(SURROGATES)}")
    cls = SURROGATES[name]
    return cls() if slope is None else cls(slope)
