"""Write student copies of the chapters: solutions removed, outputs cleared.

    python scripts/make_student.py [--out student] [--check] [notebooks ...]

The copies are committed next to the instructors' notebooks: ``chapters/X.ipynb`` gives
``student/chapters/X.ipynb`` (and ``book/chapter_template.ipynb`` gives
``student/book/chapter_template.ipynb``), whose Colab badge opens itself. ``make student`` rewrites
them all (and deletes copies whose notebook is gone); ``--check`` writes nothing and exits 1 when a copy is
missing, stale or orphaned. The output depends only on the chapters, so it is byte-for-byte
reproducible.

Each region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a code cell becomes
``raise NotImplementedError()`` (nbgrader's convention, so ``nbgrader generate_assignment`` works on
the same notebooks); markdown cells that open or close a gated solution (``{solution-start}`` /
``{solution-end}``), markdown between them, and ``{solution}`` directives are removed.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
STUDENT = "student"  # the student copies' folder, relative to the repository root
SOURCES = ("chapters/*.ipynb", "book/*.ipynb")  # the notebooks of the book, each with a student copy
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# the Colab badge's link to an instructors' notebook: .../github/<owner>/<repo>/blob/<branch>/chapters/X.ipynb
COLAB_LINK = re.compile(
    r"(https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/[^/\s)]+/)([^\s)]+\.ipynb)"
)
# any other Colab link to an instructors' notebook, e.g. from one chapter to the next
COLAB_CHAPTER = re.compile(
    r"(https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/[^/\s)]+/)((?:chapters|book)/[^\s)]+\.ipynb)"
)
NOTE = (
    "> **Student copy.** The solutions of the exercises are removed: replace each "
    "`raise NotImplementedError()` with your code and run the check below it. This notebook is "
    "generated from `{source}` by `make student`; edit that notebook, not this copy."
)
REMAKE = "run `make student` (python scripts/make_student.py) and commit student/"
# a ```{solution} ...``` or ````{solution} ...```` block, up to its matching closing fence
# a gated solution's opening or closing directive, ```{solution-start} label ... ``` or ```{solution-end}```
GATE = re.compile(r"(^(?:`{3,}|:{3,})\{solution-(?:start|end)\}.*?^(?:`{3,}|:{3,})[ \t]*$\n?)", re.M | re.S)
SOLUTION_DIRECTIVE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)


def stub_code(source: str) -> str:
    """Replace each solution region of a code cell by ``raise NotImplementedError()``."""
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError("nested ### BEGIN SOLUTION")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}raise NotImplementedError()")
        elif stripped == END:
            if not inside:
                raise ValueError("### END SOLUTION without ### BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("### BEGIN SOLUTION without ### END SOLUTION")
    return "\n".join(out)


def sources() -> list[Path]:
    """The instructors' notebooks that have a student copy, in a fixed order."""
    return [path for pattern in SOURCES for path in sorted(ROOT.glob(pattern))]


def relative(path: Path) -> str:
    """Where a notebook's student copy goes under ``student/``: its path in the repository (a
    notebook from elsewhere counts as a chapter)."""
    path = path.resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else f"chapters/{path.name}"


def student_badge(source: str, rel: str) -> str:
    """The first cell's text with its Colab badge pointing at the student copy ``student/<rel>``,
    followed by a note saying what the copy is."""
    target = f"{STUDENT}/{rel}"
    text, n = COLAB_LINK.subn(lambda m: m.group(1) + target, source, count=1)
    if n == 0:
        raise ValueError(f"{rel}: the first cell has no Open in Colab badge to point at the student copy")
    # the note goes after the paragraph holding the badge
    head, sep, rest = text.partition(target)
    end = rest.find("\n\n")
    end = len(rest) if end < 0 else end
    return head + sep + rest[:end] + "\n\n" + NOTE.format(source=rel) + rest[end:]


def student_notebook(nb: nbformat.NotebookNode, rel: str | None = None) -> nbformat.NotebookNode:
    """The student copy of a notebook (a new object; ``nb`` is not modified).

    With ``rel`` (the notebook's path in the repository, e.g. ``chapters/01_x.ipynb``), the Colab
    badge of the first cell is pointed at ``student/<rel>``, a note says that this is the student
    copy, and Colab links to other notebooks of the book lead to their student copies.
    """
    nb = nbformat.from_dict(nb)
    if rel is not None and nb.cells and nb.cells[0].cell_type == "markdown":
        nb.cells[0].source = student_badge(nb.cells[0].source, rel)
        for cell in nb.cells:  # links to other chapters lead to their student copies too
            if cell.cell_type == "markdown":
                cell.source = COLAB_CHAPTER.sub(rf"\g<1>{STUDENT}/\g<2>", cell.source)
    cells, gated = [], False
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "markdown":
            kept = []
            # walk the cell: text before a solution-start is kept, text up to the matching
            # solution-end is part of the solution, text after it is kept again
            for piece in GATE.split(src):
                if GATE.fullmatch(piece):
                    gated = "{solution-start}" in piece
                elif not gated:
                    kept.append(piece)
            src = SOLUTION_DIRECTIVE.sub("", "".join(kept)).strip()
            if not src:
                continue
            cell.source = src
        elif cell.cell_type == "code":
            cell.source = stub_code(src)
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    if gated:
        raise ValueError("a {solution-start} is never closed by {solution-end}")
    nb.cells = cells
    return nb


def render(path: Path) -> str:
    """The exact text of the student copy of the notebook at ``path`` (deterministic)."""
    nb = nbformat.read(path, as_version=4)
    copy = student_notebook(nb, relative(path))
    for i, cell in enumerate(copy.cells):  # nbformat would invent random ids for cells without one
        if "id" not in cell:
            cell["id"] = hashlib.sha1(f"{path.name}:{i}".encode()).hexdigest()[:8]
    copy.nbformat_minor = max(copy.nbformat_minor, 5)
    nbformat.validate(copy)
    text = nbformat.writes(copy)
    return text if text.endswith("\n") else text + "\n"


def orphans(out: Path, paths: list[Path]) -> list[Path]:
    """Copies in ``out`` whose notebook is not among ``paths`` (removed or renamed)."""
    wanted = {relative(p) for p in paths}
    return [c for c in sorted(out.rglob("*.ipynb")) if c.relative_to(out).as_posix() not in wanted]


def stale(out: Path, paths: list[Path], check_orphans: bool = True) -> list[str]:
    """What is wrong with the copies in ``out``: missing, out of date, or without a notebook."""
    problems = []
    for path in paths:
        rel = relative(path)
        target = out / rel
        if not target.exists():
            problems.append(f"{rel}: missing")
        elif target.read_text(encoding="utf-8") != render(path):
            problems.append(f"{rel}: out of date with its notebook")
    if check_orphans:
        problems += [f"{c.relative_to(out).as_posix()}: its notebook is gone" for c in orphans(out, paths)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / STUDENT)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a copy is stale")
    args = parser.parse_args(argv)
    every = not args.notebooks
    paths = args.notebooks or sources()
    if args.check:
        problems = stale(args.out, paths, check_orphans=every)
        for problem in problems:
            print(f"{args.out}/{problem}", file=sys.stderr)
        if problems:
            print(f"The student copies are out of date: {REMAKE}", file=sys.stderr)
        return 1 if problems else 0
    for path in paths:
        target = args.out / relative(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(path), encoding="utf-8")
        print(f"{relative(path)} -> {target}")
    if every:  # a notebook removed or renamed: its old copy goes too
        for orphan in orphans(args.out, paths):
            orphan.unlink()
            print(f"removed {orphan} (its notebook is gone)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
