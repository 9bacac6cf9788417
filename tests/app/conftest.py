"""Fixtures of the app tests: a ``streamlit run`` server and Playwright with chromium.

The browser tests share one server per pytest worker (one in all without pytest-xdist),
started on a free port and stopped at teardown. AppTest helpers live in ``apphelpers.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from apphelpers import ROOT, SCREENSHOTS

sys.path.insert(0, str(ROOT / "bench"))
from browser import CHROMIUM, CHROMIUM_ARGS, server  # noqa: E402  (bench/browser.py)


# --- browser ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def server_url():
    """``streamlit run app.py`` on a free port (the bench scripts' server); stopped after
    the session, its log beside the screenshots (one server and log per xdist worker)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    log = SCREENSHOTS.parent / f"streamlit{'-' + worker if worker else ''}.log"
    with server(log=log) as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium, headless, no network chatter."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A projector's width (1280 px) and a tall viewport: Streamlit scrolls inside its own
    container, so a screenshot shows only the viewport."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 2400}}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
