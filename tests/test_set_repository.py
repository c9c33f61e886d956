"""`make repository` (scripts/set_repository.py): a fork changes repository.url in _config.yml, and the
notebooks' Colab badges and install lines follow, with nothing else in the files changed."""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import set_repository  # noqa: E402

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + [ROOT / "book" / "chapter_template.ipynb"]
FORK = "https://github.com/a-teacher/wgan-course.2027"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_fork_changes_the_badge_and_install_line_only(path):
    url, branch = set_repository.repository()
    text = path.read_text(encoding="utf-8")
    assert set_repository.retarget(text, url, branch) == text, (
        f"{path.name} does not point at repository.url of _config.yml: run `make repository`"
    )
    forked = set_repository.retarget(text, FORK, "spring")
    rel = path.relative_to(ROOT).as_posix()
    sources = "".join("".join(c["source"]) for c in json.loads(forked)["cells"])
    assert f"https://colab.research.google.com/github/a-teacher/wgan-course.2027/blob/spring/{rel}" in sources
    assert re.search(r'"wganlib(\[proteins\])? @ git\+' + re.escape(FORK) + '"', sources)
    assert set_repository.retarget(forked, url, branch) == text, "going back must restore the file exactly"


def test_a_repository_url_that_colab_cannot_open_is_refused(monkeypatch, tmp_path):
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://gitlab.com/me/book\n")
    monkeypatch.setattr(set_repository, "ROOT", tmp_path)
    with pytest.raises(SystemExit, match=r"write it as https://github.com/<owner>/<repo>"):
        set_repository.repository()
