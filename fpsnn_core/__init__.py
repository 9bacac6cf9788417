"""fpsnn_core: exact simulation and exact gradients of spiking networks (NumPy/SciPy).

Notation (docs/model.md#the-network): ``K`` inputs, ``N`` neurons, ``W[j, i]`` from
source ``j`` to neuron
``i`` (shape ``(K+N, N)``), ``tau_s``/``tau_n`` (``a = 1/tau_s``, ``b = 1/tau_n``), threshold
``theta``, feeding kernel ``y_ji``, spike times ``F`` in time order, ``L = dPhi/dF`` in time
order and ``P`` the permutation from neuron-major to time order.

Modules, one concept each:

- :mod:`~fpsnn_core.kernels`      the joint kernel ``h`` and ``h'``
- :mod:`~fpsnn_core.network`      :class:`Network`, immutable and validated
- :mod:`~fpsnn_core.simulate`     exact event-driven simulation
- :mod:`~fpsnn_core.traces`       ``V``, ``I`` and ``y_ji`` on a time grid
- :mod:`~fpsnn_core.implicit`     ``L``, ``P``, ``dPhi/dW`` and the causal graph
- :mod:`~fpsnn_core.partials`     ``dPhi/dp`` for input spike times, thresholds, time constants
- :mod:`~fpsnn_core.gradients`    FP and the adjoint solve (``wrt=`` any of those or ``W``)
- :mod:`~fpsnn_core.eventprop`    EventProp: adjoint dynamics backwards in time
- :mod:`~fpsnn_core.losses`       first-spike cross entropy, spike-time MSE
- :mod:`~fpsnn_core.finite_diff`  central differences that refuse where invalid
- :mod:`~fpsnn_core.discrete`     the same model on a step grid (spike times by interpolation)
- :mod:`~fpsnn_core.surrogate`    surrogate spike derivatives (fast sigmoid, sigmoid, arctan, triangle, straight-through)
- :mod:`~fpsnn_core.bptt`         BPTT with a surrogate; credit over time of one synapse
- :mod:`~fpsnn_core.io`           JSON files
- :mod:`~fpsnn_core.nir_io`       NIR graphs and event data (optional ``nir`` package)
- :mod:`~fpsnn_core.datasets`     XOR, Iris, Yin-Yang and their spike-time encoding
- :mod:`~fpsnn_core.batched`      batched simulation and exact gradients of layered networks
- :mod:`~fpsnn_core.training`     Adam, mini-batches, early stopping, evaluation
- :mod:`~fpsnn_core.cli`          python -m fpsnn_core train / evaluate / convert
"""

from .bptt import BPTTResult, bptt_gradient, bptt_gradients, fp_credit, surrogate_credit
from .discrete import DiscreteSimulation, simulate_discrete, spike_time_error
from .errors import (
    ArgumentTypeError,
    FiniteDifferenceError,
    FPSNNError,
    GrazingSpikeError,
    NoSpikeError,
    RunawayFiringError,
)
from .eventprop import AdjointTraces, BackwardPass, adjoint_traces, eventprop, eventprop_gradient
from .finite_diff import (
    FiniteDifferences,
    finite_difference_jacobian,
    finite_difference_loss_gradient,
)
from .gradients import adjoint_gradient, fp_gradient, spike_time_jacobian
from .implicit import CausalGraph, ImplicitSystem, causal_graph, causal_past, implicit_system
from .io import NetworkFile, from_json, load, save, to_json
from .kernels import kernel, kernel_derivative
from .losses import LossValue, first_spike_cross_entropy, spike_time_mse
from .network import Network
from .nir_io import (
    from_nir,
    inputs_from_nir,
    inputs_to_nir,
    nir_bytes,
    save_nir,
    save_nir_inputs,
    to_nir,
)
from .simulate import GRAZING_TOL, MAX_SPIKES, MAX_WORK, Simulation, simulate
from .surrogate import SURROGATES, Surrogate, surrogate
from .traces import Traces, feeding_kernels, potentials

__all__ = [
    "Network",
    "simulate",
    "Simulation",
    "MAX_SPIKES",
    "MAX_WORK",
    "GRAZING_TOL",
    "kernel",
    "kernel_derivative",
    "potentials",
    "feeding_kernels",
    "Traces",
    "implicit_system",
    "ImplicitSystem",
    "causal_past",
    "causal_graph",
    "CausalGraph",
    "spike_time_jacobian",
    "adjoint_gradient",
    "fp_gradient",
    "eventprop",
    "eventprop_gradient",
    "adjoint_traces",
    "BackwardPass",
    "AdjointTraces",
    "first_spike_cross_entropy",
    "spike_time_mse",
    "LossValue",
    "finite_difference_jacobian",
    "finite_difference_loss_gradient",
    "FiniteDifferences",
    "save",
    "load",
    "to_json",
    "from_json",
    "NetworkFile",
    "to_nir",
    "from_nir",
    "save_nir",
    "nir_bytes",
    "inputs_to_nir",
    "inputs_from_nir",
    "save_nir_inputs",
    "FPSNNError",
    "ArgumentTypeError",
    "RunawayFiringError",
    "GrazingSpikeError",
    "NoSpikeError",
    "FiniteDifferenceError",
    "simulate_discrete",
    "DiscreteSimulation",
    "spike_time_error",
    "surrogate",
    "Surrogate",
    "SURROGATES",
    "bptt_gradient",
    "bptt_gradients",
    "BPTTResult",
    "fp_credit",
    "surrogate_credit",
]
