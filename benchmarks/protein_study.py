"""Chapter 6's full study: does augmentation help an SVM that has seen few antimicrobial peptides?

Every method of ``wganlib.augment.METHODS`` on the same training and test sets: ``--draws`` draws
(each with its own test set and training set) per number of positives ``k`` and per kind of split
(``cluster``: whole clusters of similar sequences on one side of every split, including the CV
folds; ``random``). One row per (split, k, draw, method) goes into
``wganlib/results/protein_study.csv``, which chapter 6 reads; a summary with paired bootstrap
intervals goes into ``benchmarks/protein_study.md``.

    .venv/bin/python benchmarks/protein_study.py                    # the committed study (~1 h, 1 core)
    .venv/bin/python benchmarks/protein_study.py --jobs 2           # the same on two cores
    .venv/bin/python benchmarks/protein_study.py --summary-only     # rewrite the summary from the csv

Rows already in the csv (same split, k, draw, method and protocol) are kept, so an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

from wganlib.augment import METHODS as METHOD_ORDER

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["split", "k", "draw", "method", "MCC", "AUC", "AUPRC", "C", "gamma", "threshold", "seconds"]
N_NEGATIVES, N_TEST = 400, 300


def _unit(args):
    """All methods on one (split, k, draw): the rows."""
    split_kind, k, draw = args
    import torch

    torch.set_num_threads(1)
    import wganlib.augment as augment
    import wganlib.proteins as proteins

    data = proteins.load_features("amp", progress=False)
    groups = proteins.kmer_clusters(data.sequences) if split_kind == "cluster" else None
    split = proteins.scarce_split(data.labels, k, n_negatives=N_NEGATIVES, n_test=N_TEST, seed=draw,
                                  test_seed=draw, groups=groups)  # fmt: skip
    X, y = data.features[split.train], data.labels[split.train]
    Xt, yt = data.features[split.test], data.labels[split.test]
    rows = []
    for method in augment.METHODS:
        start = time.perf_counter()
        r = augment.evaluate(method, X, y, Xt, yt, seed=draw, groups=None if groups is None else groups[split.train])
        rows.append({"split": split_kind, "k": k, "draw": draw, "method": method, **r,
                     "seconds": round(time.perf_counter() - start, 2)})  # fmt: skip
    return rows


def _read(path: Path) -> tuple[str | None, list[dict]]:
    if not path.exists():
        return None, []
    lines = path.read_text().splitlines()
    fingerprint = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("# protocol:")), None)
    rows = list(csv.DictReader(ln for ln in lines if not ln.startswith("#")))
    return fingerprint, rows


def _write(path: Path, fingerprint: str, rows: list[dict], command: str) -> None:
    rows = sorted(rows, key=lambda r: (r["split"], int(r["k"]), int(r["draw"]), list(METHOD_ORDER).index(r["method"])))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        f.write(f"# protocol: {fingerprint}\n# made by: {command}\n")
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({key: r[key] for key in FIELDS})
    os.replace(tmp, path)


def summary(rows: list[dict]) -> str:
    """Markdown: per split and k, each method's mean and its paired difference with 'real only' and
    with 'class-weighted' (bootstrap 95% intervals over draws)."""
    import numpy as np

    from wganlib.metrics import paired_bootstrap

    out = []
    for split_kind in sorted({r["split"] for r in rows}):
        for k in sorted({int(r["k"]) for r in rows if r["split"] == split_kind}):
            sub = [r for r in rows if r["split"] == split_kind and int(r["k"]) == k]
            draws = sorted({int(r["draw"]) for r in sub})
            value = {(r["method"], int(r["draw"]), m): float(r[m]) for r in sub for m in ("MCC", "AUC", "AUPRC")}
            out.append(f"\n### {split_kind} splits, k = {k} ({len(draws)} draws)\n")
            out.append("| method | MCC | MCC - real only | MCC - class-weighted | AUC | AUPRC at 5% |")
            out.append("|---|---|---|---|---|---|")
            for method in METHOD_ORDER:
                if (method, draws[0], "MCC") not in value:
                    continue
                col = {m: np.array([value[(method, d, m)] for d in draws]) for m in ("MCC", "AUC", "AUPRC")}
                cells = []
                for base in ("real only", "class-weighted"):
                    if method == base:
                        cells.append("")
                        continue
                    b = np.array([value[(base, d, "MCC")] for d in draws])
                    mean, lo, hi = paired_bootstrap(col["MCC"], b)
                    cells.append(f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}]")
                out.append(f"| {method} | {col['MCC'].mean():.3f} | {cells[0]} | {cells[1]} | "
                           f"{col['AUC'].mean():.3f} | {col['AUPRC'].mean():.3f} |")  # fmt: skip
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--ks", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--splits", nargs="+", default=["cluster", "random"], choices=["cluster", "random"])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "wganlib" / "results" / "protein_study.csv")
    parser.add_argument("--summary", type=Path, default=ROOT / "benchmarks" / "protein_study.md")
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args(argv)
    import wganlib.augment as augment

    fingerprint = augment.protocol_fingerprint()
    old_fingerprint, rows = _read(args.out)
    if old_fingerprint != fingerprint:
        if args.summary_only:
            print(f"the csv was made by protocol {old_fingerprint}, the code is {fingerprint}", file=sys.stderr)
            return 1
        rows = []  # made by other code: start again
    command = "python benchmarks/protein_study.py " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.summary_only and args.out.exists():  # the rows were made by the command in the csv's header
        made = [ln for ln in args.out.read_text().splitlines()[:2] if ln.startswith("# made by: ")]
        command = made[0].removeprefix("# made by: ") if made else command
    if not args.summary_only:
        done = {(r["split"], int(r["k"]), int(r["draw"])) for r in rows}
        todo = [(s, k, d) for s in args.splits for k in args.ks for d in range(args.draws) if (s, k, d) not in done]
        print(f"{len(todo)} training sets to run ({len(done)} in the csv already)", flush=True)
        if args.jobs > 1:
            from multiprocessing import get_context

            with get_context("spawn").Pool(args.jobs) as pool:
                for new in pool.imap_unordered(_unit, todo):
                    rows += new
                    _write(args.out, fingerprint, rows, command)
                    print(new[0]["split"], new[0]["k"], new[0]["draw"], "done", flush=True)
        else:
            for unit in todo:
                rows += _unit(unit)
                _write(args.out, fingerprint, rows, command)
                print(*unit, "done", flush=True)
    text = summary(rows)
    args.summary.write_text(
        "# Chapter 6's study: augmentation against a scarce positive class\n\n"
        f"Made by `{command}` (protocol {fingerprint}); one row per draw in "
        "`wganlib/results/protein_study.csv`. Means over draws; paired differences with bootstrap 95% "
        "intervals (`wganlib.metrics.paired_bootstrap`). The intervals give sizes; chapter 6 decides which "
        "differences are shown with paired sign-flip tests and the Benjamini-Hochberg procedure at a 5% "
        "false discovery rate over the 84 comparisons of each kind of split.\n" + text
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
