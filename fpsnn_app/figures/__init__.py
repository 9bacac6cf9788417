"""Plotly figure builders: take results of :mod:`fpsnn_core`, return ``go.Figure``.

They never import Streamlit, so they run in a notebook as well::

    from fpsnn_app.figures.neuron import neuron_figure
    neuron_figure(net, fp.simulate(net, inputs, t_max)).show()
"""
