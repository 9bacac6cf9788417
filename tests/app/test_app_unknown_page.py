"""A link to a page that does not exist says so and lists the pages (Streamlit itself shows
the default page without a word)."""

from __future__ import annotations

from browserhelpers import wait_ready

from fpsnn_app.registry import PAGES, requested_path, unknown_page_message


def test_message_names_the_path_and_every_page():
    note = unknown_page_message(requested_path("http://host:8501/gradient_check?x=1"))
    assert note.startswith("There is no page /gradient_check")
    for entry in PAGES:
        assert f"/{entry.url_path} ({entry.title})" in note
    for known in ("", "gradient-check", "training"):
        assert unknown_page_message(requested_path(f"http://host/{known}")) is None
    # under a base path (server.baseUrlPath) the base is not a page
    assert unknown_page_message(requested_path("http://host/fpsnn/", "/fpsnn")) is None
    assert "/gradient_check" in unknown_page_message(
        requested_path("http://host/fpsnn/gradient_check", "fpsnn")
    )


def test_mistyped_page_in_a_link_says_so(page, server_url):
    page.goto(f"{server_url}/gradient_check")
    wait_ready(page)
    alert = page.get_by_test_id("stAlert").filter(has_text="There is no page /gradient_check")
    assert alert.count() == 1
    assert "/gradient-check (Gradient check)" in alert.inner_text()
    page.goto(f"{server_url}/gradient-check")
    wait_ready(page)
    assert page.get_by_test_id("stAlert").filter(has_text="There is no page").count() == 0
