"""The recipe search for the toy sets (issue 12): settings compared over seeds, never on one.

    python benchmarks/recipes.py --data 25gaussians --seeds 5 --steps 2400 --configs book book+ema
    python benchmarks/recipes.py --list

Each run trains one configuration on one seed with wganlib's own ``critic_step`` and
``generator_step`` (one thread), keeps an exponential moving average (EMA) of the generator's
weights when the configuration asks for one, and evaluates mode coverage on 2,500 samples of the
raw and of the averaged generator every ``--every`` steps (evaluation time is not counted as
training time). One JSON line per run goes to ``--out``; the summary prints, per configuration, the
median and the worst seed at the end and the training seconds. Judge by the median and the worst
seed, never the best.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import wganlib  # noqa: E402
from wganlib import data, metrics, models  # noqa: E402
from wganlib.train import TOY, _update_average, critic_step, generator_step, make_optimizer  # noqa: E402

#: chapter 4's settings before the recipe: the search's starting point
BASE = dict(g_hidden=256, g_depth=4, c_hidden=64, c_depth=3, latent=2, batch=256, n_critic=5, lr=1e-3,
            lr_g=1e-3, betas=(0.5, 0.9), lam=1.0, ema=None, decay=None, warmup=0, lazy=1)  # fmt: skip

CONFIGS = {
    "book": {},
    "book+ema": dict(ema=0.999),
    "book+ema.99": dict(ema=0.99),
    "book+decay": dict(decay="linear"),
    "book+ema+decay": dict(ema=0.999, decay="linear"),
    "book+ema.99+decay": dict(ema=0.99, decay="linear"),
    "ema+decay+b0": dict(ema=0.999, decay="linear", betas=(0.0, 0.9)),
    "ema+decay+lam.3": dict(ema=0.999, decay="linear", lam=0.3),
    "ema+decay+lam3": dict(ema=0.999, decay="linear", lam=3.0),
    "ema+decay+c128": dict(ema=0.999, decay="linear", c_hidden=128),
    "ema+decay+lr2e-3": dict(ema=0.999, decay="linear", lr=2e-3, lr_g=2e-3),
    "ema+decay+batch512": dict(ema=0.999, decay="linear", batch=512),
    "ema+decay+nc3": dict(ema=0.999, decay="linear", n_critic=3),
    "ema+decay+g3x256": dict(ema=0.999, decay="linear", g_depth=3),
    "ema+decay+warmup": dict(ema=0.999, decay="linear", warmup=200),
    "ema+decay+lazy4": dict(ema=0.999, decay="linear", lazy=4),
    "fast+b0": dict(ema=0.99, decay="linear", lr=2e-3, lr_g=2e-3, betas=(0.0, 0.9)),
    # train_gan's toy preset (wganlib.train.TOY), which the search above led to; EMA is only evaluated
    "recipe": dict(ema=0.99, decay=TOY["lr_decay"], lr=TOY["lr"], lr_g=TOY["lr"], betas=TOY["betas"],
                   lam=TOY["penalty_weight"], n_critic=TOY["n_critic"]),  # fmt: skip
    "fast+b0+defaultnets": dict(ema=0.99, decay="linear", lr=2e-3, lr_g=2e-3, betas=(0.0, 0.9), g_depth=3,
                                c_hidden=256),
    "fast+b0+constant": dict(ema=0.99, lr=2e-3, lr_g=2e-3, betas=(0.0, 0.9)),
    "fast+b0+lazy4": dict(ema=0.99, decay="linear", lr=2e-3, lr_g=2e-3, betas=(0.0, 0.9), lazy=4),
    "fast+ttur": dict(ema=0.99, decay="linear", lr=2e-3, lr_g=1e-3),
    "fast+lam3": dict(ema=0.99, decay="linear", lr=2e-3, lr_g=2e-3, lam=3.0),
    "fast+lazy4": dict(ema=0.99, decay="linear", lr=2e-3, lr_g=2e-3, lazy=4),
    "ema+decay+lazy2": dict(ema=0.999, decay="linear", lazy=2),
}


# the recipe at half the batch: cheaper steps, to fit the grid's 2,400 steps into the 60-s goal
CONFIGS["recipe+batch128"] = dict(CONFIGS["recipe"], batch=128)

def _plain_critic_step(g, c, real, opt, latent):
    """A critic update without a penalty (the steps between two penalised ones under lazy regularisation)."""
    with torch.no_grad():
        fake = g(torch.randn(len(real), latent))
    loss = c(fake).mean() - c(real).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def setting(name: str) -> dict:
    return {**BASE, **CONFIGS[name]}


def _extra_mixtures() -> dict:
    """Mixtures the book never uses (issue 12's check that a recipe generalises): name -> (centres
    (k, d), weights (k,), std)."""
    ring = [(np.cos(a), np.sin(a)) for a in np.arange(8) * np.pi / 4]
    cube = np.array(np.meshgrid(*[[-1.0, 1.0]] * 3, indexing="ij")).reshape(3, -1).T
    wide = np.array(np.meshgrid(*[[-4.0, 0.0, 4.0]] * 2, indexing="ij")).reshape(2, -1).T
    five = np.random.default_rng(5).uniform(-1.5, 1.5, size=(10, 5))
    unequal = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05])
    return {
        "ring+centre": (np.array([*ring, (0.0, 0.0)]), np.full(9, 1 / 9), 0.05),
        "unequal-ring": (np.array(ring), unequal, 0.05),
        "wide-grid": (wide, np.full(9, 1 / 9), 0.2),
        "cube-3d": (cube, np.full(8, 1 / 8), 0.05),
        "mixture-5d": (five, np.full(10, 1 / 10), 0.05),
    }


EXTRA = _extra_mixtures()


def dataset(name: str):
    """(sample(n, generator), centres (k, d) tensor, weights (k,) array, std) of a book mixture or an extra one."""
    if name in EXTRA:
        centres, weights, std = EXTRA[name]
        c = torch.tensor(centres, dtype=torch.float32)
        w = torch.tensor(weights, dtype=torch.float64)

        def sample(n, generator):
            idx = torch.multinomial(w, n, replacement=True, generator=generator)
            return c[idx] + std * torch.randn(n, c.shape[1], generator=generator)

        return sample, c, np.asarray(weights), std
    def book_sample(n, generator):
        return data.sample(name, n, generator=generator)

    if name in CONTINUOUS:  # no modes: quality is the exact W1 to real samples (w1_quality)
        return book_sample, None, None, None
    c = data.centres(name)
    return book_sample, c, np.full(len(c), 1 / len(c)), data.mode_std(name)


#: data sets without modes (the swiss roll): judged by W1 to real samples against the real-to-real floor
CONTINUOUS = ("swissroll",)
W1_N = 1000


def w1_quality(samples: torch.Tensor, reference: torch.Tensor, floor: float) -> float:
    """The exact W1 between ``W1_N`` samples and ``W1_N`` real points, divided by ``floor`` (the W1
    between two independent real samples of that size): 1 is as close as a fresh real sample."""
    return metrics.wasserstein1(samples[:W1_N], reference) / floor


def coverage(samples: torch.Tensor, centres: torch.Tensor, weights: np.ndarray, std: float):
    """(modes covered, high-quality fraction) from :func:`wganlib.metrics.mode_coverage`, with PacGAN's
    rule per weight: a mode is covered when it holds at least 20% of its expected share of the samples
    within 3 std of their nearest centre."""
    mc = metrics.mode_coverage(samples, centres, std)
    need = np.maximum(1, np.round(0.2 * len(samples) * weights))
    return int((np.array(mc.counts) >= need).sum()), mc.high_quality


def run(config: str, dataset_name: str, seed: int, steps: int, every: int) -> dict:
    torch.set_num_threads(1)
    s = setting(config)
    torch.manual_seed(wganlib.seed(seed))
    sample, centres, weights, std = dataset(dataset_name)
    if centres is None:  # fixed real points for W1, and the floor: W1 between two real samples
        fixed = wganlib.generator(4321)
        reference = sample(W1_N, fixed)
        floor = metrics.wasserstein1(sample(W1_N, fixed), reference)
    dim = (centres if centres is not None else reference).shape[1]
    g = models.mlp_generator(s["latent"], dim, hidden=s["g_hidden"], depth=s["g_depth"])
    c = models.mlp_critic(dim, hidden=s["c_hidden"], depth=s["c_depth"])
    average = copy.deepcopy(g) if s["ema"] else None
    opt_c = make_optimizer("adam", c.parameters(), s["lr"], s["betas"])
    opt_g = make_optimizer("adam", g.parameters(), s["lr_g"], s["betas"])
    batches = wganlib.generator(1000 + seed)
    z_eval = torch.randn(2500, s["latent"], generator=torch.Generator().manual_seed(123))
    rows, train_seconds = [], 0.0

    def factor(step: int) -> float:
        f = 1.0
        if s["warmup"]:
            f *= min(1.0, (step + 1) / s["warmup"])
        if s["decay"] == "linear":
            f *= 1.0 - step / steps
        return f

    def evaluate(step: int) -> None:
        row = {"step": step, "seconds": train_seconds}
        for label, model in (("raw", g), ("ema", average)):
            if model is None:
                continue
            with torch.no_grad():
                x = model(z_eval)
            if centres is None:
                row[label] = (None, round(w1_quality(x, reference, floor), 4))
            else:
                modes, hq = coverage(x, centres, weights, std)
                row[label] = (modes, round(hq, 4))
        rows.append(row)

    torch.manual_seed(wganlib.seed(seed) + 1)
    for step in range(steps):
        t0 = time.perf_counter()
        f = factor(step)
        for opt, lr in ((opt_c, s["lr"]), (opt_g, s["lr_g"])):
            for group in opt.param_groups:
                group["lr"] = lr * f
        for k in range(s["n_critic"]):
            real = sample(s["batch"], batches)
            # lazy regularisation: the penalty at every lazy-th critic step, its weight times lazy
            if (step * s["n_critic"] + k) % s["lazy"] == 0:
                critic_step(g, c, real, opt_c, loss="wgan-gp", penalty_weight=s["lam"] * s["lazy"])
            else:
                _plain_critic_step(g, c, real, opt_c, s["latent"])
        generator_step(g, c, opt_g, loss="wgan-gp", batch_size=s["batch"])
        if average is not None:  # train_gan(ema=...)'s average, the same schedule
            _update_average(average, g, min(s["ema"], (step + 1) / (step + 10)))
        train_seconds += time.perf_counter() - t0
        if (step + 1) % every == 0:
            evaluate(step + 1)
    return {"config": config, "data": dataset_name, "seed": seed, "steps": steps, "rows": rows}


def summary(results: list[dict]) -> list[dict]:
    """Per configuration, data set and generator (raw or averaged): the median and the worst seed at
    the last checkpoint, and the median training seconds."""
    by = {}
    for r in results:
        by.setdefault((r["config"], r["data"], r["steps"]), []).append(r)
    rows = []
    for (config, name, steps), runs in by.items():
        for label in ("raw", "ema"):
            if label not in runs[0]["rows"][-1]:
                continue
            ends = [r["rows"][-1][label] for r in runs]
            modes, hq = [e[0] for e in ends], [e[1] for e in ends]
            seconds = statistics.median(r["rows"][-1]["seconds"] for r in runs)
            if modes[0] is None:  # a continuous set: hq holds W1 / floor, lower is better
                rows.append(dict(config=config, data=name, generator=label, steps=steps, seeds=len(runs),
                                 w1_median=statistics.median(hq), w1_worst=max(hq), w1=hq, seconds=seconds))
                continue
            rows.append(dict(config=config, data=name, generator=label, steps=steps, seeds=len(runs),
                             modes_median=statistics.median(modes), modes_worst=min(modes),
                             hq_median=statistics.median(hq), hq_worst=min(hq), modes=modes, hq=hq,
                             seconds=seconds))  # fmt: skip
    return rows


def table(rows: list[dict]) -> str:
    continuous = [r for r in rows if "w1" in r]
    mixtures = [r for r in rows if "w1" not in r]
    lines = []
    if mixtures:
        lines += ["| settings | data | generator | steps | seeds | modes: median (worst) | HQ: median (worst) "
                  "| modes per seed | s (median) |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in mixtures:
        lines.append(
            f"| {r['config']} | {r['data']} | {r['generator']} | {r['steps']} | {r['seeds']} "
            f"| {r['modes_median']:g} ({r['modes_worst']}) | {100 * r['hq_median']:.0f}% ({100 * r['hq_worst']:.0f}%) "
            f"| {', '.join(map(str, r['modes']))} | {r['seconds']:.0f} |"
        )
    if continuous:
        lines += [""] if lines else []
        lines += ["Data without modes: the exact W1 between 1,000 generated and 1,000 real points, divided by "
                  "the W1 between two real samples of that size (1: as close as fresh real data).", "",
                  "| settings | data | generator | steps | seeds | W1 / floor: median (worst) | per seed | s (median) |",
                  "|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for r in continuous:
            lines.append(
                f"| {r['config']} | {r['data']} | {r['generator']} | {r['steps']} | {r['seeds']} "
                f"| {r['w1_median']:.2f} ({r['w1_worst']:.2f}) | {', '.join(f'{v:.2f}' for v in r['w1'])} "
                f"| {r['seconds']:.0f} |"
            )
    return "\n".join(lines)


def write_readme(text: str, path: Path = ROOT / "benchmarks" / "README.md") -> None:
    start, end = "<!-- recipes start -->", "<!-- recipes end -->"
    body = path.read_text()
    if start not in body:
        body = body.rstrip("\n") + f"\n\n{start}\n{end}\n"
    head, rest = body.split(start, 1)
    path.write_text(f"{head}{start}\n{text}\n{end}{rest.split(end, 1)[1]}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--configs", nargs="+", default=["book"])
    p.add_argument("--data", default="25gaussians")
    p.add_argument("--seeds", type=int, default=5, help="how many seeds")
    p.add_argument("--start", type=int, default=0, help="the first seed (seeds start, start + 1, ...)")
    p.add_argument("--steps", type=int, default=2400)
    p.add_argument("--every", type=int, default=400)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default="/tmp/recipes.jsonl")
    p.add_argument("--list", action="store_true", help="print the configurations and exit")
    p.add_argument("--table", nargs="+", metavar="JSONL", help="print the table of these results and exit")
    p.add_argument("--readme", action="store_true", help="write the table into benchmarks/README.md")
    a = p.parse_args()
    if a.list:
        for k in CONFIGS:
            print(k, setting(k))
        return
    if a.table:
        results = [json.loads(line) for f in a.table for line in open(f) if line.strip()]
        text = table(summary(results))
        print(text)
        if a.readme:
            write_readme(text)
        return
    tasks = [(c, a.data, s, a.steps, a.every) for c in a.configs for s in range(a.start, a.start + a.seeds)]
    results = []
    with ProcessPoolExecutor(a.jobs) as pool, open(a.out, "a") as out:
        for r in pool.map(run, *zip(*tasks, strict=True)):
            out.write(json.dumps(r) + "\n")
            out.flush()
            results.append(r)
    print(table(summary(results)))


if __name__ == "__main__":
    main()
