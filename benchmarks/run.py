"""The book's benchmarks: speed and quality of wganlib against the published reference, side by side.

    python benchmarks/run.py                 # everything; rewrites the table in benchmarks/README.md
    python benchmarks/run.py --book          # also time every chapter under nbval
    python benchmarks/run.py --tiny --out X  # a seconds-long smoke run (what `make test` does)

Every timing runs with ``torch.set_num_threads(1)`` (two threads on these machines vary up to 4x),
is repeated ``--repeats`` times, and is reported as a median, with ratios between runs made in the
same process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import baseline_gan_toy as baseline  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
from book_config import notebook_test_env  # noqa: E402

import wganlib  # noqa: E402
from wganlib import data, metrics, models  # noqa: E402

#: The networks of the toy recipe (``wganlib.train.TOY``, train_gan's default for WGAN-GP on
#: low-dimensional data), as chapter 4 trains them; the recipe's settings are train_gan's own.
RECIPE_NETS = {
    "generator_hidden": 256,
    "generator_depth": 4,
    "critic_hidden": 64,
    "critic_depth": 3,
    "latent_dim": 2,
}
#: The recipe's run length on the 25-gaussian grid (benchmarks/recipes.py: 25/25 modes on 5 seeds).
RECIPE_STEPS = 2400
#: The reference's settings expressed for wganlib (same networks, batch, optimiser, lambda).
REFERENCE = {
    "depth": 3,
    "latent_dim": 2,
    "batch_size": 256,
    "n_critic": 5,
    "lr": 1e-4,
    "betas": (0.5, 0.9),
    "penalty_weight": 0.1,
}


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, 1 thread"


def _wganlib_models(hidden: int, depth: int, latent_dim: int, seed: int):
    torch.manual_seed(seed)
    g = models.mlp_generator(latent_dim, 2, hidden=hidden, depth=depth)
    c = models.mlp_critic(2, hidden=hidden, depth=depth)
    return g, c


def _sampler(name: str):
    return lambda n: data.sample(name, n)


def wganlib_step_seconds(width: int, steps: int, loss: str = "wgan-gp", seed: int = 0) -> float:
    """Median seconds per generator step of train_gan (history recorded) at the reference's shape."""
    g, c = _wganlib_models(width, REFERENCE["depth"], REFERENCE["latent_dim"], seed)
    # clipping with RMSProp (no betas, no penalty); the penalised losses with the reference's Adam and lambda
    kw = {"optimizer": "rmsprop"} if loss == "wgan" else {"optimizer": "adam", "betas": REFERENCE["betas"]}
    if wganlib.train.LOSSES[loss].penalty is not None:
        kw["penalty_weight"] = REFERENCE["penalty_weight"]
    h = wganlib.train_gan(
        g, c, _sampler("25gaussians"), steps=steps, loss=loss, n_critic=REFERENCE["n_critic"],
        batch_size=REFERENCE["batch_size"], lr=REFERENCE["lr"], seed=seed, progress=False, preset="paper", **kw,
    )  # fmt: skip
    return median_step_seconds(h)


def median_step_seconds(history) -> float:
    """The median seconds per generator step of a train_gan history, after its first two steps."""
    per_step = np.diff([0.0, *history.seconds])
    return float(np.median(per_step[2:] if len(per_step) > 4 else per_step))


def baseline_step_seconds(width: int, steps: int, seed: int = 1) -> float:
    out = baseline.train("25gaussians", dim=width, steps=steps, seed=seed)
    t = out["step_seconds"]
    return float(np.median(t[2:] if len(t) > 4 else t))


def median_of(fn, repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


def bench_step_time(widths, steps: int, repeats: int) -> list[dict]:
    rows = []
    for w in widths:
        base = median_of(lambda w=w: baseline_step_seconds(w, steps), repeats)
        lib = median_of(lambda w=w: wganlib_step_seconds(w, steps), repeats)
        rows.append({"width": w, "baseline_ms": 1e3 * base, "wganlib_ms": 1e3 * lib, "ratio": lib / base})
    return rows


def bench_penalty_cost(width: int, steps: int, repeats: int) -> dict:
    out = {}
    for loss in ("wgan", "wgan-gp", "wgan-fd"):
        out[loss] = 1e3 * median_of(lambda loss=loss: wganlib_step_seconds(width, steps, loss=loss), repeats)
    return out


class QualityLog:
    """Mode coverage every ``every`` steps on 2,500 samples; evaluation time is not training time."""

    def __init__(self, budget: float, every: int = 250, n: int = 2500, latent_dim: int = 2):
        self.budget, self.every, self.rows = budget, every, []
        self.z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(123))
        self.centres, self.std = data.centres("25gaussians"), data.mode_std("25gaussians")
        self.eval_seconds = 0.0
        self.stopped = None  # the step at which a budget stopped the run, if one did

    def evaluate(self, step: int, generator, train_seconds: float) -> None:
        t0 = time.perf_counter()
        with torch.no_grad():
            mc = metrics.mode_coverage(generator(self.z), self.centres, self.std)
        self.rows.append({"step": step, "seconds": train_seconds, "modes": mc.modes,
                          "hq": mc.high_quality, "rkl": mc.reverse_kl})  # fmt: skip
        self.eval_seconds += time.perf_counter() - t0

    def best_within(self, seconds: float) -> dict | None:
        rows = [r for r in self.rows if r["seconds"] <= seconds]
        return max(rows, key=lambda r: (r["modes"], r["hq"]), default=None)


def quality_baseline(budget: float, every: int, width: int = 512) -> QualityLog:
    log = QualityLog(budget, every)
    state = {"t": 0.0}

    def cb(step, gen):
        log.evaluate(step, gen, state["t"])

    t_start = time.perf_counter()

    # wrap: the baseline reports its own training seconds; reconstruct them at each callback
    def cb_timed(step, gen):
        state["t"] = time.perf_counter() - t_start - log.eval_seconds
        cb(step, gen)

    baseline.train("25gaussians", dim=width, seconds=budget, callback=cb_timed, eval_every=every)
    return log


def _recipe_models(nets: dict, seed: int = 0):
    torch.manual_seed(seed)
    g = models.mlp_generator(
        nets["latent_dim"], 2, hidden=nets["generator_hidden"], depth=nets["generator_depth"]
    )
    c = models.mlp_critic(2, hidden=nets["critic_hidden"], depth=nets["critic_depth"])
    return g, c


def quality_recipe(
    budget: float, every: int, steps: int = RECIPE_STEPS, nets: dict = RECIPE_NETS
) -> QualityLog:
    """train_gan with no training setting (the toy recipe: its rates fall to 0 over ``steps``), seed 0;
    evaluated every ``every`` steps and at the end, stopped early if ``budget`` training seconds pass."""
    log = QualityLog(budget, every, latent_dim=nets["latent_dim"])
    g, c = _recipe_models(nets)
    t_start = time.perf_counter()

    def cb(step, hist):
        trained = time.perf_counter() - t_start - log.eval_seconds
        if (step + 1) % every == 0 or step + 1 == steps or trained >= budget:
            log.evaluate(step + 1, g, trained)
        if trained >= budget and step + 1 < steps:
            log.stopped = step + 1
            return True
        return False

    h = wganlib.train_gan(g, c, _sampler("25gaussians"), steps=steps, seed=0, progress=False, callback=cb)
    if h.settings["preset"] != "toy":
        raise RuntimeError(f"train_gan chose preset {h.settings['preset']!r}, not the toy recipe")
    return log


def recipe_step_seconds(loss: str, steps: int, nets: dict = RECIPE_NETS, seed: int = 0) -> float:
    """Median seconds per generator step of train_gan on the recipe's networks: the recipe itself for
    "wgan-gp", and weight clipping (RMSProp at the recipe's rate, n_critic 5) for "wgan"."""
    g, c = _recipe_models(nets, seed)
    kw = {"optimizer": "rmsprop", "lr": wganlib.train.TOY["lr"], "n_critic": 5} if loss == "wgan" else {"preset": "toy"}
    h = wganlib.train_gan(
        g, c, _sampler("25gaussians"), steps=steps, loss=loss, seed=seed, progress=False, **kw
    )
    return median_step_seconds(h)


def bench_recipe_penalty_cost(steps: int, repeats: int, nets: dict = RECIPE_NETS) -> dict:
    return {loss: 1e3 * median_of(lambda loss=loss: recipe_step_seconds(loss, steps, nets), repeats)
            for loss in ("wgan", "wgan-gp")}  # fmt: skip


def seconds_to_match(log: QualityLog, target: dict | None) -> float | None:
    if target is None:
        return None
    for r in log.rows:
        if r["modes"] >= target["modes"] and r["hq"] >= target["hq"]:
            return r["seconds"]
    return None


def _timed(repeats: int, fn, *args) -> tuple[float, float]:
    times, value = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), float(value)


def _exact(w, x, y) -> float:
    import ot

    return ot.emd2(w, w, ot.dist(x, y, metric="euclidean"), numItermax=10**7)


def _sliced(x, y) -> float:
    import ot

    return ot.sliced_wasserstein_distance(x, y, n_projections=200, p=1, seed=0)


def _sinkhorn(w, x, y, reg) -> float:
    import ot

    return ot.sinkhorn2(w, w, ot.dist(x, y, metric="euclidean"), reg, numItermax=2000)


def bench_transport(sizes, repeats: int) -> list[dict]:
    import ot

    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        x = data.sample("8gaussians", n, generator=torch.Generator().manual_seed(1)).double().numpy()
        y = rng.normal(size=(n, 2))
        w = np.full(n, 1.0 / n)
        cost = ot.dist(x, y, metric="euclidean")

        reg = 0.05 * float(np.median(cost))
        t_exact, exact = _timed(repeats, _exact, w, x, y)
        t_sliced, sliced = _timed(repeats, _sliced, x, y)
        t_sink, sink = _timed(repeats, _sinkhorn, w, x, y, reg)
        rows.append({"n": n, "exact_s": t_exact, "sliced_s": t_sliced, "sinkhorn_s": t_sink, "exact": exact,
                     "sliced_err": sliced / exact - 1, "sinkhorn_err": sink / exact - 1})  # fmt: skip
    return rows


def bench_book() -> list[dict]:
    rows = []
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        t0 = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider", str(nb)],
            cwd=ROOT, capture_output=True, text=True, env=notebook_test_env(),  # make notebooks' kernel profile (no bars); one at a time
        )  # fmt: skip
        rows.append({"chapter": nb.name, "seconds": time.perf_counter() - t0, "passed": res.returncode == 0})
    return rows


def fmt_quality(r: dict | None) -> str:
    if r is None:
        return "no checkpoint"
    return f"{r['modes']}/25 modes, {100 * r['hq']:.0f}% HQ, rKL {r['rkl']:.2f} (step {r['step']})"


def report(res: dict, args) -> str:
    lines = [
        f"Measured {res['date']} on: {res['machine']}.",
        f"Command: `{res['command']}` (repeats: {args.repeats}, medians).",
        "",
        "### Step time: wganlib.train_gan against the reference loop",
        "",
        "Batch 256, 5 critic steps, lambda 0.1, 3 hidden layers. Every time below is in ms per generator step: "
        f"the median over the steps of a {args.steps}-step run after its first two, then the median of "
        f"{args.repeats} runs.",
        "",
        "| width | reference (ms) | wganlib (ms) | wganlib / reference |",
        "|---|---|---|---|",
    ]
    for r in res["step_time"]:
        lines.append(f"| {r['width']} | {r['baseline_ms']:.1f} | {r['wganlib_ms']:.1f} | {r['ratio']:.2f} |")
    pc = res["penalty"]
    lines += [
        "",
        f"### Penalty cost (wganlib, width {args.penalty_width})",
        "",
        "| loss | ms per generator step | ratio to WGAN (clipping) |",
        "|---|---|---|",
    ]
    for loss, ms in pc.items():
        lines.append(f"| {loss} | {ms:.1f} | {ms / pc['wgan']:.2f} |")
    rc = res["recipe_penalty"]
    lines += [
        "",
        "#### The same with the recipe's networks",
        "",
        "With the recipe's networks (generator {generator_depth} x {generator_hidden}, critic {critic_depth} x "
        "{critic_hidden}, latent size {latent_dim}): the recipe against weight clipping (RMSProp at the "
        "recipe's rate, 5 critic steps).".format(**res["recipe_nets"]),
        "",
        "| loss | ms per generator step | ratio to WGAN (clipping) |",
        "|---|---|---|",
    ]
    for loss, ms in rc.items():
        lines.append(f"| {loss} | {ms:.1f} | {ms / rc['wgan']:.2f} |")
    q = res["quality"]
    lines += [
        "",
        "### Time to quality on the 25-gaussian grid",
        "",
        f"Mode coverage on 2,500 samples every {args.every} steps; training seconds (evaluation excluded). The "
        f"recipe: `train_gan` with no training setting (the toy recipe, its rates falling to 0 over "
        f"{res['recipe_steps']:,} steps), seed 0, on the networks above.",
        "",
        f"| run | best within {args.short:.0f} s | best within {args.long:.0f} s |",
        "|---|---|---|",
        f"| reference (width 512, Adam 1e-4) | {fmt_quality(q['baseline_short'])} | {fmt_quality(q['baseline_long'])} |",
        f"| the recipe | {fmt_quality(q['recipe_short'])} | {fmt_quality(q['recipe_long'])} |",
        "",
    ]
    if q["recipe_rows"]:
        last = q["recipe_rows"][-1]
        lines.append(
            f"The recipe's last checkpoint: {fmt_quality(last)}, after {last['seconds']:.1f} s of training."
        )
        if q["recipe_stopped"] is not None:
            lines.append(
                f"The run stopped at the {args.long:.0f}-second budget after {q['recipe_stopped']:,} of "
                f"{res['recipe_steps']:,} steps, before its learning rates had fallen to 0."
            )
    match = q["seconds_to_match"]
    if match is None:
        lines.append(f"The recipe did not match the reference's {args.long:.0f}-second quality.")
    else:
        lines.append(
            f"The recipe matched the reference's {args.long:.0f}-second quality after {match:.1f} s: "
            f"{args.long / max(match, 1e-9):.1f}x sooner."
        )
    lines += [
        "",
        "### Exact transport against its approximations (POT)",
        "",
        "| n per side | exact emd2 (s) | sliced, 200 projections (s) | Sinkhorn (s) | sliced error | Sinkhorn error |",
        "|---|---|---|---|---|---|",
    ]
    for r in res["transport"]:
        lines.append(
            f"| {r['n']} | {r['exact_s']:.3f} | {r['sliced_s']:.3f} | {r['sinkhorn_s']:.3f} | "
            f"{100 * r['sliced_err']:+.1f}% | {100 * r['sinkhorn_err']:+.1f}% |"
        )
    if res.get("book"):
        total = sum(r["seconds"] for r in res["book"])
        lines += ["", "### The whole book under nbval (this CPU, default threads)", "",
                  "| chapter | seconds | passed |", "|---|---|---|"]  # fmt: skip
        lines += [f"| {r['chapter']} | {r['seconds']:.0f} | {r['passed']} |" for r in res["book"]]
        lines.append(f"| **total** | **{total:.0f}** | |")
    return "\n".join(lines) + "\n"


def write_readme(text: str, path: Path) -> None:
    start, end = "<!-- results start -->", "<!-- results end -->"
    body = path.read_text() if path.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in body:
        body += f"\n{start}\n{end}\n"
    head, rest = body.split(start, 1)
    tail = rest.split(end, 1)[1]
    path.write_text(f"{head}{start}\n{text}{end}{tail}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30, help="generator steps per timing run")
    parser.add_argument("--short", type=float, default=60.0, help="first time budget, seconds")
    parser.add_argument("--long", type=float, default=300.0, help="second time budget, seconds")
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--penalty-width", type=int, default=512)
    parser.add_argument("--recipe-steps", type=int, default=RECIPE_STEPS, help="the recipe's run on the grid")
    parser.add_argument("--book", action="store_true", help="also time every chapter under nbval")
    parser.add_argument("--out", type=Path, default=HERE / "README.md")
    args = parser.parse_args(argv)
    widths, sizes = [512, 128], [250, 500, 1000, 2000]
    if args.tiny:
        # long: enough seconds for a few checkpoints even on a loaded machine (1 s gave none under load)
        args.repeats, args.steps, args.short, args.long, args.every = 1, 3, 0.5, 3.0, 2
        args.penalty_width, widths, sizes, args.recipe_steps = 32, [32], [50], 6
    torch.set_num_threads(1)
    res = {
        "date": dt.date.today().isoformat(),
        "machine": machine(),
        "command": "python benchmarks/run.py"
        + (" --book" if args.book else "")
        + (f" --recipe-steps {args.recipe_steps}" if args.recipe_steps != RECIPE_STEPS and not args.tiny else "")
        + (" --tiny" if args.tiny else ""),
    }
    print("step time ...", flush=True)
    res["step_time"] = bench_step_time(widths, args.steps, args.repeats)
    print("penalty cost ...", flush=True)
    res["penalty"] = bench_penalty_cost(args.penalty_width, args.steps, args.repeats)
    nets = {**RECIPE_NETS, "generator_hidden": 16, "critic_hidden": 16} if args.tiny else RECIPE_NETS
    print("penalty cost with the recipe's networks ...", flush=True)
    res["recipe_penalty"] = bench_recipe_penalty_cost(args.steps, args.repeats, nets)
    print("time to quality ...", flush=True)
    base = quality_baseline(args.long, args.every, width=32 if args.tiny else 512)
    res["recipe_nets"], res["recipe_steps"] = nets, args.recipe_steps
    recipe = quality_recipe(args.long, args.every, args.recipe_steps, nets)
    target = base.best_within(args.long)
    res["quality"] = {
        "baseline_short": base.best_within(args.short),
        "baseline_long": target,
        "recipe_short": recipe.best_within(args.short),
        "recipe_long": recipe.best_within(args.long),
        "seconds_to_match": seconds_to_match(recipe, target),
        "baseline_rows": base.rows,
        "recipe_rows": recipe.rows,
        "recipe_stopped": recipe.stopped,
    }
    print("exact transport ...", flush=True)
    res["transport"] = bench_transport(sizes, args.repeats)
    if args.book:
        print("the whole book ...", flush=True)
        torch.set_num_threads(os.cpu_count() or 1)
        res["book"] = bench_book()
    text = report(res, args)
    print(text)
    write_readme(text, args.out)
    return res


if __name__ == "__main__":
    main()
