"""A short hash of named pieces of wganlib's source, for the committed studies (chapters 4 and 6).

A study that a chapter reads records the hash of the code that made it; the chapter recomputes it, so
that a study made by other code cannot pass for the current one. The hash must not change with the
Python that computes it (Colab runs a newer Python than CI), so it is taken over the source text
itself, not over ``ast.dump``, whose output differs between Python versions. Comments, docstrings,
trailing spaces and blank lines do not count; everything else does, layout included.

Only the standard library is used, so that the hash can be checked under several Pythons without
installing the book (``tests/test_toy_study.py`` does, where other Pythons are found).
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _blank(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> None:
    """Replace the text from (row, col) ``start`` to ``end`` (rows from 1, ``end`` exclusive) by nothing."""
    (r0, c0), (r1, c1) = start, end
    if r0 == r1:
        lines[r0 - 1] = lines[r0 - 1][:c0] + lines[r0 - 1][c1:]
        return
    lines[r0 - 1] = lines[r0 - 1][:c0]
    for r in range(r0, r1 - 1):
        lines[r] = ""
    lines[r1 - 1] = lines[r1 - 1][c1:]


def _clean_lines(text: str) -> tuple[list[str], ast.Module]:
    """The file's lines with comments and docstrings cut out (positions kept), and its syntax tree."""
    tree = ast.parse(text)
    lines = text.splitlines()

    def column(row: int, byte_offset: int) -> int:  # ast counts UTF-8 bytes, tokenize and slicing characters
        return len(lines[row - 1].encode()[:byte_offset].decode(errors="ignore"))

    spans = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue  # only these have docstrings
        body = node.body
        if body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                spans.append(((value.lineno, column(value.lineno, value.col_offset)),
                              (value.end_lineno, column(value.end_lineno, value.end_col_offset))))  # fmt: skip
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            spans.append((tok.start, (tok.start[0], len(lines[tok.start[0] - 1]))))
    for start, end in sorted(spans, reverse=True):  # from the end, so that earlier positions stay valid
        _blank(lines, start, end)
    return lines, tree


def _names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    found = set()
    for t in targets:
        for n in ast.walk(t) if t is not None else ():
            if isinstance(n, ast.Name):
                found.add(n.id)
    return found


def source_text(module: str, names: tuple[str, ...] | None = None) -> str:
    """The cleaned source of ``module`` (a file of the package, e.g. ``"train.py"``), whole or only
    the top-level definitions and assignments called ``names`` (decorators included), in file order."""
    lines, tree = _clean_lines((PACKAGE / module).read_text())
    if names is None:
        chosen = [(1, len(lines))]
    else:
        chosen, missing = [], set(names)
        for node in tree.body:
            found = _names(node) & set(names)
            if found:
                first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                chosen.append((first, node.end_lineno))
                missing -= found
        if missing:
            raise ValueError(f"{module} defines no top-level {', '.join(sorted(missing))}")
    kept = [line.rstrip() for a, b in chosen for line in lines[a - 1 : b]]
    return "\n".join(line for line in kept if line)


def code_fingerprint(parts: list[tuple[str, tuple[str, ...] | None]], extra: str = "") -> str:
    """12 hex digits of the SHA-1 of ``extra`` and the cleaned source of every (module, names) part."""
    text = "\n".join([extra] + [f"# {module} {names}\n{source_text(module, names)}" for module, names in parts])
    return hashlib.sha1(text.encode()).hexdigest()[:12]
