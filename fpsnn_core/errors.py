"""Errors raised by fpsnn_core, each naming what went wrong in words a user can act on.

Bad arguments raise the built-in ``ValueError``; an argument of the wrong type (a string
where a number belongs, a dict where spike times belong) raises :class:`ArgumentTypeError`,
which is both a ``TypeError`` and a ``ValueError``. The other classes below mark
conditions of the mathematics or of a budget rather than of the arguments; they derive
from ``FPSNNError``.
"""


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type; also a ``ValueError``, like every bad argument."""


class FPSNNError(Exception):
    """Base class of the conditions below."""


class RunawayFiringError(FPSNNError, RuntimeError):
    """The simulation reached its spike budget (``max_spikes``) or its work budget
    (``max_work``, spike deliveries) before ``t_max``; the message names which."""


class GrazingSpikeError(FPSNNError, ArithmeticError):
    """A spike crosses threshold with (nearly) zero slope: ``L_kk ~ 0``, gradient singular."""


class NoSpikeError(FPSNNError, LookupError):
    """A loss needs a spike time from a neuron that did not fire."""


class FiniteDifferenceError(FPSNNError, ArithmeticError):
    """A finite-difference step changed the number or order of spikes."""
