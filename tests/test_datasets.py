"""Data sets against their published rules, class balance and the input encoding."""

import math

import numpy as np
import pytest

from fpsnn_core import datasets as ds


# --- Iris -----------------------------------------------------------------------------
def test_iris_is_fishers_table():
    data = ds.iris()
    assert data.values.shape == (150, 4)
    assert np.bincount(data.labels).tolist() == [50, 50, 50]
    # rows in Fisher's order (1-based row numbers of the table)
    known = {
        1: ([5.1, 3.5, 1.4, 0.2], 0),
        51: ([7.0, 3.2, 4.7, 1.4], 1),
        101: ([6.3, 3.3, 6.0, 2.5], 2),
        150: ([5.9, 3.0, 5.1, 1.8], 2),
        # the two rows where the UCI copy is wrong (35: 4.9,3.1,1.5,0.1; 38: 4.9,3.1,1.5,0.1)
        35: ([4.9, 3.1, 1.5, 0.2], 0),
        38: ([4.9, 3.6, 1.4, 0.1], 0),
    }
    for row, (values, label) in known.items():
        assert data.values[row - 1].tolist() == values and data.labels[row - 1] == label
    # published summary statistics (min, max, mean to two decimals)
    assert data.values.min(axis=0).tolist() == [4.3, 2.0, 1.0, 0.1]
    assert data.values.max(axis=0).tolist() == [7.9, 4.4, 6.9, 2.5]
    assert np.round(data.values.mean(axis=0), 2).tolist() == [5.84, 3.06, 3.76, 1.20]


def test_iris_split_is_stratified_and_disjoint():
    task = ds.load_task("iris", split_seed=3)
    parts = [task.train, task.validation, task.test]
    assert [np.bincount(p.labels).tolist() for p in parts] == [[30] * 3, [10] * 3, [10] * 3]
    rows = np.concatenate([p.values for p in parts])
    assert np.unique(rows, axis=0).shape[0] == np.unique(ds.iris().values, axis=0).shape[0]
    # the encoding range is the training range, so training inputs span [t_early, t_late]
    x = task.encoding.encode(task.train.values)[:, :4]
    assert np.allclose(x.min(axis=0), 0.0) and np.allclose(x.max(axis=0), 1.0)
    other = ds.load_task("iris", split_seed=4)
    assert not np.array_equal(other.test.values, task.test.values)


# --- Yin-Yang -------------------------------------------------------------------------
def _yinyang_by_geometry(x, y):
    """The symbol drawn from circles (independent of the module): label 1 is the upper
    half of the big disk plus the left lobe (radius 1/4 around (1/4, 1/2)) minus the right
    lobe; the two dots of radius 1/10 are class 2."""
    in_disk = (x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.25
    left_lobe = (x - 0.25) ** 2 + (y - 0.5) ** 2 <= 0.0625
    right_lobe = (x - 0.75) ** 2 + (y - 0.5) ** 2 <= 0.0625
    dot = ((x - 0.25) ** 2 + (y - 0.5) ** 2 < 0.01) | ((x - 0.75) ** 2 + (y - 0.5) ** 2 < 0.01)
    upper = ((y > 0.5) | left_lobe) & ~right_lobe
    return np.where(~in_disk, -1, np.where(dot, 2, upper.astype(int)))


def test_yinyang_class_matches_the_symbol():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (2, 20000))
    assert np.array_equal(ds.yinyang_class(x, y), _yinyang_by_geometry(x, y))
    points = {
        (0.5, 0.9): 1,
        (0.5, 0.1): 0,
        (0.25, 0.35): 1,
        (0.75, 0.65): 0,
        (0.75, 0.5): 2,
        (0.25, 0.52): 2,
        (0.05, 0.05): -1,
    }
    for (px, py), label in points.items():
        assert ds.yinyang_class(px, py) == label


def test_yinyang_samples_follow_the_rules_and_are_balanced():
    data = ds.yinyang(3000, seed=7)
    x, y, x2, y2 = data.values.T
    assert np.array_equal(x2, 1 - x) and np.array_equal(y2, 1 - y)
    assert np.all((x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.25)
    assert np.array_equal(data.labels, _yinyang_by_geometry(x, y))
    counts = np.bincount(data.labels, minlength=3)
    # goal classes are uniform: each count is Binomial(3000, 1/3), sd ~ 26
    assert np.all(np.abs(counts - 1000) < 120), counts
    # uniform within a class: the mean of the dot class splits evenly between the dots
    dots = x[data.labels == 2]
    assert abs(np.mean(dots < 0.5) - 0.5) < 0.1


def test_yinyang_is_reproducible_and_seeds_differ():
    a, b, c = ds.yinyang(50, 42), ds.yinyang(50, 42), ds.yinyang(50, 41)
    assert np.array_equal(a.values, b.values) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.values, c.values)


def test_yinyang_standard_split_sizes():
    task = ds.load_task("yinyang")
    assert (len(task.train), len(task.validation), len(task.test)) == (5000, 1000, 1000)
    assert task.class_names == ("yin", "yang", "dot")
    assert not np.any(np.all(task.train.values[:1000] == task.test.values, axis=1))


def _published_generator(size, seed, r_small=0.1, r_big=0.5):
    """The Yin-Yang generator as published by Kriener et al. (2021), transcribed statement
    by statement in its own scalar style (a NumPy RandomState, rejection of points outside
    the disk, then of points whose class is not the drawn goal class)."""
    rng = np.random.RandomState(seed)

    def which_class(x, y):
        d_right = math.sqrt((x - 1.5 * r_big) ** 2 + (y - r_big) ** 2)
        d_left = math.sqrt((x - 0.5 * r_big) ** 2 + (y - r_big) ** 2)
        criterion1 = d_right <= r_small
        criterion2 = d_left > r_small and d_left <= 0.5 * r_big
        criterion3 = y > r_big and d_right > 0.5 * r_big
        if d_right < r_small or d_left < r_small:
            return 2
        return int(criterion1 or criterion2 or criterion3)

    out = []
    for _ in range(size):
        goal = rng.randint(3)
        while True:
            x, y = rng.rand(2) * 2.0 * r_big
            if math.sqrt((x - r_big) ** 2 + (y - r_big) ** 2) > r_big:
                continue
            c = which_class(x, y)
            if c == goal:
                break
        out.append((x, y, 1.0 - x, 1.0 - y, c))
    return np.array(out)


def test_yinyang_splits_are_the_published_ones():
    task = ds.load_task("yinyang")
    # known samples of the published test (seed 40), validation (41) and training (42) sets
    pins = [
        (task.test, 0, (0.23409665, 0.40172498), 2),
        (task.test, 1, (0.75132902, 0.46824252), 2),
        (task.test, 2, (0.13832531, 0.57095397), 1),
        (task.validation, 0, (0.68057273, 0.32097339), 0),
        (task.validation, 1, (0.66851572, 0.91744785), 1),
        (task.train, 0, (0.68030754, 0.45049925), 2),
        (task.train, 1, (0.09767211, 0.68423303), 1),
    ]
    for data, k, xy, label in pins:
        np.testing.assert_allclose(data.values[k, :2], xy, rtol=0, atol=5e-9)
        assert data.labels[k] == label
    # and every sample of the test and validation sets, the first 500 of the training set
    for data, seed, n in (
        (task.test, 40, 1000),
        (task.validation, 41, 1000),
        (task.train, 42, 500),
    ):
        want = _published_generator(n, seed)
        np.testing.assert_array_equal(data.values[:n], want[:, :4])
        np.testing.assert_array_equal(data.labels[:n], want[:, 4].astype(int))


@pytest.mark.parametrize("size, seed", [(0, 1), (-3, 1), (2.5, 1), (10, -1), (10, "a")])
def test_yinyang_rejects_bad_arguments(size, seed):
    with pytest.raises(ValueError):
        ds.yinyang(size, seed)


# --- XOR and tasks --------------------------------------------------------------------
def test_xor():
    data = ds.xor()
    assert data.labels.tolist() == [int(a) ^ int(b) for a, b in data.values]


def test_unknown_task():
    with pytest.raises(ValueError, match="unknown task"):
        ds.load_task("mnist")


# --- encoding -------------------------------------------------------------------------
def test_encoding_maps_values_to_latencies_plus_bias():
    enc = ds.Encoding([0.0, 10.0], [1.0, 20.0], t_early=0.15, t_late=2.0, t_bias=0.9)
    t = enc.encode([[0.0, 10.0], [1.0, 20.0], [0.5, 12.5], [-1.0, 99.0]])
    expected = [[0.15, 0.15, 0.9], [2.0, 2.0, 0.9], [1.075, 0.6125, 0.9], [0.15, 2.0, 0.9]]
    assert np.allclose(t, expected, rtol=0, atol=1e-15)
    assert enc.n_inputs == 3


def test_encoding_round_trip_and_errors():
    enc = ds.Encoding([0, 0], [1, 2], 0.1, 1.5, 0.3)
    back = ds.Encoding.from_dict(enc.to_dict())
    x = np.array([[0.3, 1.7]])
    assert np.array_equal(back.encode(x), enc.encode(x))
    with pytest.raises(ValueError):
        ds.Encoding([0], [0])
    with pytest.raises(ValueError):
        ds.Encoding([0], [1], t_early=1.0, t_late=0.5)
    with pytest.raises(ValueError):
        ds.Encoding.from_dict({"scheme": "rate"})
    with pytest.raises(ValueError):
        enc.encode([[0.1, np.nan]])
    with pytest.raises(ValueError):
        enc.encode([[0.1, 0.2, 0.3]])
