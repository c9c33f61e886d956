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
    # the recipe (train_gan with no training setting) is timed against clipping and trained to its last step
    assert set(res["recipe_penalty"]) == {"wgan", "wgan-gp"} and "With the recipe's networks" in text
    assert res["quality"]["recipe_rows"][-1]["step"] == res["recipe_steps"]


def test_recipe_search_runs_and_tabulates(tmp_path):
    import recipes

    threads = torch.get_num_threads()
    try:
        runs = [recipes.run("book+ema+decay", name, 0, 4, 2) for name in ("25gaussians", "cube-3d")]
        runs.append(recipes.run("ema+decay+lazy4", "8gaussians", 0, 2, 2))
        runs.append(recipes.run("recipe", "swissroll", 0, 2, 2))
    finally:
        torch.set_num_threads(threads)
    assert [len(r["rows"]) for r in runs] == [2, 2, 1, 1] and "ema" in runs[0]["rows"][-1]
    assert runs[3]["rows"][-1]["raw"][0] is None and runs[3]["rows"][-1]["raw"][1] > 1  # W1 / floor, untrained
    rows = recipes.summary(runs)
    assert {(r["data"], r["generator"]) for r in rows} >= {("25gaussians", "raw"), ("cube-3d", "ema")}
    readme = tmp_path / "README.md"
    readme.write_text("# Benchmarks\n")
    recipes.write_readme(recipes.table(rows), readme)
    text = readme.read_text()
    assert "<!-- recipes start -->" in text and "| book+ema+decay | cube-3d | ema | 4 | 1 |" in text
    assert "W1 / floor" in text and "| recipe | swissroll | raw | 2 | 1 |" in text


def test_w1_quality_of_real_samples_is_near_one():
    import recipes

    sample, centres, _, _ = recipes.dataset("swissroll")
    assert centres is None
    gen = torch.Generator().manual_seed(0)
    reference, floor_sample = sample(recipes.W1_N, gen), sample(recipes.W1_N, gen)
    from wganlib import metrics

    floor = metrics.wasserstein1(floor_sample, reference)
    assert 0.7 < recipes.w1_quality(sample(recipes.W1_N, gen), reference, floor) < 1.4
    assert recipes.w1_quality(0.5 * sample(recipes.W1_N, gen), reference, floor) > 3  # a shrunken roll is far off


def test_the_searched_recipe_is_train_gans_toy_preset():
    import recipes

    from wganlib.train import TOY

    r = recipes.setting("recipe")
    assert (r["lr"], r["lr_g"], r["betas"], r["lam"], r["n_critic"], r["decay"]) == (
        TOY["lr"], TOY["lr"], TOY["betas"], TOY["penalty_weight"], TOY["n_critic"], TOY["lr_decay"])  # fmt: skip
    assert TOY["optimizer"] == "adam" and r["batch"] == 256  # train_gan's default batch size


def test_extra_mixtures_are_covered_by_their_own_samples():
    import recipes

    for name in recipes.EXTRA:
        sample, centres, weights, std = recipes.dataset(name)
        x = sample(4000, torch.Generator().manual_seed(0))
        modes, hq = recipes.coverage(x, centres, weights, std)
        assert modes == len(centres) and hq > 0.85, (name, modes, hq)
        assert recipes.coverage(x[:, :] * 0 + centres[0], centres, weights, std)[0] == 1  # one point: one mode
