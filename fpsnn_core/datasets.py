"""Classification data sets (XOR, Iris, Yin-Yang) and their encoding as input spike times.

Data sets
---------
* **XOR**: the four points of ``{0, 1}^2``, label ``x xor y``.
* **Iris**: Fisher's 150 flowers (4 measurements in cm, 3 species, 50 each), read from
  ``assets/iris.csv`` (the table of R and scikit-learn, not the UCI copy with two wrong
  rows). A stratified split, fixed by ``split_seed``, gives 90 / 30 / 30 samples for
  training / validation / test (30 / 10 / 10 per class).
* **Yin-Yang** (Kriener, Goeltz & Petrovici 2021, arXiv:2102.08211): points of the disk of
  radius ``r_big = 0.5`` centred at ``(0.5, 0.5)``, with two dots of radius
  ``r_small = 0.1`` at ``(0.25, 0.5)`` and ``(0.75, 0.5)``. With ``d_l``, ``d_r`` the
  distances to the dot centres, the published rule is::

      dot    (2)  if d_r < r_small or d_l < r_small
      label  1    if d_r <= r_small or r_small < d_l <= r_big / 2
                  or (y > r_big and d_r > r_big / 2)                          (Y1)
      label  0    otherwise

  (label 1 is the region above the S-curve plus the left lobe, minus the right lobe.) The
  classes are named ``yin, yang, dot`` for labels 0, 1, 2 as in the reference. Balanced
  by rejection sampling: draw the wanted class uniformly from ``{0, 1, 2}``, then draw
  ``(x, y)`` uniformly in ``[0, 1]^2`` until it lies in the disk and has that class. The
  inputs are ``(x, y, 1 - x, 1 - y)``. The standard split is train / validation / test of
  5000 / 1000 / 1000 samples from seeds 42 / 41 / 40. The draws are made in the
  reference's order with ``numpy.random.RandomState(seed)`` (an explicit generator
  object), so a seed gives the same points as the reference implementation.

Encoding
--------
A value ``v`` of feature ``d`` becomes one input spike at::

    t = t_early + (t_late - t_early) * clip((v - lo_d) / (hi_d - lo_d), 0, 1)       (X1)

and one extra input channel, the bias, spikes at ``t_bias`` for every sample. A network
for ``D`` features thus has ``K = D + 1`` inputs, the bias last. ``lo`` and ``hi`` are
fixed by the task (``[0, 1]`` for XOR and Yin-Yang, the training-set range for Iris), so a
saved :class:`Encoding` encodes new data exactly as in training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checks import integer
from .network import _frozen

#: Names of the tasks :func:`load_task` knows.
TASKS = ("xor", "iris", "yinyang")
#: The Iris table shipped with the project.
IRIS_CSV = Path(__file__).resolve().parent.parent / "assets" / "iris.csv"
IRIS_CLASSES = ("setosa", "versicolor", "virginica")
YINYANG_CLASSES = ("yin", "yang", "dot")
#: Seeds and sizes of the standard Yin-Yang split (reference README).
YINYANG_SPLIT = {"train": (42, 5000), "validation": (41, 1000), "test": (40, 1000)}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Samples and labels; arrays read-only.

    Attributes
    ----------
    values : ndarray, shape (n, D)
        Feature values.
    labels : ndarray of int, shape (n,)
        Class of each sample, ``0..C-1``.
    """

    values: np.ndarray
    labels: np.ndarray

    def __post_init__(self):
        values, labels = _frozen(self.values), _frozen(self.labels, int)
        if values.ndim != 2 or labels.shape != (values.shape[0],):
            raise ValueError(
                f"values must be (n, D) and labels (n,), got {values.shape} and {labels.shape}"
            )
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "labels", labels)

    def __len__(self) -> int:
        return int(self.labels.size)

    def subset(self, index) -> Dataset:
        """The samples ``index`` (an index array or slice)."""
        return Dataset(self.values[index], self.labels[index])


@dataclass(frozen=True, eq=False)
class Encoding:
    """Values to input spike times by (X1), plus a bias spike at ``t_bias``.

    Attributes
    ----------
    lo, hi : ndarray, shape (D,)
        Feature range mapped onto ``[t_early, t_late]``.
    t_early, t_late, t_bias : float
    """

    lo: np.ndarray
    hi: np.ndarray
    t_early: float = 0.0
    t_late: float = 1.0
    t_bias: float = 0.0

    def __post_init__(self):
        lo, hi = _frozen(self.lo).reshape(-1), _frozen(self.hi).reshape(-1)
        if lo.shape != hi.shape or not np.all(hi > lo):
            raise ValueError(
                f"the encoding needs hi > lo for every feature, got lo={lo.tolist()} "
                f"hi={hi.tolist()}"
            )
        times = (self.t_early, self.t_late, self.t_bias)
        if not all(np.isfinite(times)) or min(times) < 0 or self.t_late <= self.t_early:
            raise ValueError(
                f"the encoding needs 0 <= t_early < t_late and t_bias >= 0, got {times}"
            )
        object.__setattr__(self, "lo", _frozen(lo))
        object.__setattr__(self, "hi", _frozen(hi))

    @property
    def n_inputs(self) -> int:
        """``K = D + 1`` input channels (the bias last)."""
        return self.lo.size + 1

    def encode(self, values) -> np.ndarray:
        """Input spike times (X1), shape (n, D+1), of values of shape (n, D)."""
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or values.shape[1] != self.lo.size:
            raise ValueError(f"values must have shape (n, {self.lo.size}), got {values.shape}")
        if not np.all(np.isfinite(values)):
            raise ValueError("values must be finite")
        u = np.clip((values - self.lo) / (self.hi - self.lo), 0.0, 1.0)
        t = self.t_early + (self.t_late - self.t_early) * u
        return np.concatenate([t, np.full((values.shape[0], 1), float(self.t_bias))], axis=1)

    def to_dict(self) -> dict:
        """JSON-ready description (stored in a network file's ``meta``)."""
        return {
            "scheme": "latency+bias",
            "lo": self.lo.tolist(),
            "hi": self.hi.tolist(),
            "t_early": float(self.t_early),
            "t_late": float(self.t_late),
            "t_bias": float(self.t_bias),
        }

    @classmethod
    def from_dict(cls, doc) -> Encoding:
        """Inverse of :meth:`to_dict`; ``ValueError`` if a field is missing or wrong."""
        if not isinstance(doc, dict) or doc.get("scheme") != "latency+bias":
            raise ValueError("the network file's meta has no 'encoding' of scheme 'latency+bias'")
        try:
            return cls(
                doc["lo"],
                doc["hi"],
                float(doc["t_early"]),
                float(doc["t_late"]),
                float(doc["t_bias"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"bad encoding in the network file: {exc!r}") from None


@dataclass(frozen=True, eq=False)
class Task:
    """A classification task: three splits, names and the encoding of its values."""

    name: str
    train: Dataset
    validation: Dataset
    test: Dataset
    encoding: Encoding
    feature_names: tuple
    class_names: tuple

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


# --- XOR --------------------------------------------------------------------------
def xor() -> Dataset:
    """The four XOR points, label ``x xor y``."""
    values = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return Dataset(values, np.array([0, 1, 1, 0]))


# --- Iris -------------------------------------------------------------------------
def iris(path=IRIS_CSV) -> Dataset:
    """All 150 Iris flowers in file order (labels 0, 1, 2 = setosa, versicolor, virginica)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"the Iris table {path} is missing")
    rows = [line.split(",") for line in path.read_text().splitlines()[1:] if line.strip()]
    try:
        values = np.array([[float(x) for x in r[:4]] for r in rows])
        labels = np.array([IRIS_CLASSES.index(r[4].strip()) for r in rows])
    except (ValueError, IndexError) as exc:
        raise ValueError(f"{path} is not a valid Iris table: {exc}") from None
    return Dataset(values, labels)


def stratified_split(labels, sizes, rng: np.random.Generator) -> list[np.ndarray]:
    """Split indices into parts with ``sizes[p]`` samples of every class each.

    Parameters
    ----------
    labels : array_like of int, shape (n,)
    sizes : sequence of int
        Samples per class in each part; their sum may not exceed any class's count.
    """
    labels = np.asarray(labels)
    parts = [[] for _ in sizes]
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        if sum(sizes) > idx.size:
            raise ValueError(f"class {c} has {idx.size} samples, fewer than {sum(sizes)}")
        edges = np.cumsum([0, *sizes])
        for p in range(len(sizes)):
            parts[p].append(idx[edges[p] : edges[p + 1]])
    return [np.sort(np.concatenate(p)) for p in parts]


# --- Yin-Yang ---------------------------------------------------------------------
def yinyang_class(x, y, r_small: float = 0.1, r_big: float = 0.5) -> np.ndarray:
    """Class of points by rule (Y1); arrays broadcast. Points outside the disk get -1."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    d_r = np.hypot(x - 1.5 * r_big, y - r_big)
    d_l = np.hypot(x - 0.5 * r_big, y - r_big)
    upper = (
        (d_r <= r_small)
        | ((d_l > r_small) & (d_l <= 0.5 * r_big))
        | ((y > r_big) & (d_r > 0.5 * r_big))
    )
    label = np.where((d_r < r_small) | (d_l < r_small), 2, upper.astype(int))
    return np.where(np.hypot(x - r_big, y - r_big) > r_big, -1, label)


def yinyang(size: int, seed: int, r_small: float = 0.1, r_big: float = 0.5) -> Dataset:
    """``size`` Yin-Yang samples by the balanced rejection sampling of the module docstring.

    Returns values ``(x, y, 1-x, 1-y)`` of shape (size, 4).
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    rs = np.random.RandomState(int(seed))  # the reference's generator and draw order
    xy = np.empty((int(size), 2))
    labels = np.empty(int(size), dtype=int)
    for n in range(int(size)):
        goal = rs.randint(3)
        while True:
            x, y = rs.rand(2) * 2.0 * r_big
            c = int(yinyang_class(x, y, r_small, r_big))
            if c == goal:
                break
        xy[n], labels[n] = (x, y), c
    return Dataset(np.concatenate([xy, 1.0 - xy], axis=1), labels)


# --- tasks ------------------------------------------------------------------------
def load_task(
    name: str,
    *,
    split_seed: int = 0,
    t_early: float = 0.0,
    t_late: float = 1.0,
    t_bias: float = 0.0,
) -> Task:
    """One of :data:`TASKS` with its standard splits and encoding.

    Parameters
    ----------
    split_seed : int
        Seed of the stratified Iris split (ignored by the other tasks).
    t_early, t_late, t_bias : float
        Encoding (X1).
    """
    split_seed = integer("split_seed", split_seed, minimum=0)
    if name == "xor":
        data = xor()
        return Task(
            "xor",
            data,
            data,
            data,
            Encoding([0, 0], [1, 1], t_early, t_late, t_bias),
            ("x", "y"),
            ("0", "1"),
        )
    if name == "iris":
        data = iris()
        train, val, test = stratified_split(
            data.labels, (30, 10, 10), np.random.default_rng(split_seed)
        )
        lo, hi = data.values[train].min(axis=0), data.values[train].max(axis=0)
        return Task(
            "iris",
            data.subset(train),
            data.subset(val),
            data.subset(test),
            Encoding(lo, hi, t_early, t_late, t_bias),
            ("sepal length", "sepal width", "petal length", "petal width"),
            IRIS_CLASSES,
        )
    if name == "yinyang":
        splits = {k: yinyang(size, seed) for k, (seed, size) in YINYANG_SPLIT.items()}
        return Task(
            "yinyang",
            splits["train"],
            splits["validation"],
            splits["test"],
            Encoding([0, 0, 0, 0], [1, 1, 1, 1], t_early, t_late, t_bias),
            ("x", "y", "1-x", "1-y"),
            YINYANG_CLASSES,
        )
    raise ValueError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}")
