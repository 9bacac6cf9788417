"""Prove in Chromium that a control runs in the browser only: moving it changes a chart and
sends nothing to the Streamlit server.

Every widget change, rerun request or other message of a Streamlit page to its server is a
``BackMsg`` frame the page sends on the websocket ``/_stcore/stream``. :class:`SentFrames`
records those frames; :func:`assert_client_side` runs an action, waits until the chart's
drawing changes and fails if any frame was sent meanwhile (or within ``quiet_ms`` after).

Usage (``page`` is a Playwright page, the watcher installed *before* the page opens, since
Playwright reports only websockets opened after it listens)::

    sent = SentFrames(page)
    page.goto(f"{server_url}/jacobian")
    wait_ready(page, 4)
    chart = page.get_by_test_id("stPlotlyChart").nth(1)
    elapsed = assert_client_side(page, sent, chart, lambda: click_slider_step(chart, 3))

:func:`click_slider_step` clicks a step of a Plotly slider (``layout.sliders``) and
:func:`chart_signature` is the hash the change is detected with.
"""

from __future__ import annotations

import time

from playwright.sync_api import Locator, Page

STREAM = "/_stcore/stream"


class SentFrames:
    """Records the frames ``page`` sends on Streamlit's websocket (``/_stcore/stream``).

    ``frames`` holds ``(perf_counter time, payload)`` in order; :meth:`describe` names them
    for an assertion message.
    """

    def __init__(self, page: Page):
        self.frames: list[tuple[float, object]] = []
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        if STREAM in ws.url:
            ws.on("framesent", lambda payload: self.frames.append((time.perf_counter(), payload)))

    def __len__(self) -> int:
        return len(self.frames)

    def describe(self, start: int = 0) -> list[str]:
        """The frames from index ``start`` on, as Streamlit's ``BackMsg`` type names."""
        return [_back_msg_kind(p) for _, p in self.frames[start:]]


def _back_msg_kind(payload) -> str:
    """``"rerun_script"``, ``"close_connection"``, ... (the ``BackMsg`` field that is set)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    data = payload.encode("latin-1") if isinstance(payload, str) else bytes(payload)
    msg = BackMsg()
    try:
        msg.ParseFromString(data)
    except Exception:  # noqa: BLE001 - describe, never raise here
        return f"<{len(data)} bytes, not a BackMsg>"
    return msg.WhichOneof("type") or f"<{len(data)} bytes>"


#: A hash of what a Plotly chart draws: the plot's SVG layers and images (heatmaps are
#: ``<image>`` data URLs), without the slider and button menus, which move by themselves.
_SIGNATURE_JS = """(el) => {
  const plot = el.querySelector('.js-plotly-plot');
  if (!plot) return '';
  const copy = plot.cloneNode(true);
  copy.querySelectorAll('.slider-container, .updatemenu-container, .hoverlayer, .modebar-container')
      .forEach(n => n.remove());
  const text = copy.innerHTML;
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
  return text.length + ':' + h;
}"""


def chart_signature(chart: Locator) -> str:
    """A hash of the chart's drawing (changes when any trace, shape or text changes)."""
    return chart.evaluate(_SIGNATURE_JS)


def wait_chart_change(chart: Locator, before: str, timeout_ms: float = 10_000) -> None:
    """Until :func:`chart_signature` of ``chart`` differs from ``before``."""
    chart.page.wait_for_function(
        f"([el, before]) => ({_SIGNATURE_JS})(el) !== before",
        arg=[chart.element_handle(), before],
        polling="raf",
        timeout=timeout_ms,
    )


def assert_client_side(
    page: Page,
    sent: SentFrames,
    chart: Locator,
    act,
    quiet_ms: float = 600.0,
    timeout_ms: float = 10_000,
) -> float:
    """Run ``act()``, wait until ``chart`` draws something else, and assert that the page
    sent no frame to the server from before ``act`` until ``quiet_ms`` after the change
    (and that no script run started). Returns the seconds from ``act`` to the change.
    """
    before = chart_signature(chart)
    start = len(sent)
    t0 = time.perf_counter()
    act()
    wait_chart_change(chart, before, timeout_ms)
    elapsed = time.perf_counter() - t0
    page.wait_for_timeout(quiet_ms)
    assert len(sent) == start, f"the page sent {sent.describe(start)} to the server"
    state = page.get_by_test_id("stApp").get_attribute("data-test-script-state")
    assert state == "notRunning", f"a script run started (script state {state!r})"
    return elapsed


def slider_steps(chart: Locator) -> Locator:
    """The step ticks of the chart's (first) Plotly slider, left to right."""
    return chart.locator(".slider-container .slider-tick-rect")


def click_slider_step(chart: Locator, index: int) -> None:
    """Click the rail of the chart's Plotly slider at step ``index`` (from 0; negative
    counts from the end), as a user would: Plotly moves the grip to the nearest step."""
    ticks = slider_steps(chart)
    n = ticks.count()
    assert n, "the chart has no Plotly slider"
    ticks.nth(index % n).scroll_into_view_if_needed()  # a mouse click needs it on screen
    box = ticks.nth(index % n).bounding_box()
    rail = chart.locator(".slider-container .slider-rail-touch-rect").first.bounding_box()
    chart.page.mouse.click(box["x"] + box["width"] / 2, rail["y"] + rail["height"] / 2)


def slider_active(chart: Locator) -> int:
    """The active step of the chart's Plotly slider, as Plotly holds it."""
    return chart.evaluate("(el) => el.querySelector('.js-plotly-plot').layout.sliders[0].active")
