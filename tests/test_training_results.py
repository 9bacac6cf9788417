"""The README's Yin-Yang rows are the committed ten-seed results (``bench/train_results.py
--json``): mean, sample standard deviation, lowest and highest seed, to the digits shown."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

ROWS = {
    "test_accuracy": "standard test set (seed 40, 1,000 samples)",
    "fresh_test_accuracy": "fresh set (seed 20261201, 10,000 samples, used nowhere else)",
}


@pytest.mark.parametrize("key", sorted(ROWS))
def test_readme_yinyang_row_is_the_ten_seed_results(key):
    runs = json.loads((ROOT / "docs" / "yinyang_ten_seeds.json").read_text())["yinyang"]
    acc = 100 * np.array([r[key] for r in runs])
    assert len(runs) == 10 and len({r["seed"] for r in runs}) == 10
    readme = (ROOT / "README.md").read_text()
    row = re.search(
        rf"\| Yin-Yang \| 5-160-3 \| 10 \| {re.escape(ROWS[key])} \| "
        r"([\d.]+) \+- ([\d.]+) % \(([\d.]+) to ([\d.]+)\) \|",
        readme,
    )
    assert row, f"no README row for {ROWS[key]}"
    mean, sd, lo, hi = map(float, row.groups())
    assert mean == pytest.approx(acc.mean(), abs=0.005)
    assert sd == pytest.approx(acc.std(ddof=1), abs=0.005)
    assert (lo, hi) == pytest.approx((acc.min(), acc.max()), abs=0.05)
