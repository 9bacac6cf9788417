"""Presentation mode: the app as a lecturer shows it on a projector.

One switch, drawn once by ``app.py`` for every page (:func:`presentation_switch`), bound to
the URL as ``present=true`` (``present=1`` is accepted too and rewritten). When it is on:

- the sidebar is folded away, and folded again after each page switch made from it; its
  ``>>`` button still opens it, with the switch at its top. ``st.set_page_config(initial_sidebar_state="collapsed")`` does it on a fresh load
  (Streamlit 1.67 applies a changed value on a later rerun too), but the browser remembers
  a user's own click on the sidebar's chevron (``localStorage``) and that memory wins over
  the page config. So when presentation starts in a session (a link with the flag, or the
  switch turned on), a script (:data:`COLLAPSE_JS`) presses the collapse button and forgets
  that memory again, and does so again whenever the page's path changes while the link
  says ``present=true`` (Streamlit keeps an opened sidebar open across pages);
- each page's introduction is folded into an expander (:func:`intro`);
- type is larger and the page's top padding smaller (:data:`CSS`: plain CSS through
  ``st.html``, system fonts only, nothing fetched), so that each page's main figure starts
  on the first screen of a 1280x720 projector.

Figures keep their own colours (readable on the light and the dark theme, see
:mod:`fpsnn_app.style`); their text takes the page's text colour on every page
(:data:`fpsnn_app.style.CHART_TEXT_CSS`). The sidebar also offers the theme
(:func:`theme_choice`), and a page's main control answers a presenter remote, in both modes:
its "next" key (:data:`STEP_KEY`, PageDown) steps it forward and "previous"
(:data:`BACK_KEY`, PageUp) back. Training's Step button is bound to the key itself; on the
other pages a script (:data:`STEP_JS`, installed once per browser window) steps the control
:data:`MAIN_CONTROLS` names: a chart's own Plotly slider in the browser (no rerun), or a
Streamlit slider by one step (a rerun). Keys typed into a text or number input, a select
box or a text area, and keys with a modifier, are left alone.
"""

from __future__ import annotations

import json
import re

import streamlit as st

from .. import style

#: Widget key and query parameter of the switch.
KEY = "present"
#: Spellings of "on" accepted in a hand-written link besides Streamlit's own ``true``.
ALIASES = ("1", "on", "yes")

#: The presentation style: larger text (prose, widget labels, captions, expander titles,
#: formulas), a tighter page top under a see-through header (its opaque bar, shown while the
#: sidebar is collapsed, hid the title). Rules are scoped to the main area so the sidebar,
#: when opened, keeps its normal size.
CSS = """<style>
[data-testid=stHeader] { background: transparent; }
[data-testid=stMainBlockContainer] { padding-top: 2.4rem; padding-bottom: 2rem; }
[data-testid=stMain] [data-testid=stVerticalBlock] { gap: .6rem; }
[data-testid=stMain] h1 { font-size: 2.3rem; padding: 0 0 .3rem 0; }
[data-testid=stMain] h2, [data-testid=stMain] h3 { font-size: 1.6rem; }
[data-testid=stMain] [data-testid=stMarkdown] p, [data-testid=stMain] [data-testid=stMarkdown] li
  { font-size: 1.2rem; }
[data-testid=stMain] [data-testid=stWidgetLabel] p, [data-testid=stMain] [data-testid=stMetricLabel] p,
[data-testid=stMain] [data-testid=stExpander] summary p { font-size: 1.1rem; }
[data-testid=stMain] [data-testid=stCaptionContainer],
[data-testid=stMain] [data-testid=stCaptionContainer] p { font-size: 1.05rem; }
[data-testid=stMain] [data-baseweb=select] *, [data-testid=stMain] input,
[data-testid=stMain] [data-testid=stSliderThumbValue], [data-testid=stMain] button p,
[data-testid=stMain] [role=radiogroup] p, [data-testid=stMain] [data-testid=stCheckbox] p
  { font-size: 1.05rem; }
[data-testid=stMain] .katex { font-size: 1.3em; }
</style>"""


#: Normal mode: a page starts closer to the top (Streamlit's default leaves 6rem above the
#: title, under a 3.75rem header), so that the main figure starts on the first screen.
NORMAL_CSS = """<style>
[data-testid=stMainBlockContainer] { padding-top: 4.2rem; }
</style>"""

#: Height in pixels of a page's main figure in presentation mode: whole on a 1280x720
#: screen below the page's title and folded introduction (the figure starts near y = 130).
FIGURE_HEIGHT = 570


def figure_height() -> int | None:
    """:data:`FIGURE_HEIGHT` while presenting, else ``None`` (each figure its own height)."""
    return FIGURE_HEIGHT if presenting() else None


#: Fold the sidebar away now: press its collapse button if it is open (checked once, so a
#: user opening it again right away is not overruled), then drop the remembered sidebar
#: state that the press stores, so later visits follow the page config. Then, once per
#: browser tab, watch the page's path: after a page switch while the link says
#: ``present=true``, fold it again (a user opening it on the same page is left alone).
COLLAPSE_JS = """<script>
(() => {
  const fold = (tries = 0) => {
    const bar = document.querySelector('[data-testid=stSidebar]');
    if (!bar && tries < 40) { setTimeout(() => fold(tries + 1), 50); return; }
    if (bar && bar.getAttribute('data-collapsed') === 'false') {
      const button = bar.querySelector('[data-testid=stSidebarCollapseButton] button');
      if (button) button.click();
    }
    for (const k of Object.keys(window.localStorage))
      if (k.startsWith('stSidebarCollapsed-')) window.localStorage.removeItem(k);
  };
  fold();
  if (window.__fpsnnFoldOnSwitch) return;
  window.__fpsnnFoldOnSwitch = true;
  let path = window.location.pathname;
  setInterval(() => {
    if (window.location.pathname === path) return;
    path = window.location.pathname;
    if (new URLSearchParams(window.location.search).get('present') === 'true') fold();
  }, 100);
})();
</script>"""

#: The key that steps a page's main control (Streamlit's ``shortcut=`` of a button): what
#: the "next" button of most presenter remotes sends.
STEP_KEY = "PageDown"
#: The key that steps it back: the remote's "previous" button.
BACK_KEY = "PageUp"

#: Each page's main control, the one :data:`STEP_KEY` / :data:`BACK_KEY` step, by widget
#: key (the page's own ``key=``; where a page names two, the first one on the page that can
#: step is stepped). A chart steps its Plotly slider (``layout.sliders``, data already in
#: the browser: no rerun); a Streamlit slider moves one step (a rerun). Pages not listed
#: have no single main control (Sensitivity and Derivation), or bind the key themselves
#: (Training's Step button, ``shortcut=STEP_KEY``).
MAIN_CONTROLS = {
    "home": ("home.w",),  # slider: the weight w of input 0, by 0.1
    "neuron": ("neuron.w0",),  # slider: the weight W0 beside the figure, by 0.1
    "network": ("network.chart",),  # chart: the causal graph's selected spike
    "jacobian": ("jacobian.fp_step",),  # chart: FP step k
    "gradient_check": ("gradient_check.eps",),  # slider: the finite-difference step, x10
    # chart: the credit chart's slope beta (the gradients chart's dt if it has no slider)
    "surrogate": ("surrogate_credit", "surrogate_gradients"),
    "eventprop": ("eventprop.traces", "eventprop.sweeps"),  # chart: the replay step
}


def _key_class(key: str) -> str:
    """The CSS class Streamlit gives the element of the widget ``key`` (``st-key-...``)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


#: Steps the page's main control (:data:`MAIN_CONTROLS`) on :data:`STEP_KEY` (forward) and
#: :data:`BACK_KEY` (back), installed once per browser window and listening before the
#: page's own handlers (a focused Streamlit slider would move ten steps the other way on
#: PageDown). A chart's Plotly slider is stepped as a click on the next step's tick would
#: (``window.Plotly`` is there, but Plotly 4's slider command runner is not public), so it
#: stays in the browser; clamped at the ends. A Streamlit slider gets the arrow key it
#: answers to, on its thumb. A key typed into a text or number input, a select box, a text
#: area or a data frame, a key with a modifier, and a page without a listed control (so
#: Training's Step button) are left to the page.
STEP_JS = (
    """<script>
(() => {
  if (window.__fpsnnStepKeys) return;
  window.__fpsnnStepKeys = true;
  const CONTROLS = __CONTROLS__;
  const TYPING = 'textarea, select, [contenteditable]:not([contenteditable=false]), '
    + '[role=combobox], [role=textbox], [role=listbox], [data-testid=stDataFrame], '
    + 'input:not([type=range]):not([type=checkbox]):not([type=radio]):not([type=button])'
    + ':not([type=submit]):not([type=reset]):not([type=file]):not([type=color])';
  const mouse = (el, type, x, y) => el.dispatchEvent(new MouseEvent(type, {bubbles: true,
    cancelable: true, view: window, button: 0, buttons: type === 'mouseup' ? 0 : 1,
    clientX: x, clientY: y}));
  const stepChart = (plot, by) => {
    const slider = plot.layout.sliders[0];
    const group = plot.querySelector('.slider-container .slider-group');
    const rail = group && group.querySelector('.slider-rail-touch-rect');
    const ticks = group ? group.querySelectorAll('.slider-tick-rect') : [];
    if (!rail || ticks.length !== slider.steps.length) return false;
    const now = slider.active || 0;
    const k = Math.min(Math.max(now + by, 0), slider.steps.length - 1);
    if (k === now) return true;
    const tick = ticks[k].getBoundingClientRect(), bar = rail.getBoundingClientRect();
    const x = tick.left + tick.width / 2, y = bar.top + bar.height / 2;
    mouse(rail, 'mousedown', x, y);
    mouse(plot, 'mouseup', x, y);
    return true;
  };
  const stepSlider = (thumb, by) => {
    const key = by > 0 ? 'ArrowRight' : 'ArrowLeft';
    for (const type of ['keydown', 'keyup'])
      thumb.dispatchEvent(new KeyboardEvent(type, {key, code: key, bubbles: true, cancelable: true}));
    return true;
  };
  const step = (box, by) => {
    const plot = box.querySelector('.js-plotly-plot');
    if (plot && plot.layout && (plot.layout.sliders || []).length) return stepChart(plot, by);
    const thumb = box.querySelector('input[type=range]');
    return !plot && !!thumb && stepSlider(thumb, by);
  };
  window.addEventListener('keydown', (e) => {
    if (e.key !== '__STEP__' && e.key !== '__BACK__') return;
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (e.target instanceof Element && e.target.closest(TYPING)) return;
    const by = e.key === '__STEP__' ? 1 : -1;
    for (const name of CONTROLS) {
      const box = document.querySelector('.' + name);
      if (box && step(box, by)) {
        e.preventDefault();
        e.stopImmediatePropagation();
        return;
      }
    }
  }, true);
})();
</script>""".replace(
        "__CONTROLS__", json.dumps([_key_class(k) for keys in MAIN_CONTROLS.values() for k in keys])
    )
    .replace("__STEP__", STEP_KEY)
    .replace("__BACK__", BACK_KEY)
)

#: Streamlit reads the theme from the link's ``embed_options`` (``light_theme`` or
#: ``dark_theme``; without it, the browser's preference or the settings menu decide): the
#: theme choice puts it into the current link and reloads the page with it.
THEME_OPTIONS = {"System": None, "Light": "light_theme", "Dark": "dark_theme"}

THEME_HTML = """<div class="fpsnn-theme" style="display:flex;gap:.6rem;align-items:center;
  flex-wrap:wrap"><span>Theme:</span>{links}</div>
<script>
(() => {
  const current = new URLSearchParams(window.location.search).getAll('embed_options');
  for (const a of document.querySelectorAll('a[data-fpsnn-theme]')) {
    const opt = a.getAttribute('data-fpsnn-theme');
    const on = opt ? current.includes(opt) : !current.some(o => o.endsWith('_theme'));
    a.style.fontWeight = on ? '700' : '400';
    a.toggleAttribute('aria-current', on);
  }
  if (window.__fpsnnThemeClick) return;
  window.__fpsnnThemeClick = true;
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[data-fpsnn-theme]');
    if (!a) return;
    e.preventDefault();
    const url = new URL(window.location.href);
    const keep = url.searchParams.getAll('embed_options').filter(o => !o.endsWith('_theme'));
    url.searchParams.delete('embed_options');
    for (const o of keep) url.searchParams.append('embed_options', o);
    const opt = a.getAttribute('data-fpsnn-theme');
    if (opt) url.searchParams.append('embed_options', opt);
    window.location.assign(url.toString());
  }, true);
})();
</script>"""
_WAS_ON = "fpsnn.present_was_on"


def presenting() -> bool:
    """Whether presentation mode is on in this run."""
    return bool(st.session_state.get(KEY, False))


def _accept_alias() -> None:
    """``present=1`` (and ``on``/``yes``) mean ``present=true``: Streamlit's toggle reads
    only ``true``/``false`` and drops the others from the URL, so set the switch's value
    here; Streamlit then writes ``present=true`` back into the link."""
    value = st.query_params.get(KEY)
    if isinstance(value, str) and value.lower() in ALIASES:
        st.session_state[KEY] = True


def presentation_switch() -> bool:
    """Draw the switch at the top of the sidebar, configure the page and apply the style.

    Call once per run, from ``app.py``, before the page runs. Returns whether presentation
    mode is on.
    """
    _accept_alias()
    on = st.sidebar.toggle(
        "Presentation mode",
        False,
        key=KEY,
        bind="query-params",
        help="For a projector: sidebar folded away, introductions folded, larger type, "
        "each page's main figure on the first screen. In the link as present=true.",
    )
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")
    st.html(style.CHART_TEXT_CSS)
    theme_choice()
    if on:
        st.html(CSS)
        if not st.session_state.get(_WAS_ON):
            st.sidebar.html(COLLAPSE_JS, unsafe_allow_javascript=True)
    else:
        st.html(NORMAL_CSS)
    st.session_state[_WAS_ON] = on
    return on


def theme_choice() -> None:
    """Light, dark or the system's theme, chosen in the sidebar and carried by the link
    (:data:`THEME_OPTIONS`). Streamlit 1.67 has no call that sets the theme from Python and
    its own settings menu is hidden by the minimal toolbar, so the choice reloads the page
    with the theme in the link: a new session, in which the page's settings come back from
    the link (a training run starts again)."""
    links = "".join(
        f'<a href="#" data-fpsnn-theme="{opt or ""}" title="{name} theme (reloads the page; '
        f'kept in the link)">{name}</a>'
        for name, opt in THEME_OPTIONS.items()
    )
    # the step keys' script rides along: an element of its own would add a gap to the sidebar
    st.sidebar.html(THEME_HTML.replace("{links}", links) + STEP_JS, unsafe_allow_javascript=True)


def intro(text: str) -> None:
    """A page's introduction: shown as is, or folded into an expander while presenting."""
    if presenting():
        with st.expander("About this page", icon=":material/info:"):
            st.markdown(text)
    else:
        st.markdown(text)
