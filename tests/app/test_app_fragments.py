"""Controls that change only part of a page live in an ``st.fragment`` with what they
draw: moving them reruns that part alone on a server (AppTest reruns the whole script, so
the test reads the fragment each element was sent from)."""

import pytest
from apphelpers import assert_clean, open_page
from streamlit.testing.v1.local_script_runner import LocalScriptRunner


@pytest.fixture
def sent(monkeypatch):
    """``sent()``: ``(fragment id, element type, label)`` of every element of the last run."""
    runners = []
    init = LocalScriptRunner.__init__

    def keep(self, *args, **kwargs):
        init(self, *args, **kwargs)
        runners.append(self)

    monkeypatch.setattr(LocalScriptRunner, "__init__", keep)

    def elements():
        out = []
        for msg in runners[-1].forward_msgs():
            if msg.HasField("delta") and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                kind = element.WhichOneof("type")
                out.append(
                    (msg.delta.fragment_id, kind, getattr(getattr(element, kind), "label", ""))
                )
        return out

    return elements


def _fragment_of(elements, kind: str, label: str = "") -> str:
    return next(f for f, k, lab in elements if k == kind and lab.startswith(label))


def test_gradient_check_slice_width_reruns_only_the_slice(sent):
    at = open_page("gradient_check")
    assert_clean(at)
    elements = sent()
    fragment = _fragment_of(elements, "slider", "Slice half-width")
    assert fragment, "the width is in a fragment"
    charts = [f for f, k, _ in elements if k == "plotly_chart"]
    assert charts == ["", fragment], "the agreement plot outside, the slice inside"
    assert all(f == "" for f, k, _ in elements if k in ("metric", "dataframe", "radio"))


def test_neuron_equation_choice_reruns_only_the_equation(sent):
    at = open_page("neuron")
    assert_clean(at)
    elements = sent()
    fragment = _fragment_of(elements, "selectbox", "Implicit equation")
    assert fragment
    assert [f for f, k, _ in elements if k == "markdown" and f == fragment], "the equation"
    assert all(f != fragment for f, k, _ in elements if k in ("plotly_chart", "metric", "slider"))
    at.selectbox(key="neuron.k").set_value(1).run()
    assert_clean(at)
    assert "f_{2}" in [e for e in at.latex][0].value


def test_neuron_moved_parameter_reruns_only_its_view(sent):
    at = open_page("neuron")
    assert_clean(at)
    elements = sent()
    fragment = _fragment_of(elements, "slider", "Step δ")
    assert fragment and fragment == _fragment_of(elements, "selectbox", "Parameter p")
    charts = [f for f, k, _ in elements if k == "plotly_chart"]
    assert charts == ["", fragment], "the neuron's figure outside, the moved parameter's inside"
    assert all(f == "" for f, k, _ in elements if k == "metric")
