"""Every registered page renders under AppTest: no exception, no error, its charts with
``alt`` text and a summary caption. Parametrized over the registry, so a new page is
covered as soon as it is registered."""

from pathlib import Path

import pytest
from apphelpers import ROOT, assert_clean, charts, open_page

from fpsnn_app.registry import PAGES


@pytest.mark.parametrize("entry", PAGES, ids=[p.name for p in PAGES])
def test_page_renders(entry):
    at = open_page(entry.name)
    assert_clean(at)
    assert at.title, "every page has a title"
    found = charts(at)
    assert len(found) >= entry.n_charts, f"{entry.name}: {len(found)} charts < {entry.n_charts}"
    for c in found:
        assert len(c.proto.alt) > 20, "every chart has alt text"
    assert len(at.caption) >= len(found), "every chart has a one-line summary"


def test_registry_is_consistent():
    names = [p.name for p in PAGES]
    paths = [p.url_path for p in PAGES]
    assert len(set(names)) == len(names) and len(set(paths)) == len(paths)
    assert sum(p.url_path == "" for p in PAGES) == 1, "exactly one default page"
    for p in PAGES:
        assert (ROOT / p.path).is_file(), p.path
        assert p.description, f"{p.name} needs a description for the home page's guided path"


def test_no_legacy_pages_directory():
    # A directory named pages/ next to app.py switches AppTest (and the first run of a
    # server) to Streamlit's legacy multipage mode, which ignores st.navigation.
    assert not (Path(ROOT) / "pages").exists(), "put page scripts in app_pages/, not pages/"


def test_every_page_has_its_own_interaction_test():
    here = Path(__file__).parent
    for p in PAGES:
        assert (here / f"test_app_{p.name}.py").is_file(), f"add tests/app/test_app_{p.name}.py"
