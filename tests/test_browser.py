"""The built book in a real browser (headless Chromium), with the network unusable: math is typeset by
the local MathJax, the Colab button opens the right notebook, solutions are hidden.

`make browser` (part of `make test`) builds the structure, installs Chromium where it can, and runs this
file with WGANBOOK_HTML pointing at the built pages; elsewhere these tests skip and say why.
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = os.environ.get("WGANBOOK_HTML")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
REPO = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
SHOTS = ROOT / "_build" / "browser"

pytestmark = [
    pytest.mark.skipif(
        not HTML, reason="run by `make browser` after the structure build (WGANBOOK_HTML unset)"
    ),
    pytest.mark.skipif(
        CHROMIUM is None, reason="no Chromium: `apt-get install chromium` (Debian) to run the browser test"
    ),
    pytest.mark.skipif(
        not (ROOT / "_vendor" / ".complete").exists(),
        reason="MathJax is not vendored (npm was unavailable), so pages need the network for math",
    ),
]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: the network is unusable
    "--virtual-time-budget=15000",
]


def chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
    return out.stdout


def pages():
    if not HTML:
        return []
    chapters = sorted((Path(HTML) / "chapters").glob("*.html"))
    return chapters[:2] or sorted((Path(HTML) / "book").glob("chapter_template.html"))


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_page_in_a_browser(page):
    dom = chromium("--dump-dom", page.as_uri())
    assert "</html>" in dom, "the browser returned no page"
    typeset = dom.count("<mjx-container")
    assert typeset > 0, "no math was typeset: MathJax did not load (is it served from _static/mathjax?)"
    rel = page.relative_to(HTML).with_suffix(".ipynb").as_posix()
    owner_repo = REPO["url"].rstrip("/").removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/{REPO['branch']}/{rel}"
    assert f'href="{colab}"' in dom, f"no launch link to {colab}"
    solutions = re.findall(r'<div class="solution[^"]*"', dom)
    assert solutions, "the page has no solution block"
    assert all("toggle-hidden" in s for s in solutions), f"solutions not hidden: {solutions}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{page.stem}.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000, "no screenshot"
