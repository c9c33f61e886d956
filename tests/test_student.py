"""`make student`: the committed copies in student/ (student/chapters/, student/book/) are in sync with
the notebooks, hold no solution, open themselves in Colab, and their stubs fail their checks with a
useful message."""

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_student  # noqa: E402

NOTEBOOKS = make_student.sources()  # chapters/*.ipynb, then book/*.ipynb (the chapter template)
IDS = [make_student.relative(p) for p in NOTEBOOKS]
STUDENT = ROOT / make_student.STUDENT
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BRANCH = CONFIG["repository"]["branch"]
COLAB = "https://colab.research.google.com/github/" + CONFIG["repository"]["url"].removeprefix(
    "https://github.com/"
).strip("/")
COLAB_ANY = re.compile(r"https://colab\.research\.google\.com/github/\S+?\.ipynb")


def solution_lines(nb):
    """How often each non-trivial line stands inside a solution region of a code cell."""
    lines = Counter()
    for cell in nb.cells:
        if cell.cell_type == "code":
            inside = False
            for line in cell.source.splitlines():
                if line.strip() == make_student.BEGIN:
                    inside = True
                elif line.strip() == make_student.END:
                    inside = False
                elif inside and len(line.strip()) > 12:
                    lines[line.strip()] += 1
    return lines


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """The committed student copies (what students open); generated ones where none is committed
    (a new chapter: test_student_copies_are_in_sync says to run `make student`)."""
    out = tmp_path_factory.mktemp("student")
    make_student.main(["--out", str(out), *map(str, NOTEBOOKS)])
    copies = {}
    for p in NOTEBOOKS:
        rel = make_student.relative(p)
        path = STUDENT / rel if (STUDENT / rel).exists() else out / rel
        copies[p.name] = nbformat.read(path, as_version=4)
    return copies


def test_student_copies_are_in_sync_with_the_notebooks():
    problems = make_student.stale(STUDENT, NOTEBOOKS)
    assert not problems, (
        "the student copies in student/ are out of date with chapters/ and book/: "
        + "; ".join(problems)
        + f". To fix: {make_student.REMAKE}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_copy_opens_itself_in_colab(path):
    rel = make_student.relative(path)
    if not (STUDENT / rel).exists():
        pytest.fail(f"student/{rel} is missing: {make_student.REMAKE}")
    text = json.dumps([c.source for c in nbformat.read(STUDENT / rel, as_version=4).cells])
    own = f"{COLAB}/blob/{BRANCH}/student/{rel}"
    links = COLAB_ANY.findall(text)
    assert links and links[0] == own, f"the badge of student/{rel} must open {own}"
    wrong = [u for u in links if not u.startswith(f"{COLAB}/blob/{BRANCH}/student/")]
    assert not wrong, f"student/{rel} opens an instructors' notebook in Colab: {wrong}"
    assert "**Student copy.**" in text


def test_generation_is_deterministic_and_check_finds_every_problem(tmp_path, capsys):
    chapters = NOTEBOOKS[:2]
    args = ["--out", str(tmp_path), *map(str, chapters)]
    make_student.main(args)
    first = {p.name: p.read_bytes() for p in (tmp_path / "chapters").iterdir()}
    make_student.main(args)
    assert first == {p.name: p.read_bytes() for p in (tmp_path / "chapters").iterdir()}
    assert make_student.main(["--check", *args]) == 0
    copy = tmp_path / "chapters" / chapters[0].name
    copy.write_text(copy.read_text().replace("Student copy", "Student kopy"))
    (tmp_path / "chapters" / chapters[1].name).unlink()
    (tmp_path / "chapters" / "99_gone.ipynb").write_text("{}")
    problems = make_student.stale(tmp_path, chapters)
    assert problems == [
        f"chapters/{chapters[0].name}: out of date with its notebook",
        f"chapters/{chapters[1].name}: missing",
        "chapters/99_gone.ipynb: its notebook is gone",
    ]
    capsys.readouterr()
    assert make_student.main(["--check", *args]) == 1
    assert "run `make student`" in capsys.readouterr().err


def test_links_to_other_chapters_lead_to_their_student_copies():
    nb = nbformat.v4.new_notebook()
    url = "https://colab.research.google.com/github/o/r/blob/main/"
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# 1. T\n\n[![Open In Colab](badge.svg)]({url}chapters/01_t.ipynb)"),
        nbformat.v4.new_markdown_cell(f"Next: [chapter 2]({url}chapters/02_u.ipynb)."),
    ]
    out = make_student.student_notebook(nb, "chapters/01_t.ipynb")
    assert f"({url}student/chapters/01_t.ipynb)" in out.cells[0].source
    assert out.cells[1].source == f"Next: [chapter 2]({url}student/chapters/02_u.ipynb)."


def test_the_badge_points_at_the_student_copy_and_a_note_follows():
    src = "# 1. T\n\n[![Open In Colab](badge.svg)](https://colab.research.google.com/github/o/r/blob/main/chapters/01_t.ipynb)\n\nText."
    out = make_student.student_badge(src, "chapters/01_t.ipynb")
    assert (
        "(https://colab.research.google.com/github/o/r/blob/main/student/chapters/01_t.ipynb)\n\n> **Student copy.**"
        in out
    )
    assert out.endswith("edit that notebook, not this copy.\n\nText.")
    with pytest.raises(ValueError, match="no Open in Colab badge"):
        make_student.student_badge("# 1. T\n\nText.", "chapters/01_t.ipynb")


def test_stub_code_keeps_the_signature_and_indentation():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n\nf"
    assert make_student.stub_code(src) == "def f(x):\n    raise NotImplementedError()\n\nf"
    with pytest.raises(ValueError, match="without ### END"):
        make_student.stub_code("### BEGIN SOLUTION\nx = 1")


def test_solution_directives_are_removed():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "Question?\n\n```{solution} ex-1\n:class: dropdown\nThe answer is 42.\n```\nAfter."
        ),
        nbformat.v4.new_markdown_cell("````{solution} ex-2\n```python\nx = 1\n```\n````"),
    ]
    out = make_student.student_notebook(nb)
    text = "\n".join(c.source for c in out.cells)
    assert "42" not in text and "x = 1" not in text and "Question?" in text and "After." in text
    assert len(out.cells) == 1


def test_gates_inside_cells_keep_the_question_and_drop_the_answer():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "## Exercises\n\n```{exercise}\n:label: a\nDo it.\n```\n\n```{solution-start} a\n:class: dropdown\n```\nProse answer."
        ),
        nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
        nbformat.v4.new_markdown_cell("More answer.\n```{solution-end}\n```\nAfter the end."),
    ]
    out = make_student.student_notebook(nb)
    assert [c.source for c in out.cells] == [
        "## Exercises\n\n```{exercise}\n:label: a\nDo it.\n```",
        "def f():\n    raise NotImplementedError()",
        "After the end.",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_copy_has_no_solution_and_is_valid(path, copies):
    original = nbformat.read(path, as_version=4)
    copy = copies[path.name]
    nbformat.validate(copy)
    text = json.dumps([c.source for c in copy.cells])
    assert "BEGIN SOLUTION" not in text and "{solution" not in text
    # a line of a solution may also stand in the chapter's own text (the chapter shows the idea, the
    # exercise asks for it again): it leaks when the copy holds it more often than the text outside
    # the solution regions does
    original_counts = Counter(line.strip() for c in original.cells for line in c.source.splitlines())
    copy_counts = Counter(line.strip() for c in copy.cells for line in c.source.splitlines())
    in_solutions = solution_lines(original)
    leaked = [line for line, n in in_solutions.items() if copy_counts[line] > original_counts[line] - n]
    assert not leaked, f"solution lines survive in the student copy: {leaked[:3]}"
    assert all(not c.get("outputs") for c in copy.cells if c.cell_type == "code")
    assert "raise NotImplementedError()" in text


def _python(src):
    return TransformerManager().transform_cell(src)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_student_stubs_fail_their_checks_with_advice(path, copies):
    """Run the setup cell, then each stubbed exercise cell and its check: the check must fail and
    tell the student to implement the function."""
    from wganlib.exercises import CheckFailed

    cells = [c for c in copies[path.name].cells if c.cell_type == "code"]
    ns = {"__name__": "__student__"}
    exec(_python(cells[0].source), ns)  # the setup cell (outside Colab: installs nothing)
    stubs = [i for i, c in enumerate(cells) if "raise NotImplementedError()" in c.source]
    assert stubs, "no stubbed exercise"
    checked = 0
    for i in stubs:
        exec(_python(cells[i].source), ns)
        follow = next((c for c in cells[i + 1 :] if re.search(r"check_\w+\(", c.source)), None)
        assert follow is not None, f"exercise cell {i} has no check after it"
        with pytest.raises(
            CheckFailed, match="not implemented yet: replace `raise NotImplementedError\\(\\)`"
        ):
            exec(_python(follow.source), ns)
        checked += 1
    assert checked == len(stubs)


HTML = os.environ.get("WGANBOOK_HTML")
COLAB_HREF = re.compile(r'href="(https://colab\.research\.google\.com/github/[^"]+)"')


@pytest.mark.skipif(not HTML, reason="run by `make links` after a book build (WGANBOOK_HTML unset)")
def test_built_pages_lead_to_the_student_copies():
    """In the built web book, a notebook page's badge, Colab launch button and .ipynb download all give
    the student copy (scripts/student_links.py), and no page opens an instructors' notebook in Colab."""
    html = Path(HTML)
    assert (html / "index.html").exists(), f"no built book in {html}: run `make structure` or `make book`"
    built = [p for p in NOTEBOOKS if (html / make_student.relative(p)).with_suffix(".html").exists()]
    assert any(make_student.relative(p).startswith("chapters/") for p in built), f"no chapter pages in {html}"
    for path in built:
        rel = make_student.relative(path)
        page = (html / rel).with_suffix(".html")
        text = page.read_text(encoding="utf-8")
        own = f"{COLAB}/blob/{BRANCH}/student/{rel}"
        links = set(COLAB_HREF.findall(text))
        assert links == {own}, f"{rel}: the page's Colab links are {sorted(links)}; expected only {own}"
        assert text.count(f'href="{own}"') >= 2, f"{rel}: the badge and the launch button must open {own}"
        assert "Colab (student copy)" in text, (
            f"{rel}: the launch button should say it opens the student copy"
        )
        download = html / "_sources" / rel
        assert download.name in text and download.exists(), f"{rel}: no .ipynb download"
        assert download.read_bytes() == (STUDENT / rel).read_bytes(), (
            f"{download} (the page's .ipynb download) must be student/{rel}"
        )
    for page in html.rglob("*.html"):
        wrong = [u for u in COLAB_HREF.findall(page.read_text(encoding="utf-8")) if "/student/" not in u]
        assert not wrong, f"{page.relative_to(html)} opens an instructors' notebook in Colab: {wrong}"


def test_the_book_extension_rewrites_only_links_to_instructors_notebooks():
    import student_links

    base = "https://colab.research.google.com/github/o/r/blob/main/"
    assert student_links.student_url(base + "chapters/01_t.ipynb") == base + "student/chapters/01_t.ipynb"
    assert student_links.student_url(base + "book/chapter_template.ipynb") == (
        base + "student/book/chapter_template.ipynb"
    )
    for other in (base + "student/chapters/01_t.ipynb", "https://github.com/o/r", base + "chapters/x.py"):
        assert student_links.student_url(other) is None
    assert student_links.student_path("chapters/01_t") == f"{make_student.STUDENT}/chapters/01_t.ipynb"
