"""Partial derivatives of the implicit equations with respect to the parameters beyond
the weights: input spike times, thresholds and time constants.

Each spike ``f_k`` of neuron ``i = i_k`` solves ``Phi_k = V_i(f_k) - theta_i = 0``
(:mod:`fpsnn_core.implicit`), with ``V_i`` summed over the events strictly before ``f_k``
(:mod:`fpsnn_core.traces`). Besides the weights (J4), ``Phi_k`` depends on::

    dPhi_k/dg       = -W[j,i] h'(f_k - g)     g < f_k, a spike of input channel j      (J5)
    dPhi_k/dtheta_i = -1 - sum_{m<f_k, m in F_i} exp(-b_i (f_k - m))                    (J6)
    dPhi_k/da_i     = sum_j W[j,i] sum_{g<f_k, g in F_j} dh/da(f_k - g)
    dPhi_k/db_i     = sum_j W[j,i] sum_{g<f_k, g in F_j} dh/db(f_k - g)
                      + theta_i sum_{m<f_k, m in F_i} (f_k - m) exp(-b_i (f_k - m))     (J7)
    dPhi_k/dtau_s,i = -a_i^2 dPhi_k/da_i,   dPhi_k/dtau_n,i = -b_i^2 dPhi_k/db_i        (J8)

and on no other neuron's constants. (J5) is (J2) for a spike that no equation solves for;
in (J6) the ``-1`` is the crossing condition and the sum the resets; ``dh/da``, ``dh/db``
are (K1) of :mod:`fpsnn_core.kernels`, stable through ``a == b``. Input spikes are the
columns in the order ``inputs`` are given: channel 0's spikes ascending, then channel
1's, ... (only those in ``[0, t_max]``, ``Simulation.inputs``). The solve (G1) of
:mod:`fpsnn_core.gradients` is the same for every parameter: ``L dF/dp = -dPhi/dp``.
"""

from __future__ import annotations

import numpy as np

from .implicit import event_pairs
from .kernels import kernel_derivative, kernel_rate_derivatives
from .network import Network
from .simulate import Simulation

#: The parameters spike times can be differentiated with respect to (``wrt=``).
WRT = ("W", "inputs", "theta", "tau_s", "tau_n")


def check_wrt(wrt) -> str:
    """``wrt`` if it is one of :data:`WRT`, else a ``ValueError`` naming the choices."""
    if not isinstance(wrt, str) or wrt not in WRT:
        raise ValueError(f"wrt must be one of {', '.join(map(repr, WRT))}; got {wrt!r}")
    return wrt


def n_columns(net: Network, sim: Simulation, wrt: str) -> int:
    """Number of parameters of kind ``wrt`` other than ``"W"``: input spikes or neurons."""
    return sum(tr.size for tr in sim.inputs) if wrt == "inputs" else net.n_neurons


def parameter_partials(net: Network, sim: Simulation, rows: np.ndarray, wrt: str) -> np.ndarray:
    """``dPhi/dp`` (J5)-(J8) of the spikes ``rows`` (sorted spike indices), dense, shape
    ``(len(rows), n_columns)``, for ``wrt`` one of ``"inputs"``, ``"theta"``, ``"tau_s"``,
    ``"tau_n"`` (module docstring)."""
    R = rows.size
    f, n, ev_t, ev_src, (r, e), (ro, eo) = event_pairs(net, sim, rows)
    out = np.zeros((R, n_columns(net, sim, wrt)))
    a, b, theta = net.a[n], net.b[n], net.theta[n]
    w = net.weights[ev_src[e], n[r]]
    D, Do = f[r] - ev_t[e], f[ro] - ev_t[eo]
    decay = np.exp(-b[ro] * Do)
    if wrt == "inputs":  # (J5)
        is_in = ev_src[e] < net.n_inputs
        r, e, w, D = r[is_in], e[is_in], w[is_in], D[is_in]
        np.add.at(out, (r, e), -w * kernel_derivative(D, a[r], b[r]))
    elif wrt == "theta":  # (J6)
        out[np.arange(R), n] = -1.0 - np.bincount(ro, decay, minlength=R)
    else:  # (J7), (J8)
        dh_da, dh_db = kernel_rate_derivatives(D, a[r], b[r])
        if wrt == "tau_s":
            d_rate = np.bincount(r, w * dh_da, minlength=R)
            out[np.arange(R), n] = -a * a * d_rate
        else:
            d_rate = np.bincount(r, w * dh_db, minlength=R) + theta * np.bincount(
                ro, Do * decay, minlength=R
            )
            out[np.arange(R), n] = -b * b * d_rate
    return out
