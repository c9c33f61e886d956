"""Write student copies of the chapters: solutions removed, outputs cleared.

    python scripts/make_student.py [--out student] [notebooks ...]

Each region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a code cell becomes
``raise NotImplementedError()`` (nbgrader's convention, so ``nbgrader generate_assignment`` works on
the same notebooks); markdown cells that open or close a gated solution (``{solution-start}`` /
``{solution-end}``), markdown between them, and ``{solution}`` directives are removed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
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


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student copy of a notebook (a new object; ``nb`` is not modified)."""
    nb = nbformat.from_dict(nb)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "student")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    (args.out / "chapters").mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        copy = student_notebook(nb)
        nbformat.validate(copy)
        target = args.out / "chapters" / path.name
        nbformat.write(copy, target)
        print(f"{path.relative_to(ROOT) if path.is_absolute() else path} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
