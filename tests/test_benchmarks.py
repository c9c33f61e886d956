"""The benchmark code runs (on a tiny size), so it cannot rot; no timing is asserted here."""

import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import baseline_gan_toy  # noqa: E402
import run  # noqa: E402


def test_reference_data_matches_wganlib_scaling():
    batch = next(baseline_gan_toy.inf_train_gen("25gaussians", 1000, np.random.RandomState(0)))
    from wganlib import data, metrics

    mc = metrics.mode_coverage(batch, data.centres("25gaussians"), data.mode_std("25gaussians"))
    assert mc.modes == 25 and mc.high_quality > 0.98
    batch = next(baseline_gan_toy.inf_train_gen("8gaussians", 1000, np.random.RandomState(0)))
    mc = metrics.mode_coverage(batch, data.centres("8gaussians"), data.mode_std("8gaussians"))
    assert mc.modes == 8 and mc.high_quality > 0.98


def test_tiny_benchmark_run(tmp_path):
    threads = torch.get_num_threads()
    try:
        res = run.main(["--tiny", "--out", str(tmp_path / "README.md")])
    finally:
        torch.set_num_threads(threads)
    text = (tmp_path / "README.md").read_text()
    assert "<!-- results start -->" in text and "Step time" in text and "Exact transport" in text
    assert res["step_time"][0]["ratio"] > 0 and res["quality"]["baseline_rows"]
