"""Chapter 4's study of the toy recipe: ``train_gan`` with no training setting, on the book's three toy
sets, five seeds each, with checkpoints along the way.

The grid needs 2,400 generator steps, about two minutes a seed on one CPU thread: too long to train
over several seeds inside the chapter. ``benchmarks/toy_study.py`` (``make toy-study``) runs
:func:`run` for every set and seed and writes :func:`study_path`, a JSON file inside the package that
chapter 4 reads. The file records :func:`fingerprint`, a hash of the code that trains and measures,
so that a study made by other code cannot pass for this one (the chapter and a unit test check it).

Each run: chapter 4's recipe networks (generator 4 x 256 from a 2-D latent, critic 3 x 64),
``train_gan(generator, critic, sample, steps=STEPS[name], seed=seed)`` with no other setting (so
``preset="auto"`` picks ``TOY``), and every ``EVERY`` steps, on fixed evaluation noise and fixed real
points: the modes covered and the high-quality fraction (:func:`wganlib.metrics.mode_coverage`, 2,500
samples) and the exact W1 of 1,000 generated points to 1,000 real ones, divided by the W1 between two
fresh real samples of that size and the same real points (the median over five draws: the sampling
floor, so that 1 means about as close as fresh real data; values near 1, or a little below, are
within sampling noise).
"""

from __future__ import annotations

import json
import statistics
import time

import torch

from . import data, metrics, models, train
from ._fingerprint import code_fingerprint
from ._helpers import positive_int, seed_value
from .runtime import preserved_rng

#: generator steps per data set: the grid is the hardest and gets the longest run
STEPS = {"8gaussians": 800, "25gaussians": 2400, "swissroll": 1200}
SEEDS = (0, 1, 2, 3, 4)
#: chapter 4's recipe networks
NETS = dict(latent_dim=2, g_hidden=256, g_depth=4, c_hidden=64, c_depth=3)
EVERY = 200
EVAL_N, W1_N, KEEP = 2500, 1000, 500
FLOOR_DRAWS = 5


def run(name: str, seed: int, steps: int | None = None, every: int = EVERY, device=None) -> dict:
    """Train one seed on ``name`` with ``train_gan``'s defaults; return its checkpoints and final samples.

    ``steps`` defaults to ``STEPS[name]``. Checkpoints hold the step, the training seconds so far
    (evaluation excluded), the modes and the high-quality fraction (None on the swiss roll, which has
    no modes) and W1 / floor. ``samples`` holds ``KEEP`` generated points at the end (three decimals).
    ``device`` (default: the CPU) is where the networks train: the evaluation noise is drawn on the CPU
    and moved there, the generated points come back to the CPU to be measured against real points drawn
    on the CPU, and the caller's random state is left as it was. The committed study
    ran on the CPU, one thread a run: another device, thread count or torch draws other random
    numbers, so a run of your own will differ from the study's seed by seed.
    """
    if name not in STEPS:
        raise ValueError(f"unknown data set {name!r}; the study covers {', '.join(STEPS)}")
    steps = STEPS[name] if steps is None else positive_int(steps, "steps")
    every = positive_int(every, "every")
    device = torch.device("cpu") if device is None else torch.device(device)
    with preserved_rng():
        return _run(name, seed_value(seed), steps, every, device)


def _floor(name: str, reference: torch.Tensor, generator: torch.Generator) -> float:
    """The sampling floor: the median W1 between ``W1_N`` fresh real points and ``reference``, over
    ``FLOOR_DRAWS`` draws (one draw alone varies by tens of percent on the mixtures)."""
    return statistics.median(metrics.wasserstein1(data.sample(name, W1_N, generator=generator), reference)
                             for _ in range(FLOOR_DRAWS))  # fmt: skip


def _run(name: str, seed: int, steps: int, every: int, device: torch.device) -> dict:
    fixed = torch.Generator().manual_seed(10_000 + seed)  # evaluation noise and real points, per seed
    z_eval = torch.randn(EVAL_N, NETS["latent_dim"], generator=fixed).to(device)
    reference = data.sample(name, W1_N, generator=fixed)
    floor = _floor(name, reference, fixed)
    has_modes = name != "swissroll"
    torch.manual_seed(seed)  # the networks' initial weights
    generator = models.mlp_generator(NETS["latent_dim"], 2, hidden=NETS["g_hidden"], depth=NETS["g_depth"])
    critic = models.mlp_critic(2, hidden=NETS["c_hidden"], depth=NETS["c_depth"])
    generator, critic = generator.to(device), critic.to(device)
    checkpoints, clock = [], {"seconds": 0.0, "since": time.perf_counter()}

    def evaluate(step: int) -> dict:
        with torch.no_grad():
            x = generator(z_eval).cpu()
        row = {"step": step, "seconds": round(clock["seconds"], 2), "modes": None, "high_quality": None,
               "w1_over_floor": round(metrics.wasserstein1(x[:W1_N], reference) / floor, 4)}  # fmt: skip
        if has_modes:
            cov = metrics.mode_coverage(x, data.centres(name), data.mode_std(name))
            row.update(modes=cov.modes, high_quality=round(cov.high_quality, 4))
        return row

    def checkpoint(step, history):
        if (step + 1) % every == 0 or step + 1 == steps:
            clock["seconds"] += time.perf_counter() - clock["since"]
            checkpoints.append(evaluate(step + 1))
            clock["since"] = time.perf_counter()

    history = train.train_gan(generator, critic, lambda n: data.sample(name, n, device=device), steps=steps,
                              seed=seed, progress=False, callback=checkpoint)  # fmt: skip
    with torch.no_grad():
        samples = generator(z_eval[:KEEP]).cpu()
    settings = {k: list(v) if isinstance(v, tuple) else v for k, v in history.settings.items()}
    return {"data": name, "seed": seed, "steps": steps, "settings": settings, "checkpoints": checkpoints,
            "samples": [[round(float(a), 3), round(float(b), 3)] for a, b in samples.tolist()]}  # fmt: skip


#: what :func:`fingerprint` hashes: (file of the package, top-level names or None for the whole file)
FINGERPRINT_PARTS = [
    ("toy_study.py", ("STEPS", "SEEDS", "NETS", "EVERY", "EVAL_N", "FLOOR_DRAWS", "run", "_floor", "_run")),
    ("train.py", None), ("losses.py", None), ("penalties.py", None), ("data.py", None), ("_helpers.py", None),
    ("models.py", ("NORMS", "ACTIVATIONS", "mlp_generator", "mlp_critic", "_activation", "_check_sizes")),
    ("runtime.py", ("preserved_rng",)),
    ("metrics.py", ("ModeCoverage", "mode_coverage", "wasserstein1")),
]  # fmt: skip


def fingerprint() -> str:
    """A short hash of the code that trains and measures the study (:mod:`wganlib._fingerprint`):
    this module's settings and run functions, the whole of ``train.py`` (``train_gan``, the recipe
    ``TOY``), ``losses.py``, ``penalties.py``, ``data.py`` and ``_helpers.py``, the MLP builders, the
    random-state guard and the two measures. Comments, docstrings and blank lines do not count. A
    change to any of these needs ``make toy-study``."""
    return code_fingerprint(FINGERPRINT_PARTS)


def study_path():
    """Where the committed study lies (inside the package, so that it is there in Colab too)."""
    from importlib.resources import files

    return files("wganlib") / "results" / "toy_study.json"


def load(path=None) -> dict:
    """The committed study (or the one at ``path``): ``{"fingerprint", "torch", "made", "runs"}``, each
    run as :func:`run` returns it. Raises ``ValueError`` when the file is not a complete study of this
    module's settings (every set and seed, every run to ``STEPS[name]`` with a checkpoint every
    ``EVERY`` steps), as a smoke run of ``benchmarks/toy_study.py --steps`` would not be."""
    source = study_path() if path is None else path
    try:
        study = json.loads(source.read_text() if hasattr(source, "read_text") else open(source).read())
    except FileNotFoundError:
        raise FileNotFoundError(f"no study at {source}: run make toy-study (benchmarks/toy_study.py)") from None
    try:
        found = sorted((r["data"], r["seed"]) for r in study["runs"])
        wanted = sorted((name, s) for name in STEPS for s in SEEDS)
        if found != wanted:
            raise ValueError(f"it holds runs {found}, not every set of {list(STEPS)} for seeds {SEEDS}")
        for r in study["runs"]:
            steps = [c["step"] for c in r["checkpoints"]]
            expected = list(range(EVERY, STEPS[r["data"]] + 1, EVERY))
            expected += [STEPS[r["data"]]] if STEPS[r["data"]] % EVERY else []
            if r["steps"] != STEPS[r["data"]] or steps != expected:
                raise ValueError(f"{r['data']} seed {r['seed']} ran {r['steps']} steps with checkpoints at {steps}, "
                                 f"not {STEPS[r['data']]} with one every {EVERY}")  # fmt: skip
    except (KeyError, TypeError) as missing:
        raise ValueError(f"{source} is not a study of wganlib.toy_study (no {missing}): rerun make toy-study") from None
    except ValueError as wrong:
        raise ValueError(f"{source}: {wrong}: rerun make toy-study") from None
    return study
