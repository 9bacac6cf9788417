"""One pure function per page: plain values in, a frozen *scene* out (no Streamlit).

A scene holds everything a page draws: charts (figure, ``alt`` text, one-line summary),
metrics, tables and the text of downloads. Pages call these functions through the server's
scene cache (:mod:`fpsnn_app.scene_cache`); their arguments are plain values (numbers,
tuples, the network's JSON text) that pickle the same way every time, so the cache key is
exact. Errors of the mathematics
(:class:`fpsnn_core.FPSNNError`) and bad input (``ValueError``) propagate to the page,
which shows them with :func:`fpsnn_app.ui.errors.report`.
"""
