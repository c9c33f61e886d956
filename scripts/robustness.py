"""Run every chapter through nbval at several seed offsets and tabulate the cells that fail.

    python scripts/robustness.py [--chapters 03 04] [--offsets 0 1 2 3] [--threads 1 --jobs 2] [--no-write]

``WGANLIB_SEED_OFFSET=k`` shifts every seed of a chapter (see ``wganlib.seed``), so each offset is
another random stream, as a student on another device would draw it. A claim about a training or
sampling outcome must hold at every offset. The table goes into ``benchmarks/README.md`` between
``<!-- robustness start -->`` and ``<!-- robustness end -->`` (added at the end of the file when the
markers are missing); the rest of that file is left as it is. What each cell printed is saved in
``_build/robustness/`` (``scripts/nbval_outputs.py``), and ``benchmarks/spread.md`` shows it for every
asserting cell at each offset (``--report`` rebuilds it from the saved outputs). Exits 1 when any cell failed.
Not part of ``make test``: every chapter four times takes several times the book's run time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from book_config import notebook_test_env  # scripts/, beside this file

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "benchmarks" / "README.md"
SPREAD = ROOT / "benchmarks" / "spread.md"  # what each asserting cell printed at each offset
OUTPUTS = ROOT / "_build" / "robustness"  # the raw per-cell outputs (JSON lines), one file per chapter and offset
START, END = "<!-- robustness start -->", "<!-- robustness end -->"
ASSERT = re.compile(r"\s*assert\b")  # an assert statement, not assert_close(...)
ANSI = re.compile(r"\x1b\[[0-9;]*m|#x1B\[[0-9;]*m")  # colour codes in tracebacks, raw or as junit writes them


def find_chapters(wanted: list[str] | None) -> list[Path]:
    """The notebooks of chapters/ (whatever exist), or those whose file name starts with or contains a wanted key."""
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    if not chapters:
        raise SystemExit("robustness: chapters/ holds no notebook")
    if not wanted:
        return chapters
    chosen = []
    for key in wanted:
        hits = [p for p in chapters if p.name.startswith(key) or key in p.name]
        if not hits:
            names = ", ".join(p.name for p in chapters)
            raise SystemExit(f"robustness: no chapter matches {key!r}; the chapters are: {names}")
        chosen += [p for p in hits if p not in chosen]
    return sorted(chosen)


def run_one(path: Path, offset: int, threads: int | None = None, outputs: Path | None = None) -> dict:
    """One chapter through nbval at one offset: seconds, failing cells and the first line of each error."""
    env = notebook_test_env({**os.environ, "WGANLIB_SEED_OFFSET": str(offset)})  # no progress bars
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    plugin = []
    if outputs is not None:  # what each cell printed, for the spread report (scripts/nbval_outputs.py)
        outputs.unlink(missing_ok=True)
        env["NBVAL_OUTPUTS"] = str(outputs)
        plugin = ["-p", "scripts.nbval_outputs"]  # importable from the root, where `python -m pytest` starts
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider",
               *plugin, f"--junitxml={xml}", str(path.relative_to(ROOT))]  # fmt: skip
        t0 = time.perf_counter()
        with tempfile.TemporaryFile("w+") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
            # wait4: this run's own CPU seconds (pytest and the kernel it reaped), also when runs overlap
            _, status, usage = os.wait4(proc.pid, 0)
            returncode = proc.returncode = os.waitstatus_to_exitcode(status)
            log.seek(0)
            output = log.read()
        seconds, cpu = time.perf_counter() - t0, usage.ru_utime + usage.ru_stime
        failed = []
        if xml.exists():
            for case in ET.parse(xml).getroot().iter("testcase"):
                bad = case.find("failure")
                if bad is None:
                    bad = case.find("error")
                if bad is not None:
                    cell = case.get("name", "?").split("::")[-1]
                    text = ANSI.sub("", bad.text or bad.get("message") or "").strip()
                    lines = [ln.strip() for ln in text.splitlines() if "Error" in ln or "assert" in ln.lower()]
                    failed.append((cell, lines[-1][:200] if lines else text[:200]))
        elif returncode != 0:
            failed.append(("(pytest)", (output.strip().splitlines() or ["no output"])[-1][:200]))
    return {"seconds": seconds, "cpu": cpu, "failed": failed}


def outputs_file(path: Path, offset: int) -> Path:
    return OUTPUTS / f"{path.stem}.offset{offset}.jsonl"


def read_outputs(file: Path) -> dict[str, dict]:
    """nbval cell name -> {"source", "stdout", "passed"} of one run (empty when the run left no file)."""
    if not file.exists():
        return {}
    records = (json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip())
    return {r["cell"]: r for r in records}


def _printed(run: dict[str, dict], group: list[str]) -> str:
    """What the cells of ``group`` printed in one run; the last is the asserting cell, the others are marked."""
    parts = []
    for i, name in enumerate(group):
        text = run[name]["stdout"].strip() if name in run else ""
        if text:
            parts.append(text if i == len(group) - 1 else f"[cell {cell_number(name)}] {text}")
    return "\n".join(parts)


def spread_report(chapters: list[Path], offsets: list[int], header: str, limit: int = 1500) -> str:
    """For every code cell that asserts something: its assert lines and, at each offset, what it printed
    together with what the cells since the previous asserting cell printed (a chapter often prints its
    numbers in the cell that computes them and asserts in the next), so that the spread of each checked
    number over random streams can be read."""
    lines = ["# What the asserting cells printed at each seed offset", "", header, ""]
    for path in chapters:
        runs = {k: read_outputs(outputs_file(path, k)) for k in offsets}
        names = sorted({n for r in runs.values() for n in r}, key=lambda n: int(cell_number(n) or 0))
        silent, before = [], []  # before: the cells since the previous asserting cell
        lines += [f"## {path.name}", ""]
        for name in names:
            recs = [runs[k].get(name) for k in offsets]
            source = next(r["source"] for r in recs if r)
            asserts = [ln.strip() for ln in source.splitlines() if ASSERT.match(ln)]
            if not asserts:
                before.append(name)
                continue
            group, before = [*before, name], []

            texts = {k: _printed(runs[k], group) for k in offsets}
            if not any(texts.values()):
                silent.append(cell_number(name))
                continue
            earlier = [cell_number(n) for n in group[:-1] if any(runs[k].get(n, {}).get("stdout", "").strip()
                                                                  for k in offsets)]  # fmt: skip
            lines += [f"### nbval cell {cell_number(name)}", "", "```python", *asserts, "```", ""]
            if earlier:
                lines += [f"(with what cell{'s' if len(earlier) > 1 else ''} {', '.join(earlier)} before it printed)", ""]
            if len(set(texts.values())) == 1 and all(r and r["passed"] for r in recs):  # a deterministic cell
                out = texts[offsets[0]]
                out = out if len(out) <= limit else out[:limit] + " [...]"
                lines += [f"the same at every offset ({', '.join(map(str, offsets))}):", "", "```text", out, "```", ""]
                continue
            for k, r in zip(offsets, recs, strict=True):
                out = "(not run)" if r is None else (texts[k] or "(printed nothing)")
                out = out if len(out) <= limit else out[:limit] + " [...]"
                failed = "" if r is None or r["passed"] else " (the cell FAILED)"
                lines += [f"offset {k}{failed}:", "", "```text", out, "```", ""]
        if silent:
            lines += [f"Cells that assert with nothing printed by them or by the cells since the previous assert: "
                      f"{', '.join(silent)}.", ""]  # fmt: skip
    return "\n".join(lines).rstrip("\n") + "\n"


def write_spread(chapters: list[Path], offsets: list[int], command: str) -> None:
    SPREAD.write_text(spread_report(chapters, offsets, spread_header(command, dt.date.today().isoformat())))


def spread_header(command: str, today: str) -> str:
    return (
        f"Written by `{command}` on {today} ({platform.machine()}, Python {platform.python_version()}), from that "
        "run's chapters and offsets only (a run of some chapters rewrites this file with those alone). For each "
        "code cell with an assert statement: the first line of each assert, and what the cell printed at each "
        "seed offset (its stdout and displayed value), after what the cells since the previous asserting cell "
        "printed (marked [cell N]). nbval numbers the code cells from 0."
    )


def cell_number(name: str) -> str:
    return name.removeprefix("Cell ").strip()


def version(path: Path) -> str:
    """The chapter's last commit (short hash), with '+' when the working copy differs from it."""
    rel = str(path.relative_to(ROOT))
    out = subprocess.run(["git", "log", "-1", "--format=%h", "--", rel], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", rel], cwd=ROOT).returncode != 0
    return (out.stdout.strip() or "uncommitted") + ("+" if dirty else "")


def entry(r: dict) -> str:
    when = f"{r['seconds']:.0f} s, CPU {r['cpu']:.0f} s, {r['version']}"
    if r["failed"]:
        return f"**fails: cell {', '.join(cell_number(c) for c, _ in r['failed'])}** ({when})"
    return f"pass ({when})"


def previous_entries() -> dict:
    """(chapter, offset) -> entry text of the table now in benchmarks/README.md, so a partial run keeps the rest."""
    readme = README.read_text() if README.exists() else ""
    if START not in readme or END not in readme:
        return {}
    block = readme.split(START, 1)[1].split(END, 1)[0]
    rows = [ln for ln in block.splitlines() if ln.startswith("| ")]
    if not rows:
        return {}
    offsets = [int(h.split()[-1]) for h in rows[0].strip("| ").split(" | ")[1:]]
    entries = {}
    for row in rows[1:]:
        cells = row.strip().strip("|").split(" | ")
        for k, text in zip(offsets, cells[1:], strict=False):
            if text.strip() != "not run":
                entries[(cells[0].strip(), k)] = text.strip()
    return entries


def table(entries: dict, chapters: list[str]) -> str:
    offsets = sorted({k for _, k in entries})
    rows = ["| chapter | " + " | ".join(f"offset {k}" for k in offsets) + " |", "|---|" + "---|" * len(offsets)]
    for name in chapters:
        rows.append(f"| {name} | " + " | ".join(entries.get((name, k), "not run") for k in offsets) + " |")
    return "\n".join(rows)


def write_readme(text: str) -> None:
    readme = README.read_text()
    block = f"{START}\n{text}\n{END}"
    if START in readme and END in readme:
        before, rest = readme.split(START, 1)
        _, after = rest.split(END, 1)
        readme = before + block + after
    else:
        readme = readme.rstrip("\n") + "\n\n## Robustness over seed offsets (`make robustness`)\n\n" + block + "\n"
    README.write_text(readme)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="*", help="file-name prefixes or parts, e.g. 03 04 (default: all)")
    parser.add_argument("--offsets", nargs="*", type=int, default=[0, 1, 2, 3], help="seed offsets (default: 0 1 2 3)")
    parser.add_argument("--threads", type=int, help="threads per kernel (OMP_NUM_THREADS; default: the machine's)")
    parser.add_argument("--jobs", type=int, default=1, help="chapter runs at once (default 1; with 2, use --threads 1)")
    parser.add_argument("--no-write", action="store_true",
                        help="print the table, leave benchmarks/README.md and benchmarks/spread.md alone")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: rewrite benchmarks/spread.md from the outputs saved in _build/robustness")
    args = parser.parse_args(argv)
    if not args.offsets or any(k < 0 for k in args.offsets):
        parser.error("--offsets needs one or more non-negative integers, e.g. --offsets 0 1 2 3")
    chapters = find_chapters(args.chapters)
    if args.report:
        command = "python scripts/robustness.py --report" + (" --chapters " + " ".join(args.chapters) if args.chapters else "")
        write_spread(chapters, args.offsets, command)
        print(f"written to {SPREAD.relative_to(ROOT)}")
        return 0

    if args.jobs < 1:
        parser.error("--jobs needs a positive integer")
    if args.jobs > 1 and not args.threads:
        print("robustness: --jobs > 1 without --threads: kernels may oversubscribe the cores (add --threads 1)")
    results = {}
    units = [(path, k) for path in chapters for k in args.offsets]

    def one(unit):
        path, k = unit
        r = run_one(path, k, args.threads, outputs_file(path, k))
        r["version"] = version(path)
        verdict = "pass" if not r["failed"] else f"{len(r['failed'])} failing cell(s)"
        lines = [f"{path.name} offset {k}: {verdict} ({r['seconds']:.0f} s, CPU {r['cpu']:.0f} s)"]
        print("\n".join(lines + [f"    {cell}: {why}" for cell, why in r["failed"]]), flush=True)
        return (path.name, k), r

    # --jobs 2 on a 2-core machine: two notebooks at once, best with --threads 1 (two kernels with two
    # threads each oversubscribe the cores, and PyTorch's threads then wait on each other)
    OUTPUTS.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results.update(pool.map(one, units))

    today = dt.date.today().isoformat()
    command = "python scripts/robustness.py"
    if args.chapters:
        command += " --chapters " + " ".join(args.chapters)
    if args.offsets != [0, 1, 2, 3]:
        command += " --offsets " + " ".join(map(str, args.offsets))
    if args.threads:
        command += f" --threads {args.threads}"
    if args.jobs > 1:
        command += f" --jobs {args.jobs}"
    n_bad = sum(bool(r["failed"]) for r in results.values())
    entries = {} if args.no_write else previous_entries()
    entries.update({key: entry(r) for key, r in results.items()})
    existing = [p.name for p in find_chapters(None)]
    entries = {key: e for key, e in entries.items() if key[0] in existing}
    text = "\n".join([
        f"Last run {today} on {platform.machine()}, Python {platform.python_version()}: `{command}`.",
        "Each entry: pass, or the failing nbval cells (nbval numbers the code cells only, from 0); the seconds the "
        "chapter took (on a shared machine, times vary) and the CPU seconds of pytest and its kernel (with "
        "--threads 1, close to the time on an idle machine); and the chapter's commit it ran on ('+': with uncommitted "
        "changes). With --jobs > 1 runs overlap, so their seconds are not a chapter's time alone; the CPU seconds "
        "are. A run of some chapters or offsets replaces only those entries; the others are kept from earlier runs.",
        "",
        table(entries, existing),
        "",
        f"This run: {n_bad} of {len(results)} chapter runs had a failing cell.",
    ])  # fmt: skip
    print(text)
    if not args.no_write:
        write_readme(text)
        write_spread(chapters, args.offsets, command)
        print(f"written to {README.relative_to(ROOT)} and {SPREAD.relative_to(ROOT)}")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
