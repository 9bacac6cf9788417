"""fpsnn_app: everything the Streamlit app needs besides ``app.py`` and ``app_pages/``.

- :mod:`~fpsnn_app.registry`   the single list of pages (``app.py`` and the tests use it)
- :mod:`~fpsnn_app.scenes`     one pure function per page: plain values in, figures and
  numbers out (no Streamlit)
- :mod:`~fpsnn_app.figures`    Plotly figure builders (no Streamlit)
- :mod:`~fpsnn_app.style`      colours, marks and fonts
- :mod:`~fpsnn_app.presets`    the default neuron and the network motifs
- :mod:`~fpsnn_app.urlstate`   text forms of state for the URL (spike times, weight edits)
- :mod:`~fpsnn_app.derivation` SymPy derivations
- :mod:`~fpsnn_app.ui`         Streamlit helpers and the shared network picker

How to add a page: ``fpsnn_app/README.md``.
"""
