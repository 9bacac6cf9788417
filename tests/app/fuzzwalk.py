"""A model-based random walk over the app under AppTest (used by ``test_app_fuzz.py``).

A walk is a list of :class:`Action`\\ s drawn, step by step, from what the current page
shows: its widgets (sliders and number inputs at their ends or anywhere on their grid,
every option of a select box, radio or select slider, subsets of a multiselect, toggles,
text typed malformed and then valid), its buttons, the uploader, a switch to another page
that keeps the URL the way the browser does, and an edit of the URL (one parameter set to
an out-of-range or garbage value, then the page reopened). After every action
:func:`check` holds the app to its invariants:

* no exception element, and no error other than the app's own messages (:data:`OWN_ERRORS`);
* the value just set is the value shown, unless the state model announced a change
  (a ``:material/sync:`` note);
* a rerun without any interaction changes nothing shown (no stale value that a later
  rerun would turn into another one);

and, every few steps, that the page's link opened in a fresh session shows the same
numbers (metrics, tables and data frames).

Actions are plain data, so a failing walk prints as a list that :func:`replay` re-runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
from apphelpers import bound_widgets, link, open_page, reopen, walk_elements
from streamlit.runtime.state.common import TESTING_KEY
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import (
    Button,
    Checkbox,
    FileUploader,
    Multiselect,
    NumberInput,
    Radio,
    Selectbox,
    SelectSlider,
    Slider,
    TextInput,
    Toggle,
    Widget,
)

import fpsnn_core as fp
from fpsnn_app.registry import PAGES, page
from fpsnn_app.urlstate import format_times

#: Error messages the app itself shows for a bad entry, a refused upload or a network that
#: fires without end. Anything else in ``st.error`` (e.g. the app's
#: "Unexpected error", or "Invalid input" from a value the app should never pass on) fails.
OWN_ERRORS = (
    re.compile(r"^.+: .+\. Using the default \(.*\) until it is fixed\.$", re.S),
    re.compile(r"^.+ is not a valid fpsnn network: ", re.S),
    re.compile(r"^(\*\*)?Runaway firing\.(\*\*)? ", re.S),  # markdown, or as a browser shows it
)
#: A note of the state model under a control whose value it had to change.
SYNC_NOTE = ":material/sync:"

#: Text that is no list of spike or target times.
BAD_TEXT = ("abc", "1, two", "nan", "inf", "1e999", "0.3x", "1;;--2")
#: Values a URL edit puts into a parameter: out of every range, or no value at all.
BAD_URL = (
    "zzz",
    "-1",
    "-0.5",
    "999999",
    "1e308",
    "nan",
    "",
    "n99",
    "f99",
    "Uploaded: gone.json",
    "0_0_abc",
    "0_0_1e308",
    "2_0_-1e300",
    "3_1_5",
    "eJwDAAAAAAE",
    "0.123456789123",
)
#: Parameters a URL edit may touch besides the page's own bound widgets.
URL_EXTRA = ("motif", "edits", "net")
#: Actions never taken: Play trains for as long as it runs (too slow for the suite);
#: downloads change nothing.
SKIP_BUTTONS = {"training.play"}


@dataclass(frozen=True)
class Action:
    """One user action. ``kind`` is ``widget`` (set ``key`` to ``value``: a number, a bool,
    an option's label or a list of labels), ``text`` (type ``value[0]``, then
    ``value[1]``), ``click``, ``page`` (go to page ``key``), ``url`` (set parameter ``key``
    to ``value`` and reopen), ``upload`` (``value`` is ``"valid"`` or ``"bad"``, ``key``
    a seed) or ``reopen`` (check that the link reproduces the page)."""

    kind: str
    key: str = ""
    value: object = None

    def __repr__(self) -> str:
        return f"Action({self.kind!r}, {self.key!r}, {self.value!r})"


@dataclass
class Walk:
    """The state of one walk: the session, where it is, what it did."""

    at: AppTest
    page: str
    start: str = ""
    seed: int | None = None
    actions: list = field(default_factory=list)
    trained: bool = False  # the Training page trained (its progress is not in a link)

    def describe(self) -> str:
        lines = "".join(f"\n    {a!r}," for a in self.actions)
        return (
            f"walk of seed {self.seed} from {self.start!r}; replay with "
            f"fuzzwalk.replay({self.start!r}, [{lines}\n])"
        )


# --- reading the page ---------------------------------------------------------------
def widgets(at: AppTest) -> list[Widget]:
    """The widgets a user can change on the page (enabled, with a key)."""
    return [
        el
        for el in walk_elements(at)
        if isinstance(el, Widget) and el.key and not getattr(el.proto, "disabled", False)
    ]


def shown(w: Widget):
    """A widget's value as the browser shows it: labels for choices, numbers, text."""
    if isinstance(w, (Selectbox, Radio)):
        return None if w.value is None else w.options[w.index]
    if isinstance(w, Multiselect):
        return list(w.values)
    if isinstance(w, SelectSlider):
        return str(w.format_func(w.value))
    return w.value


def numbers(at: AppTest) -> dict:
    """What a link must reproduce: every metric, table and data frame of the page."""
    return {
        "metrics": [(m.label, m.value) for m in at.metric],
        "tables": [t.value.to_json() for t in at.table],
        "frames": [d.value.to_json() for d in at.dataframe],
    }


def state_of(at: AppTest) -> dict:
    """Everything a rerun must leave alone: the numbers and every widget's shown value."""
    return {
        **numbers(at),
        "widgets": {
            w.key: shown(w) for w in widgets(at) if not isinstance(w, (Button, FileUploader))
        },
    }


def notes(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption if SYNC_NOTE in c.value)


# --- the invariants ------------------------------------------------------------------
def check(walk: Walk, label: str = "") -> None:
    at = walk.at
    where = f"{label} on {walk.page}\n{walk.describe()}"
    assert not at.exception, f"exception {[e.message for e in at.exception]} after {where}"
    foreign = [e.value for e in at.error if not any(p.match(e.value) for p in OWN_ERRORS)]
    assert not foreign, f"error {foreign} after {where}"


def check_rerun(walk: Walk) -> None:
    """A rerun without interaction changes nothing (no stale value)."""
    before = state_of(walk.at)
    walk.at.run()
    check(walk, "rerun")
    after = state_of(walk.at)
    assert after == before, (
        f"a plain rerun changed the page:\n{_diff(before, after)}\n{walk.describe()}"
    )


def check_link(walk: Walk) -> None:
    """The page's link, opened in a fresh session, shows the same numbers."""
    if walk.page == "training" and walk.trained:
        return  # training progress is not in a link (the page says so)
    fresh = reopen(walk.at)
    assert not fresh.exception, [e.message for e in fresh.exception]
    if any("too large for a link" in w.value for w in walk.at.warning):
        # an upload too large for a link stays out of it, and the page says so
        assert any("not in it" in i.value for i in fresh.info), walk.describe()
        return
    a, b = numbers(walk.at), numbers(fresh)
    assert a == b, (
        f"the link {link(walk.at)} reopens with other numbers:\n{_diff(a, b)}\n{walk.describe()}"
    )


def _diff(a: dict, b: dict) -> str:
    return "\n".join(
        f"  {k}: {a.get(k)!r}\n   -> {b.get(k)!r}" for k in sorted(a) if a.get(k) != b.get(k)
    )


# --- drawing an action -----------------------------------------------------------------
def _grid_value(rng, lo, hi, step, integer: bool):
    k = int(rng.choice([0, round((hi - lo) / step), rng.integers(0, round((hi - lo) / step) + 1)]))
    return int(lo + k * step) if integer else round(lo + k * step, 10)


def _widget_action(w: Widget, rng, walk: Walk) -> Action | None:
    if isinstance(w, Slider) and not isinstance(w.value, (list, tuple)):
        integer = isinstance(w.value, int)
        return Action("widget", w.key, _grid_value(rng, w.min, w.max, w.step, integer))
    if isinstance(w, NumberInput):
        lo = w.min if w.min is not None else 0
        hi = w.max if w.max is not None else lo + 100
        integer = float(w.step).is_integer() and float(lo).is_integer()
        return Action("widget", w.key, _grid_value(rng, lo, hi, w.step, integer))
    if isinstance(w, (Selectbox, Radio, SelectSlider)):
        return Action("widget", w.key, w.options[int(rng.integers(len(w.options)))])
    if isinstance(w, Multiselect):
        n = int(rng.integers(0, min(len(w.options), 4) + 1))
        picked = rng.choice(len(w.options), size=n, replace=False) if n else []
        return Action("widget", w.key, [w.options[int(i)] for i in sorted(picked)])
    if isinstance(w, (Checkbox, Toggle)):
        return Action("widget", w.key, not w.value)
    if isinstance(w, TextInput):
        return Action(
            "text", w.key, (BAD_TEXT[int(rng.integers(len(BAD_TEXT)))], _good_text(w, rng))
        )
    if isinstance(w, Button) and w.key not in SKIP_BUTTONS:
        if w.key == "training.step" and (walk.trained or _value(walk.at, "training.task") != "XOR"):
            return None  # Step trains a whole epoch: once, on the small task
        return Action("click", w.key)
    return None


def _value(at: AppTest, key: str):
    for w in widgets(at):
        if w.key == key:
            return shown(w)
    return None


def _good_text(w: TextInput, rng) -> str:
    """A valid entry with as many numbers as the field's default (times or targets)."""
    n = len(re.findall(r"[-\d.e]+", w.proto.default)) if w.proto.default else 2
    times = np.sort(np.round(rng.uniform(0.05, 3.0, size=max(n, 1)), 2))
    return ", ".join(f"{t:g}" for t in times[:n]) if n else ""


def draw(walk: Walk, rng) -> Action:
    """The next action, drawn from what the page shows."""
    at = walk.at
    roll = rng.random()
    if roll < 0.15:
        others = [p.name for p in PAGES if p.name != walk.page]
        return Action("page", others[int(rng.integers(len(others)))])
    if roll < 0.22:
        keys = sorted(
            {
                *link(at),
                *(w.proto.query_param_key for w in bound_widgets(at)),
                *(URL_EXTRA if page(walk.page).uses_network else ()),
            }
        )
        return Action(
            "url", keys[int(rng.integers(len(keys)))], BAD_URL[int(rng.integers(len(BAD_URL)))]
        )
    uploaders = [w for w in widgets(at) if isinstance(w, FileUploader)]
    if uploaders and roll < 0.28:
        return Action(
            "upload", str(int(rng.integers(1000))), "valid" if rng.random() < 0.6 else "bad"
        )
    candidates = [w for w in widgets(at) if not isinstance(w, FileUploader)]
    # the network is what most controls depend on: pick it more often
    weights = np.array([4.0 if w.key == "motif" else 1.0 for w in candidates])
    for _ in range(10):
        w = candidates[int(rng.choice(len(candidates), p=weights / weights.sum()))]
        action = _widget_action(w, rng, walk)
        if action is not None:
            return action
    return Action("page", "home")


# --- doing it -----------------------------------------------------------------------------
def _find(at: AppTest, key: str) -> Widget:
    for w in walk_elements(at):
        if isinstance(w, Widget) and w.key == key:
            return w
    raise KeyError(f"no widget {key!r} on the page")


def _set_by_label(at: AppTest, w: Widget, value) -> None:
    """Set a choice widget by its shown label(s), as the browser does: the browser sends
    labels, AppTest expects the option values; an identity format_func for this one
    interaction (the script registers the real one again) makes AppTest send the label."""
    at.session_state[TESTING_KEY][w.id] = lambda v: v
    w.set_value(value)


def apply(walk: Walk, action: Action) -> None:
    """Do ``action`` in ``walk`` and check the invariants after every run."""
    walk.actions.append(action)
    at = walk.at
    kind, key, value = action.kind, action.key, action.value
    if kind == "widget":
        w = _find(at, key)
        if isinstance(w, (Selectbox, Radio, SelectSlider, Multiselect)):
            _set_by_label(at, w, value)
        else:
            w.set_value(value)
        at.run()
        check(walk)
        if not notes(at) and _value(at, key) is not None:
            assert _value(at, key) == value, (
                f"{key} shows {_value(at, key)!r} after being "
                f"set to {value!r} (no note)\n{walk.describe()}"
            )
    elif kind == "text":
        bad, good = value
        _find(at, key).input(bad)
        at.run()
        check(walk, f"typing {bad!r}")
        assert any(e.value.startswith(_find(at, key).label) for e in at.error), (
            f"{key}: {bad!r} is not flagged\n{walk.describe()}"
        )
        _find(at, key).input(good)
        at.run()
        check(walk, f"typing {good!r}")
    elif kind == "click":
        _find(at, key).click()
        at.run()
        walk.trained |= key == "training.step"
        check(walk)
    elif kind == "page":
        keep = {w.proto.query_param_key for w in bound_widgets(at)}
        query = {k: v for k, v in link(at).items() if k in keep}
        at.query_params.clear()
        for k, v in query.items():
            at.query_params[k] = v
        at.switch_page(page(key).path)
        at.run()
        walk.page = key
        check(walk)
    elif kind == "url":
        query = link(at)
        query[key] = value
        walk.at = open_page(walk.page, query)
        walk.trained = False
        check(walk)
    elif kind == "upload":
        name, data = upload_file(int(key), value == "valid")
        _find(at, "net.upload").set_value((name, data, "application/json"))
        at.run()
        check(walk)
        if value == "bad":
            assert any(name in e.value for e in at.error), f"{name} not refused\n{walk.describe()}"
        elif walk.page != "training" and page(walk.page).uses_network:
            _check_upload_shown(walk, data)
    elif kind == "reopen":
        check_link(walk)
    else:
        raise ValueError(kind)


def _check_upload_shown(walk: Walk, data: bytes) -> None:
    """The model of an upload: the picker shows the file's own inputs and t_max."""
    nf = fp.from_json(data)
    shown_inputs = [_value(walk.at, f"uploaded.in{j}") for j in range(nf.network.n_inputs)]
    assert shown_inputs == [format_times(sorted(t)) for t in nf.inputs], (
        f"the upload shows inputs {shown_inputs}, its file {nf.inputs}\n{walk.describe()}"
    )
    assert _value(walk.at, "uploaded.t_max") == nf.t_max, walk.describe()


def upload_file(seed: int, valid: bool) -> tuple[str, bytes]:
    """A small random network file (1-2 inputs, 2-4 neurons, recurrent), or a broken one."""
    rng = np.random.default_rng(seed)
    k, n = int(rng.integers(1, 3)), int(rng.integers(2, 5))
    W = rng.normal(2.0, 2.0, (k + n, n)) * (rng.random((k + n, n)) < 0.7)
    W[k + np.arange(n), np.arange(n)] = 0.0
    inputs = [
        sorted(np.round(rng.uniform(0, 2, int(rng.integers(1, 3))), 3).tolist()) for _ in range(k)
    ]
    outputs = sorted(rng.choice(n, size=int(rng.integers(1, 3)), replace=False).tolist())
    text = fp.to_json(fp.Network(W, k, 0.5, 1.0, 1.0), inputs, 3.0, meta={"outputs": outputs})
    if valid:
        return f"net-{seed}.json", text.encode()
    doc = json.loads(text)
    broken = (
        text[: len(text) // 2],
        "{not json",
        json.dumps({**doc, "weights": "x"}),
        json.dumps({**doc, "n_inputs": 99}),
    )
    return f"bad-{seed}.json", broken[seed % len(broken)].encode()


def _changes_network(action: Action) -> bool:
    """Whether ``action`` may change the network, which most other controls follow."""
    key = action.key
    return (
        action.kind in ("upload", "url")
        or key == "motif"
        or key.startswith("net.")
        or bool(re.search(r"\.(t_max|in\d+)$", key))
        or key == "training.sample"
    )


def run_walk(seed: int, start: str, steps: int, link_every: int = 5) -> Walk:
    """A seeded walk of ``steps`` actions starting on page ``start``. A plain rerun follows
    every action that may change the network, and each link check; the link is checked
    every ``link_every`` steps and at the end."""
    rng = np.random.default_rng(seed)
    walk = Walk(open_page(start), start, start, seed)
    check(walk, "opening")
    for i in range(steps):
        apply(walk, draw(walk, rng))
        at_link = i % link_every == link_every - 1 or i == steps - 1
        if _changes_network(walk.actions[-1]) or at_link:
            check_rerun(walk)
        if at_link:
            apply(walk, Action("reopen"))
    return walk


def replay(start: str, actions: list[Action]) -> Walk:
    """Re-run a printed walk action by action (the ``reopen`` checks included)."""
    walk = Walk(open_page(start), start, start)
    for action in actions:
        apply(walk, action)
    return walk
