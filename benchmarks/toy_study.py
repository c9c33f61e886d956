"""Chapter 4's study of the toy recipe (``wganlib.toy_study``): every toy set, every seed.

    .venv/bin/python benchmarks/toy_study.py              # the committed study (about 20 min on 1 core)
    .venv/bin/python benchmarks/toy_study.py --jobs 2     # the same on two cores (about 10 min)
    .venv/bin/python benchmarks/toy_study.py --summary    # print the committed study's summary

Writes ``wganlib/results/toy_study.json``, which chapter 4 reads. Every run uses one thread, so the
numbers do not depend on ``--jobs`` (only the seconds do).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wganlib import toy_study  # noqa: E402


def _one(name: str, seed: int, steps: int | None) -> dict:
    import torch

    torch.set_num_threads(1)
    return toy_study.run(name, seed, steps)


def summary(study: dict) -> str:
    """One line per data set: the end of every seed's run, and the median training seconds."""
    lines = [f"fingerprint {study['fingerprint']}, torch {study['torch']}, made {study['made']}"]
    for name in toy_study.STEPS:
        runs = [r for r in study["runs"] if r["data"] == name]
        if not runs:
            continue
        ends = [r["checkpoints"][-1] for r in runs]
        seconds = statistics.median(e["seconds"] for e in ends)
        w1 = ", ".join(f"{e['w1_over_floor']:.2f}" for e in ends)
        if ends[0]["modes"] is None:
            lines.append(f"{name}, {runs[0]['steps']} steps: W1 / floor per seed {w1}; {seconds:.0f} s a run")
        else:
            cover = ", ".join(f"{e['modes']} ({100 * e['high_quality']:.0f}%)" for e in ends)
            lines.append(f"{name}, {runs[0]['steps']} steps: modes (high quality) per seed {cover}; "
                         f"W1 / floor {w1}; {seconds:.0f} s a run")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--steps", type=int, help="train every run this many steps (a smoke test; not the study)")
    p.add_argument("--out", type=Path, help="where to write (default: the committed study, which only a full run may replace)")
    p.add_argument("--summary", action="store_true", help="print the summary of --out and exit")
    a = p.parse_args()
    if a.steps is not None and a.out is None:
        p.error("--steps makes a smoke run, not the study: give --out, so that the committed study is kept")
    a.out = a.out or ROOT / "wganlib" / "results" / "toy_study.json"
    if a.summary:
        print(summary(json.loads(a.out.read_text())))
        return
    import torch

    tasks = [(name, seed, a.steps) for name in toy_study.STEPS for seed in toy_study.SEEDS]
    with ProcessPoolExecutor(a.jobs) as pool:
        runs = list(pool.map(_one, *zip(*tasks, strict=True)))
    study = {"fingerprint": toy_study.fingerprint(), "torch": torch.__version__,
             "made": f"{datetime.date.today().isoformat()}, {platform.machine()}, one thread a run",
             "runs": runs}  # fmt: skip
    a.out.write_text(json.dumps(study, indent=None, separators=(",", ":")) + "\n")
    print(summary(study))


if __name__ == "__main__":
    main()
