"""Derivation: SymPy's IFT formula, FP and finite differences agree; the a == b limit."""

import numpy as np
from apphelpers import assert_clean, open_page
from browserhelpers import nudge_slider, rerun_done
from playwright.sync_api import Page, expect


def _three(at):
    table = at.table[0].value
    return [float(x) for x in table["df/dw"]]


def test_three_derivatives_agree_and_follow_the_weight():
    at = open_page("derivation")
    assert_clean(at)
    s, p, d = _three(at)
    assert np.isclose(s, p, rtol=1e-8) and np.isclose(s, d, rtol=1e-5)
    at.slider(key="derivation.w").set_value(8.0).run()
    s2, p2, _ = _three(at)
    assert np.isclose(s2, p2, rtol=1e-8) and s2 != s


def test_equal_time_constants_use_the_limit_form():
    at = open_page("derivation", {"derivation.tau_s": "0.7", "derivation.tau_n": "0.7"})
    assert_clean(at)
    assert any("(equal: the limit form)" in m.value for m in at.markdown)
    assert any("t e^{- \\frac{10 t}{7}}" in l.value for l in at.latex)
    s, p, _ = _three(at)
    assert np.isclose(s, p, rtol=1e-8)


def test_no_spike_is_explained():
    at = open_page("derivation", {"derivation.w": "1.0"})
    assert not at.exception and not at.error
    assert "no spike" in at.warning[0].value


def browser_interaction(page: Page) -> None:
    """One interaction in the browser (run by test_app_browser.py)."""
    nudge_slider(page, "τ_n", -10)  # 1.00 -> 0.50 = τ_s
    rerun_done(page)
    expect(page.get_by_text("(equal: the limit form)")).to_be_visible()
    assert "derivation.tau_n=0.5" in page.url
