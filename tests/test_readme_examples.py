"""The README's example of derivatives beyond the weights gives the numbers it shows."""

import numpy as np

import fpsnn_core as fp


def test_readme_wrt_example():
    rng = np.random.default_rng(5)
    W = rng.normal(0.0, 0.5, (2 + 3, 3))
    W[:2] += 2.5
    W[2 + np.arange(3), np.arange(3)] = 0.0
    net = fp.Network(W, n_inputs=2, tau_s=[0.5, 1.0, 1.0], tau_n=1.0, theta=[1.0, 0.9, 1.1])
    sim = fp.simulate(net, [[0.1, 0.8], [0.3]], t_max=3.0)
    k = sim.first_spikes([2])[0]
    assert round(float(sim.spike_times[k]), 4) == 0.5327
    shown = {
        "inputs": [0.3855, 0.0, 0.6145],
        "theta": [0.0, -0.0961, 0.5296],
        "tau_s": [0.0, 0.0117, -0.1048],
    }
    for wrt, row in shown.items():
        got = fp.spike_time_jacobian(net, sim, [k], wrt=wrt)
        np.testing.assert_allclose(got, [row], rtol=0, atol=5e-5, err_msg=wrt)
    J = fp.spike_time_jacobian(net, sim, [k], wrt="inputs")
    assert abs(J.sum() - 1.0) < 1e-12  # the entries sum to 1
    loss = fp.first_spike_cross_entropy(sim, outputs=[1, 2], label=1)
    g = fp.adjoint_gradient(net, sim, loss.dloss_dtimes, wrt="tau_n")
    np.testing.assert_allclose(g, [0.0, 0.0272, -0.0541], rtol=0, atol=5e-5)
    np.testing.assert_allclose(
        fp.fp_gradient(net, sim, loss.dloss_dtimes, wrt="tau_n"), g, rtol=1e-13, atol=1e-16
    )
