"""fpsnn: the Streamlit app. Run with ``python -m streamlit run app.py``.

The pages are listed once, in :data:`fpsnn_app.registry.PAGES`; this file turns that list
into ``st.navigation`` and, for pages that work on a network, draws the shared network
picker (:mod:`fpsnn_app.ui.network_picker`) in the sidebar before running the page. The
presentation-mode switch (:mod:`fpsnn_app.ui.present`) is drawn once here for every page.
The first run of the server process starts the warm start (:mod:`fpsnn_app.warm`) in the
background.
"""

import streamlit as st

from fpsnn_app import ui
from fpsnn_app.registry import PAGES, by_url_path, requested_path, unknown_page_message
from fpsnn_app.ui.network_picker import network_sidebar
from fpsnn_app.ui.present import presentation_switch

st.set_page_config(
    page_title="fpsnn: exact gradients of spiking networks", page_icon="⚡", layout="wide"
)
ui.warm_start()  # imports, SymPy and the default views, once per server process

sections: dict[str, list] = {}
for entry in PAGES:
    sections.setdefault(entry.section, []).append(
        st.Page(
            entry.path,
            title=entry.title,
            icon=entry.icon,
            url_path=entry.url_path,
            default=entry.url_path == "",
        )
    )
page = st.navigation(sections)
if page.url_path == "" and (
    note := unknown_page_message(
        requested_path(st.context.url, st.get_option("server.baseUrlPath"))
    )
):
    st.warning(note, icon=":material/link_off:")  # a mistyped page in a link
presentation_switch()
if by_url_path(page.url_path).uses_network:
    network_sidebar()
page.run()
