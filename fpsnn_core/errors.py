"""Errors raised by fpsnn_core, each naming what went wrong in words a user can act on.

Bad arguments raise the built-in ``ValueError``. The classes below mark conditions of
the mathematics rather than of the arguments; all derive from ``FPSNNError``.
"""


class FPSNNError(Exception):
    """Base class of the conditions below."""


class RunawayFiringError(FPSNNError, RuntimeError):
    """The simulation reached its spike budget (``max_spikes``) before ``t_max``."""


class GrazingSpikeError(FPSNNError, ArithmeticError):
    """A spike crosses threshold with (nearly) zero slope: ``L_kk ~ 0``, gradient singular."""


class NoSpikeError(FPSNNError, LookupError):
    """A loss needs a spike time from a neuron that did not fire."""


class FiniteDifferenceError(FPSNNError, ArithmeticError):
    """A finite-difference step changed the number or order of spikes."""
