"""Mutation testing by hand: break the library on purpose, one mistake at a time, and check that the
unit tests notice (CONTRIBUTING.md, "Tests that can fail").

Each mutant replaces one exact piece of a file in a scratch copy of the committed tree (``git archive
HEAD``), runs the tests that guard that file, and is "killed" when they fail. The working tree is never
touched. Prints one line per mutant and exits 1 when one survives.

    .venv/bin/python scripts/mutants.py            # every mutant
    .venv/bin/python scripts/mutants.py -k r1 sign  # those whose name contains one of the words
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
          "--deselect", "tests/test_train.py::test_short_training_improves_mode_coverage"]  # fmt: skip

TRAIN = ["tests/test_train.py", "-k", "not mode_coverage and not gpu"]
PEN = ["tests/test_penalties.py"]
LOSS = ["tests/test_losses.py"]


def train(keywords: str) -> list[str]:
    """The tests of test_train.py whose names match ``keywords`` (a pytest -k expression)."""
    return ["tests/test_train.py", "-k", keywords]

#: (name, file, exact text, replacement, tests that must fail)
MUTANTS = [
    ("r1 loses its 1/2", "wganlib/train.py", "penalty_scale=0.5,", "penalty_scale=1.0,", train("weight or gamma or table")),
    ("lambda ignored", "wganlib/train.py", "spec.penalty_scale * weight * result.penalty",
     "spec.penalty_scale * (spec.penalty_weight or 0.0) * result.penalty", train("weight or gamma")),
    ("estimate sign flipped", "wganlib/losses.py", "    return real.mean() - fake.mean()\n",
     "    return fake.mean() - real.mean()\n", [*LOSS, *train("sign")]),
    ("critic optimiser never steps", "wganlib/train.py", "    value.backward()\n    optimizer.step()\n    if clip",
     "    value.backward()\n    if clip", train("learning_rates or clips")),
    ("generator optimiser never steps", "wganlib/train.py",
     "    value = spec.generator_loss(s_fake)\n    optimizer.zero_grad(set_to_none=True)\n    value.backward()\n"
     "    optimizer.step()", "    value = spec.generator_loss(s_fake)\n    optimizer.zero_grad(set_to_none=True)\n"
     "    value.backward()", train("learning_rates or one_at_a_time")),
    ("one critic step per generator step", "wganlib/train.py", "        for _ in range(n_critic):",
     "        for _ in range(1):", train("per_generator_step")),
    ("lr_generator 0.0 means lr", "wganlib/train.py", "lr_generator = lr if lr_generator is None else lr_generator",
     "lr_generator = lr_generator or lr", train("learning_rates")),
    ("wgan default clip dropped", "wganlib/train.py", "L.wgan_critic_loss, L.wgan_generator_loss, clip=0.01,",
     "L.wgan_critic_loss, L.wgan_generator_loss, clip=None,", train("table or clips")),
    ("wgan optimiser Adam", "wganlib/train.py", 'optimizer="rmsprop", lr=5e-5, betas=None,',
     'optimizer="adam", lr=5e-5, betas=None,', train("table")),
    ("clip accepted with hinge", "wganlib/train.py", "    if spec.clip is None:\n        raise",
     "    if False:\n        raise", train("table or bad_settings")),
    ("seed state not restored", "wganlib/train.py", "    with preserved_rng():\n        torch.manual_seed(seed)",
     "    if True:\n        torch.manual_seed(seed)", train("restores")),
    ("saturating loss for nsgan", "wganlib/train.py", "L.gan_discriminator_loss, _non_saturating, **_DCGAN",
     "L.gan_discriminator_loss, _saturating, **_DCGAN", train("generator_loss_follows or base_loss")),
    ("hinge margin dropped", "wganlib/losses.py", "F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()",
     "F.relu(-real).mean() + F.relu(fake).mean()", [*LOSS, *train("base_loss")]),
    ("interpolates weight the fake sample", "wganlib/penalties.py", "return alpha * real + (1 - alpha) * fake",
     "return alpha * fake + (1 - alpha) * real", PEN),
    ("norm without flatten(1)", "wganlib/penalties.py", "sq = grad.flatten(1).pow(2).sum(dim=1)",
     "sq = grad.pow(2).sum(dim=1)", PEN),
    ("gradient penalty centre ignored", "wganlib/penalties.py", "    gap = norms - centre\n",
     "    gap = norms - 1.0\n", PEN),
    ("one-sided ignored", "wganlib/penalties.py", "    gap = norms - centre\n    if one_sided:",
     "    gap = norms - centre\n    if False:", PEN),
    ("penalty without create_graph", "wganlib/penalties.py",
     "norms = gradient_norms(critic, x_hat, create_graph=True)", "norms = gradient_norms(critic, x_hat)", PEN),
    ("r1 not squared", "wganlib/penalties.py", "    penalty = norms.pow(2).mean()\n", "    penalty = norms.mean()\n", PEN),
    ("fd slope without abs", "wganlib/penalties.py", ".reshape(-1).abs()", ".reshape(-1)", PEN),
    ("fd one alpha for both points", "wganlib/penalties.py",
     "    x2 = interpolates(real, fake, generator=generator)\n", "    x2 = x1\n", PEN),
    ("clip_weights clips normalisation", "wganlib/penalties.py",
     "        if isinstance(sub, _NORM_LAYERS):\n            continue\n", "", PEN),
    ("BatchNorm accepted", "wganlib/penalties.py", "    if isinstance(critic, nn.Module) and has_batch_norm(critic):",
     "    if False:", PEN),
    ("float64 draws on any device", "wganlib/data.py", 'kw = {"generator": generator, "device": dev, "dtype": exact_dtype(dev)}',
     'kw = {"generator": generator, "device": dev, "dtype": torch.float64}', ["tests/test_portability.py"]),
    ("preserved_rng skips CUDA/MPS", "wganlib/runtime.py", "        if mps is not None:\n            torch.mps.set_rng_state(mps)\n",
     "", ["tests/test_runtime.py"]),
]  # fmt: skip


def run(selected: list[tuple], workdir: Path) -> list[str]:
    survivors = []
    env = {**os.environ, "PYTHONPATH": str(workdir)}
    for name, rel, old, new, tests in selected:
        path = workdir / rel
        original = path.read_text()
        if original.count(old) != 1:
            print(f"STALE   {name}: the text to mutate is not in {rel} exactly once; update scripts/mutants.py")
            survivors.append(name)
            continue
        path.write_text(original.replace(old, new))
        start = time.perf_counter()
        try:
            proc = subprocess.run(PYTEST + tests, cwd=workdir, env=env, capture_output=True, text=True)
        finally:
            path.write_text(original)
        status = "killed " if proc.returncode != 0 else "SURVIVED"
        if proc.returncode == 0:
            survivors.append(name)
        print(f"{status} {name} ({rel}; {time.perf_counter() - start:.0f} s)", flush=True)
    return survivors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", nargs="*", default=[], help="run the mutants whose name contains one of these")
    args = parser.parse_args(argv)
    selected = [m for m in MUTANTS if not args.k or any(k in m[0] for k in args.k)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        archive = subprocess.run(["git", "archive", "HEAD", "wganlib", "tests", "pyproject.toml"], cwd=ROOT,
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
        (work / "tests" / "test_browser.py").unlink(missing_ok=True)
        clean = subprocess.run(PYTEST + PEN + LOSS, cwd=work, env={**os.environ, "PYTHONPATH": str(work)},
                               capture_output=True, text=True)  # fmt: skip
        if clean.returncode != 0:
            print("the unmutated tests fail; fix them first:\n" + clean.stdout[-2000:])
            return 2
        survivors = run(selected, work)
    print(f"{len(selected) - len(survivors)} of {len(selected)} mutants killed" +
          (f"; surviving: {', '.join(survivors)}" if survivors else ""))  # fmt: skip
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
