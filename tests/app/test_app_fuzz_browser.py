"""A short seeded random walk in real Chromium (the browser part of the fuzz walks).

The AppTest walks (``test_app_fuzz.py``) cover many more steps; this one checks what only a
browser shows: after each click (a page in the navigation, a slider pushed to an end or
nudged, an option of a select box or radio, a toggle, a malformed and then a valid entry)
the page settles, shows no "This app has encountered an error", no exception, no
traceback, and no error box other than the app's own messages. The walk prints its actions
when it fails; its seed makes it repeat.
"""

from __future__ import annotations

import re

import numpy as np
from browserhelpers import rerun_done, wait_ready
from fuzzwalk import BAD_TEXT, OWN_ERRORS
from playwright.sync_api import Page

from fpsnn_app.registry import page as page_entry

#: Pages the walk visits (Training trains and Derivation derives with SymPy: both slow,
#: and both walked under AppTest).
PAGES = ("home", "neuron", "network", "jacobian", "gradient_check", "eventprop", "surrogate")
SEED, STEPS = 11, 15
CRASH = ("This app has encountered an error", "Traceback (most recent call last)")


def _assert_settled(page: Page, actions: list[str]) -> None:
    walk = "\n  ".join(actions)
    text = page.get_by_test_id("stApp").inner_text()
    assert not any(c in text for c in CRASH), f"crash after:\n  {walk}"
    assert page.get_by_test_id("stException").count() == 0, f"exception after:\n  {walk}"
    errors = page.get_by_test_id("stAlertContentError").all_inner_texts()
    # an alert's text starts with its icon's ligature name (e.g. local_fire_department)
    shown = [re.sub(r"^[a-z_]+\n+", "", e.strip()).replace("\n", " ") for e in errors]
    foreign = [e for e in shown if not any(p.match(e) for p in OWN_ERRORS)]
    assert not foreign, f"errors {foreign} after:\n  {walk}"


def _visible(locator) -> list:
    """Elements a user can reach: visible, enabled and not moved off screen (the widgets of a
    folded sidebar, in presentation mode, stay "visible" to Playwright but sit left of it)."""
    out = []
    for el in locator.all():
        if el.is_visible() and el.is_enabled():
            box = el.bounding_box()
            if box is not None and box["x"] + box["width"] > 0:
                out.append(el)
    return out


def _open_sidebar(page: Page) -> None:
    """Unfold the sidebar if presentation mode folded it, as a user would with its button."""
    bar = page.get_by_test_id("stSidebar")
    if bar.get_attribute("data-collapsed") == "true":
        page.get_by_test_id("stExpandSidebarButton").click()
        page.wait_for_function(
            "() => document.querySelector('[data-testid=stSidebar]')"
            ".getAttribute('data-collapsed') === 'false'"
        )


def _act(page: Page, rng, current: str) -> tuple[str, str]:
    """Do one action drawn from what the page shows; return its description and the page."""
    roll = rng.random()
    kinds = {
        "slider": _visible(page.get_by_role("slider")),
        "select": _visible(page.get_by_test_id("stSelectbox")),
        "radio": _visible(page.get_by_test_id("stRadio").locator("label")),
        "toggle": _visible(page.get_by_test_id("stCheckbox")),
        "text": _visible(page.get_by_test_id("stTextInput").locator("input")),
    }
    kinds = {k: v for k, v in kinds.items() if v}
    if roll < 0.25 or not kinds:  # a page with nothing to move (a message): go on
        others = [p for p in PAGES if p != current]
        target = others[int(rng.integers(len(others)))]
        _open_sidebar(page)
        page.get_by_test_id("stSidebarNav").get_by_role(
            "link", name=page_entry(target).title
        ).click()
        return f"nav {target}", target
    kind = sorted(kinds)[int(rng.integers(len(kinds)))]
    els = kinds[kind]
    i = int(rng.integers(len(els)))
    el = els[i]
    if kind == "slider":
        key = ["Home", "End", "ArrowRight", "ArrowLeft"][int(rng.integers(4))]
        presses = 1 if key in ("Home", "End") else int(rng.integers(1, 6))
        el.focus()
        for _ in range(presses):
            el.press(key)
        return f"slider {el.get_attribute('aria-label') or i}: {key} x{presses}", current
    if kind == "select":
        el.click()
        options = page.get_by_role("option")
        options.first.wait_for()
        j = int(rng.integers(options.count()))
        name = options.nth(j).inner_text()
        options.nth(j).click()
        return f"select {el.inner_text().splitlines()[0]}: {name}", current
    if kind in ("radio", "toggle"):
        label = el.inner_text()
        el.click()
        return f"{kind} {label}", current
    bad = BAD_TEXT[int(rng.integers(len(BAD_TEXT)))]
    el.fill(bad)
    el.press("Enter")
    rerun_done(page)
    _assert_settled(page, [f"text #{i}: {bad!r}"])
    assert page.get_by_test_id("stAlertContentError").count() >= 1, f"{bad!r} not flagged"
    el.fill("0.5, 1.5")
    el.press("Enter")
    return f"text #{i}: {bad!r} then '0.5, 1.5'", current


def test_random_walk_in_browser(page: Page, server_url):
    rng = np.random.default_rng(SEED)
    current = "home"
    page.goto(server_url)
    wait_ready(page)
    actions = [f"open {server_url} (seed {SEED})"]
    for _ in range(STEPS):
        what, current = _act(page, rng, current)
        actions.append(what)
        rerun_done(page)
        _assert_settled(page, actions)
    assert page.get_by_test_id("stPlotlyChart").count() >= 1, "\n  ".join(actions)
    print("browser walk:\n  " + "\n  ".join(actions))  # shown with pytest -s
