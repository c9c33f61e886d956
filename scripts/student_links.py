"""Sphinx extension of the web book: a notebook page's links lead to its student copy.

A chapter page shows its solutions only behind "Solution" toggles, but the notebook behind the page,
the one its links lead to, holds them in plain view. For every notebook page (``chapters/X.ipynb``,
``book/chapter_template.ipynb``) this extension points those links at the committed student copy
``student/<same path>`` (written by ``make student``):

- in the page text, every Colab link to an instructors' notebook (the "Open in Colab" badge);
- the launch button's Colab entry, which sphinx-book-theme builds from ``repository.url``;
- the download button's ``.ipynb``: the built site holds the student copy in its place.

A notebook page without a student copy is a warning (so the strict build fails) that says to run
``make student``; a stale copy is reported too (``make test`` fails on it, see tests/test_student.py).
Registered in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
STUDENT = "student"  # as in scripts/make_student.py
# a Colab link to an instructors' notebook: .../github/<owner>/<repo>/blob/<branch>/chapters/X.ipynb
COLAB_NOTEBOOK = re.compile(
    r"^(https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/)((?:chapters|book)/[^/?#]+\.ipynb)$"
)


def student_path(docname: str) -> str:
    """``chapters/01_x`` -> ``student/chapters/01_x.ipynb``, relative to the repository root."""
    return f"{STUDENT}/{docname}.ipynb"


def student_url(url: str) -> str | None:
    """The same Colab link with the notebook replaced by its student copy; None for any other link."""
    m = COLAB_NOTEBOOK.match(url)
    return f"{m.group(1)}{STUDENT}/{m.group(2)}" if m else None


def is_notebook(app, docname: str) -> bool:
    return docname in app.env.found_docs and str(app.env.doc2path(docname)).endswith(".ipynb")


def check_copies(app, env) -> None:
    """Warn about each notebook page without a student copy; report stale ones."""
    srcdir = Path(app.srcdir)
    notebooks = sorted(d for d in env.found_docs if is_notebook(app, d))
    missing = [d for d in notebooks if not (srcdir / student_path(d)).exists()]
    for docname in missing:
        LOGGER.warning(
            f"{docname}: no student copy {student_path(docname)}, so its Colab and download links lead "
            "nowhere; run `make student` and commit student/",
            location=docname,
        )
    try:
        import make_student  # scripts/ is on sys.path (local_extensions)

        present = [srcdir / env.doc2path(d, base=False) for d in notebooks if d not in missing]
        stale = make_student.stale(srcdir / STUDENT, present, check_orphans=False)
    except Exception as err:  # never fail a build over the staleness report itself
        stale = [f"could not compare ({err})"]
    for problem in stale:
        LOGGER.info(f"student_links: {STUDENT}/{problem}; run `make student` to update")


def rewrite_body_links(app, doctree, docname: str) -> None:
    """Point every Colab link to an instructors' notebook at its student copy."""
    for ref in doctree.findall(nodes.reference):
        new = student_url(ref.get("refuri", ""))
        if new is not None:
            ref["refuri"] = new


def rewrite_header_buttons(app, pagename, templatename, context, doctree) -> None:
    """After sphinx-book-theme (priority 501): the launch button's Colab entry opens the student copy,
    and the .ipynb download is labelled as the student notebook."""
    if not is_notebook(app, pagename):
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            url = button.get("url", "")
            new = student_url(url)
            if new is not None:
                button["url"] = new
                button["text"] = "Colab (student copy)"
                button["tooltip"] = "Open the student copy, without solutions, in Colab"
            elif group.get("label") == "download-buttons" and url.endswith(".ipynb"):
                button["tooltip"] = "Download the student notebook (without solutions)"


def replace_downloads(app, exception) -> None:
    """The built site's copy of each notebook (the .ipynb download) becomes the student copy."""
    if exception is not None or app.builder.format != "html":
        return
    srcdir, sources = Path(app.srcdir), Path(app.outdir) / "_sources"
    for docname in app.env.found_docs:
        copy, target = srcdir / student_path(docname), sources / f"{docname}.ipynb"
        if is_notebook(app, docname) and copy.exists() and target.exists():
            shutil.copyfile(copy, target)


def setup(app):
    app.connect("env-check-consistency", check_copies)
    app.connect("doctree-resolved", rewrite_body_links)
    app.connect("html-page-context", rewrite_header_buttons, priority=502)
    app.connect("build-finished", replace_downloads)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
