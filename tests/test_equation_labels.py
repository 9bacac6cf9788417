"""Equation labels such as (S1) or (J2) name one formula each, across the core's docstrings
and docs/model.md: each label has one home module, and a formula line that ends in a label
(a line with ``=`` or ``<-`` and the label at its end, outside ``#`` comments and
reStructuredText prose with double backquotes) appears only there. References elsewhere in the repository use registered labels only."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: label -> the module whose docstring states its formula
HOME = {
    **{f"S{k}": "fpsnn_core/simulate.py" for k in (1, 2)},
    "K1": "fpsnn_core/kernels.py",
    **{f"J{k}": "fpsnn_core/implicit.py" for k in (1, 2, 3, 4)},
    **{f"J{k}": "fpsnn_core/partials.py" for k in (5, 6, 7, 8)},
    **{f"G{k}": "fpsnn_core/gradients.py" for k in (1, 2, 3)},
    **{f"E{k}": "fpsnn_core/eventprop.py" for k in (1, 2, 3)},
    **{f"L{k}": "fpsnn_core/batched.py" for k in (1, 2, 3)},
    **{f"C{k}": "fpsnn_core/losses.py" for k in (1, 2)},
    "M1": "fpsnn_core/losses.py",
    **{f"D{k}": "fpsnn_core/discrete.py" for k in range(1, 7)},
    **{f"B{k}": "fpsnn_core/bptt.py" for k in range(1, 6)},
    "F1": "fpsnn_core/finite_diff.py",
    **{f"N{k}": "fpsnn_core/nir_io.py" for k in (1, 2, 3, 4)},
    "X1": "fpsnn_core/datasets.py",
    "Y1": "fpsnn_core/datasets.py",
    "A1": "fpsnn_core/training.py",
    **{f"R{k}": "fpsnn_core/training.py" for k in (1, 2, 3, 4, 5)},
}

LABEL = re.compile(r"\(([A-Z][0-9]+[a-z]?)\)")
FORMULA = re.compile(r"(=|<-).*\s\(([A-Z][0-9]+[a-z]?)\)(::)?\s*$")


def _files(*patterns):
    return sorted(p for pat in patterns for p in ROOT.glob(pat) if p.is_file())


def _formula_lines():
    """(label, file, line number) of every formula line that ends in a label."""
    for path in _files("fpsnn_core/*.py", "docs/model.md"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = FORMULA.search(line.split("#")[0] if path.suffix == ".py" else line)
            if m and "``" not in line:
                yield m.group(2), path.relative_to(ROOT).as_posix(), n


def test_each_formula_line_is_in_its_labels_home_and_each_label_has_one():
    where = {}
    for label, file, n in _formula_lines():
        assert label in HOME, f"{file}:{n}: label ({label}) is not registered in HOME"
        assert file == HOME[label], (
            f"{file}:{n} states a formula labelled ({label}), "
            f"which names the formula of {HOME[label]}"
        )
        where.setdefault(label, []).append(n)
    clashes = {k: v for k, v in where.items() if len(v) > 1}
    assert not clashes, f"labels stated by more than one formula line: {clashes}"
    assert len(where) >= 30  # the check sees the labelled formulas


@pytest.mark.parametrize("label", sorted(HOME))
def test_each_label_appears_in_its_home_module(label):
    assert f"({label})" in (ROOT / HOME[label]).read_text()


def test_every_label_used_in_the_repository_is_registered():
    unknown = {}
    for path in _files(
        "fpsnn_core/*.py",
        "fpsnn_app/**/*.py",
        "app_pages/*.py",
        "app.py",
        "tests/**/*.py",
        "bench/*.py",
        "docs/*.md",
        "README.md",
    ):
        for label in LABEL.findall(path.read_text()):
            if label not in HOME:
                unknown.setdefault(label, set()).add(path.relative_to(ROOT).as_posix())
    assert not unknown, unknown


REFERENCE = re.compile(
    r"\(([A-Z][0-9]+[a-z]?)\)(?:\s*(?:-|,|and)\s*\(([A-Z][0-9]+[a-z]?)\))?"
    r"\s+of\s+(?::mod:|:func:)?`*fpsnn_core[./]([a-z_]+)"
)


def test_a_label_said_to_be_of_a_module_is_that_modules():
    """``(M1) of :mod:`fpsnn_core.losses``` must name a label whose home is that module."""
    wrong = []
    for path in _files(
        "fpsnn_core/*.py",
        "fpsnn_app/**/*.py",
        "app_pages/*.py",
        "tests/**/*.py",
        "bench/*.py",
        "docs/*.md",
        "README.md",
    ):
        for m in REFERENCE.finditer(path.read_text()):
            module = f"fpsnn_core/{m.group(3)}.py"
            for label in filter(None, m.group(1, 2)):
                if HOME.get(label) != module:
                    wrong.append(
                        f"{path.relative_to(ROOT).as_posix()}: ({label}) of "
                        f"{module}, whose home is {HOME.get(label)}"
                    )
    assert not wrong, "\n".join(wrong)
