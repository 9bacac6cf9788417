"""The single list of the app's pages.

``app.py`` builds ``st.navigation`` from :data:`PAGES`, and the generic AppTest and browser
tests are parametrized over it. To add a page, append a :class:`PageEntry` here (see
``fpsnn_app/README.md``). This module never imports Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageEntry:
    """One page of the app.

    Attributes
    ----------
    path : str
        Page script, relative to the repository root (e.g. ``"app_pages/neuron.py"``).
    title : str
        Title in the navigation and the browser tab.
    icon : str
        A Material icon name (``":material/...:"``) or an emoji.
    url_path : str
        The page's URL path (``""`` for the default page).
    n_charts : int
        How many Plotly charts the page shows with its default example (tests check at least
        this many).
    section : str
        Navigation section the page is listed under.
    uses_network : bool
        ``app.py`` draws the shared network picker in the sidebar for this page
        (:mod:`fpsnn_app.ui.network_picker`); the page reads it with ``current_network()``.
    description : str
        One line for the guided path on the home page.
    """

    path: str
    title: str
    icon: str
    url_path: str
    n_charts: int = 1
    section: str = "Exact gradients"
    uses_network: bool = False
    description: str = ""

    @property
    def name(self) -> str:
        """Short identifier (file stem), used for screenshots and test ids."""
        return self.path.rsplit("/", 1)[-1].removesuffix(".py")


PAGES: tuple[PageEntry, ...] = (
    PageEntry(
        "app_pages/home.py",
        "Home",
        ":material/home:",
        "",
        1,
        "Start",
        description="What exact spike-time gradients are, in one picture.",
    ),
    PageEntry(
        "app_pages/neuron.py",
        "Neuron",
        ":material/show_chart:",
        "neuron",
        1,
        description="One neuron: inputs, current, potential, and the implicit equation "
        "V(f) = θ at each spike.",
    ),
    PageEntry(
        "app_pages/network.py",
        "Network",
        ":material/hub:",
        "network",
        1,
        uses_network=True,
        description="Motifs and your own networks: raster, membrane traces and the causal "
        "graph of spikes.",
    ),
    PageEntry(
        "app_pages/jacobian.py",
        "Jacobian",
        ":material/grid_on:",
        "jacobian",
        4,
        uses_network=True,
        description="dΦ/dF turns lower triangular once spikes are sorted by time; FP "
        "solves it forward, spike by spike.",
    ),
    PageEntry(
        "app_pages/gradient_check.py",
        "Gradient check",
        ":material/rule:",
        "gradient-check",
        2,
        uses_network=True,
        description="FP, adjoint and finite differences side by side, and the loss along "
        "one weight.",
    ),
    PageEntry(
        "app_pages/sensitivity.py",
        "Sensitivity",
        ":material/leaderboard:",
        "sensitivity",
        1,
        uses_network=True,
        description="Which weight, input spike, threshold or time constant moves a spike "
        "(or the loss) most: exact derivatives, ranked.",
    ),
    PageEntry(
        "app_pages/surrogate.py",
        "Surrogate gradients",
        ":material/blur_on:",
        "surrogate",
        4,
        uses_network=True,
        description="Surrogate-gradient BPTT next to the exact gradient: credit over time, "
        "weight by weight, and as the step and slope change.",
    ),
    PageEntry(
        "app_pages/eventprop.py",
        "EventProp",
        ":material/history:",
        "eventprop",
        2,
        uses_network=True,
        description="The same gradient backwards in time: adjoint traces that jump at "
        "spikes, beside FP's forward sweep.",
    ),
    PageEntry(
        "app_pages/derivation.py",
        "Derivation",
        ":material/function:",
        "derivation",
        1,
        description="The kernel, its derivative and the implicit-function step, derived "
        "live with SymPy.",
    ),
    PageEntry(
        "app_pages/training.py",
        "Training",
        ":material/model_training:",
        "training",
        4,
        "Learning",
        description="Train on XOR, Iris or Yin-Yang with exact gradients and watch the "
        "decision regions form: Play, Pause, Step, Reset.",
    ),
)


def by_url_path(url_path: str) -> PageEntry:
    """The entry served at ``url_path`` (``""`` is the default page)."""
    for entry in PAGES:
        if entry.url_path == url_path:
            return entry
    raise KeyError(f"no page at url_path {url_path!r}")


def page(name: str) -> PageEntry:
    """The entry whose file stem is ``name`` (e.g. ``"neuron"``)."""
    for entry in PAGES:
        if entry.name == name:
            return entry
    raise KeyError(f"no page named {name!r}; known: {[e.name for e in PAGES]}")


def requested_path(url: str | None, base_url_path: str = "") -> str:
    """The page path of the browser's ``url`` (``st.context.url``), the server's
    ``server.baseUrlPath`` prefix removed."""
    from urllib.parse import urlparse

    path = urlparse(url or "").path.strip("/")
    base = (base_url_path or "").strip("/")
    return (
        path.removeprefix(base).strip("/")
        if base and (path == base or path.startswith(base + "/"))
        else path
    )


def unknown_page_message(requested: str) -> str | None:
    """What to say when a link asks for a page that does not exist (Streamlit then shows
    the default page): the path asked for and the pages there are; ``None`` for a known
    path (``""`` is the default page)."""
    asked = requested.strip("/")
    if not asked or any(e.url_path == asked for e in PAGES):
        return None
    listed = ", ".join(f"/{e.url_path} ({e.title})" for e in PAGES if e.url_path)
    return f"There is no page /{asked}: this is the Home page. The pages are / (Home), {listed}."
