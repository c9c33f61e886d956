"""The built book in a real browser, as a reader sees it: headless Chromium, driven over the DevTools
protocol, with the network unusable.

On every page: math is typeset by the local MathJax, the Colab link opens the right notebook, solutions
are hidden, every code block shows its widest line (no horizontal scroll bar at 1280 px), and on a phone
(400 px) the sidebar folds away and nothing overflows. On the pages of the executed book (`make book`),
also: no empty output box (such as a progress bar stored without its widget state), no path of the build
machine in an output, and figures drawn for the column (not shrunk to unreadable text).

`make browser` (part of `make test`) runs this file with WGANBOOK_HTML listing the builds to check,
separated by ':': the structure build, and the executed book in _build/html when `make book` has built
it. Without WGANBOOK_HTML or Chromium these tests skip and say why. Screenshots of each page, at 1280 px
and at 400 px, are saved in _build/browser/<build>/.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILDS = [Path(p) for p in os.environ.get("WGANBOOK_HTML", "").split(os.pathsep) if p]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
REPO = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
SHOTS = ROOT / "_build" / "browser"

DESKTOP = (1280, 1000)  # a laptop window
PHONE = (400, 860)  # a phone held upright
# A figure drawn N times wider (in pixels) than the column shows it has its text shrunk N times: 10-point
# labels at matplotlib's 100 dpi are 14 px tall, so at 1.4 they are 10 px, about the smallest one reads.
MAX_SHRINK = 1.4
# Text in an output that gives away the build machine (tracebacks, file names, warnings).
MACHINE_PATHS = sorted({str(ROOT), "/work/", "site-packages", "dist-packages", "/tmp/", f"{Path.home()}/"})

pytestmark = [
    pytest.mark.skipif(
        not BUILDS, reason="run by `make browser` after the structure build (WGANBOOK_HTML unset)"
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
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: the network is unusable
    "--remote-debugging-pipe",  # DevTools protocol on file descriptors 3 (commands) and 4 (replies)
]


class Browser:
    """One headless Chromium and one tab, driven with DevTools protocol messages over a pipe."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="wganbook-chromium-")
        cmd_read, self.cmd_write = os.pipe()
        self.reply_read, reply_write = os.pipe()
        self.proc = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{cmd_read} 4>&{reply_write}', CHROMIUM, *FLAGS,
             f"--user-data-dir={self.profile}"],
            pass_fds=(cmd_read, reply_write), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(cmd_read)
        os.close(reply_write)
        self.buffer, self.last_id, self.events = b"", 0, []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", tab=True)

    def _receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.reply_read], [], [], left)[0]:
                raise TimeoutError(f"Chromium sent nothing for {timeout:.0f} s")
            chunk = os.read(self.reply_read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium exited")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, tab: bool = False, timeout: float = 60, **params) -> dict:
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params}
        if tab:
            message["sessionId"] = self.session
        os.write(self.cmd_write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout)
            if reply.get("id") == self.last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def open(self, url: str, size: tuple[int, int], timeout: float = 60) -> None:
        width, height = size
        self.send("Emulation.setDeviceMetricsOverride", tab=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 700)  # fmt: skip
        self.events.clear()
        self.send("Page.navigate", tab=True, url=url)
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._receive(max(deadline - time.monotonic(), 0.1)))

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", tab=True, expression=expression, returnByValue=True,
                           awaitPromise=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            base64.b64decode(self.send("Page.captureScreenshot", tab=True, format="png")["data"])
        )

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


# Wait until math is typeset and widgets are drawn, then open what a reader can open (solutions, hidden
# inputs) so that their code is measured too.
SETTLE = """(async () => {
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  for (let i = 0; i < 50 && views.length && !document.querySelector('.jupyter-widgets'); i++) {
    await new Promise(r => setTimeout(r, 100));
  }
  await new Promise(r => setTimeout(r, 300));
  return document.documentElement.outerHTML;
})()"""

UNFOLD = """(() => {
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('details').forEach(d => { d.open = true; });
})()"""

MEASURE_DESKTOP = """(() => {
  const text = e => (e.textContent || '').trim();
  const code = [...document.querySelectorAll('article pre')].map(pre => ({
    scroll: pre.scrollWidth, client: pre.clientWidth, where: pre.closest('.cell_output') ? 'output' : 'code',
    widest: text(pre).split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 140),
  }));
  const figures = [...document.querySelectorAll('.cell_output img')].map(img => ({
    src: img.getAttribute('src'), natural: img.naturalWidth, shown: img.getBoundingClientRect().width,
  }));
  // an output area that takes room on the page and shows nothing: no visible text (innerText leaves out a
  // widget view's script), picture, math or drawn widget
  const empty = [...document.querySelectorAll('.cell_output > *')].filter(out => {
    const box = out.getBoundingClientRect();
    const drawn = 'img, svg, canvas, mjx-container, table, .jupyter-widgets';
    const shows = out.innerText.trim() || out.matches(drawn) || out.querySelector(drawn);
    return box.height > 8 && !shows;
  }).map(out => ({height: Math.round(out.getBoundingClientRect().height), html: out.outerHTML.slice(0, 300),
                  cell: text(out.closest('.cell').querySelector('.cell_input') || out).slice(0, 120)}));
  const state = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  const models = state ? Object.keys(JSON.parse(state.textContent).state || {}) : [];
  const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')]
    .map(s => JSON.parse(s.textContent).model_id);
  const outputs = [...document.querySelectorAll('.cell_output')].map(text);
  const firstFigure = document.querySelector('.cell_output img');
  return {code, figures, empty, models, views, outputs, hasOutputs: outputs.length > 0,
          article: document.querySelector('article').getBoundingClientRect().width,
          figureTop: firstFigure ? firstFigure.closest('.cell').getBoundingClientRect().top + scrollY : null};
})()"""

# Click the visible sidebar button ("primary": navigation, "secondary": the page's contents); say whether
# its dialog opened with links in it (book/_theme/wganbook.js makes these buttons work).
OPEN_SIDEBAR = """(async (which) => {
  const button = [...document.querySelectorAll(`button.${which}-toggle`)]
    .find(b => b.getBoundingClientRect().width > 0);
  if (!button) { return 'no visible button'; }
  button.click();
  await new Promise(r => setTimeout(r, 500));
  const dialog = document.querySelector(`#pst-${which}-sidebar-modal`);
  return !!dialog && dialog.open && dialog.querySelectorAll('a').length > 0;
})"""

MEASURE_PHONE = """(() => {
  const sidebar = document.querySelector('.bd-sidebar-primary');
  const box = sidebar ? sidebar.getBoundingClientRect() : null;
  const style = sidebar ? getComputedStyle(sidebar) : null;
  const toggles = [...document.querySelectorAll('button.primary-toggle')];
  return {
    window: innerWidth, page: document.documentElement.scrollWidth, body: document.body.scrollWidth,
    sidebarShown: !!sidebar && style.display !== 'none' && style.visibility !== 'hidden'
                  && box.right > 0 && box.left < innerWidth && box.width > 0,
    toggleShown: toggles.some(t => t.getBoundingClientRect().width > 0),
    // elements that reach past the window's right edge (code blocks scroll inside themselves)
    wide: [...document.querySelectorAll('article *')].filter(e => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > innerWidth + 1 && !e.closest('pre, .highlight, mjx-container, table');
    }).slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + Math.round(e.getBoundingClientRect().right)),
  };
})()"""


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


def build_name(build: Path) -> str:
    return "structure" if "structure" in build.parts else "book"


def pages() -> list[tuple[Path, Path]]:
    found = []
    for build in BUILDS:
        chapters = sorted((build / "chapters").glob("*.html"))
        found += [(build, p) for p in [build / "book" / "intro.html", *chapters] if p.exists()]
    return found


PAGES = pages()
CHAPTERS = [(b, p) for b, p in PAGES if p.parent.name == "chapters"]


def page_id(item) -> str:
    build, page = item
    return f"{build_name(build)}/{page.stem}"


@functools.cache
def visit(build: Path, page: Path, size: tuple[int, int], browser: Browser) -> dict:
    """Open the page at this window size, measure it, and save a screenshot."""
    browser.open(page.as_uri(), size)
    dom = browser.js(SETTLE)
    shot = SHOTS / build_name(build) / f"{page.stem}-{'phone' if size == PHONE else 'desktop'}.png"
    if size == PHONE:
        found = browser.js(MEASURE_PHONE)
        browser.screenshot(shot)
        found["navigation opens"] = browser.js(f"{OPEN_SIDEBAR}('primary')")
    else:
        found = browser.js(MEASURE_DESKTOP)  # before unfolding: outputs as a reader first sees them
        browser.js(UNFOLD)
        found["code"] = browser.js(MEASURE_DESKTOP)["code"]
        if found["figureTop"] is not None:  # the first figure, under the code that draws it
            browser.js(f"window.scrollTo(0, {max(found['figureTop'] - 60, 0)})")
        browser.screenshot(shot)
        found["contents open"] = browser.js(f"{OPEN_SIDEBAR}('secondary')")
    assert shot.exists() and shot.stat().st_size > 10_000, f"no screenshot of {page.name}"
    found["dom"] = dom
    return found


@pytest.mark.parametrize("item", CHAPTERS, ids=page_id)
def test_chapter_page(item, browser):
    build, page = item
    found = visit(build, page, DESKTOP, browser)
    dom = found["dom"]
    assert "</html>" in dom, "the browser returned no page"
    assert dom.count("<mjx-container") > 0, (
        "no math was typeset: MathJax did not load (from _static/mathjax?)"
    )
    owner_repo = REPO["url"].rstrip("/").removeprefix("https://github.com/")
    colab = re.compile(
        rf'href="https://colab\.research\.google\.com/github/{re.escape(owner_repo)}/blob/{REPO["branch"]}/'
        rf'(student/)?chapters/{re.escape(page.stem)}\.ipynb"'
    )
    assert colab.search(dom), f"no Colab link to chapters/{page.stem}.ipynb (or its student copy)"
    solutions = re.findall(r'<div class="solution[^"]*"', dom)
    assert solutions, "the page has no solution block"
    assert all("toggle-hidden" in s for s in solutions), f"solutions not hidden: {solutions}"
    assert found["contents open"] is True, (
        f"the page's contents do not open from their button at {DESKTOP[0]} px ({found['contents open']}); "
        "see book/_theme/wganbook.js"
    )


@pytest.mark.parametrize("item", PAGES, ids=page_id)
def test_code_fits_the_column(item, browser):
    """At 1280 px every line of code (cells, their text outputs, solutions) shows without scrolling."""
    found = visit(*item, DESKTOP, browser)
    assert found["code"] or item[1].stem == "intro", "no code block found on a chapter page"
    cut = [c for c in found["code"] if c["scroll"] > c["client"]]
    assert not cut, (
        f"{len(cut)} code block(s) wider than the column at {DESKTOP[0]} px; the reader must scroll to see "
        "their end. Shorten these lines (or widen the column in book/_theme/wganbook.css):\n"
        + "\n".join(f"  {c['where']}: {c['scroll']} px in {c['client']} px: {c['widest']!r}" for c in cut)
    )


def executed(found: dict) -> None:
    if not found["hasOutputs"]:
        pytest.skip("no outputs on this page (structure build: notebooks not executed)")


@pytest.mark.parametrize("item", CHAPTERS, ids=page_id)
def test_outputs_are_for_a_reader(item, browser):
    """No empty boxes (progress bars without their widget state), no paths of the build machine."""
    found = visit(*item, DESKTOP, browser)
    executed(found)
    stateless = sorted(set(found["views"]) - set(found["models"]))
    assert not stateless, (
        f"{len(stateless)} widget output(s) without their state draw as empty boxes (progress bars?); "
        "`make book` builds with tqdm disabled (scripts/book_config.py): was the page built another way?"
    )
    assert not found["empty"], "output boxes that show nothing:\n" + "\n".join(
        f"  {e['height']} px after {e['cell']!r}: {e['html']}" for e in found["empty"]
    )
    leaks = [(p, out) for out in found["outputs"] for p in MACHINE_PATHS if p in out]
    assert not leaks, "outputs show paths of the build machine:\n" + "\n".join(
        f"  {p!r} in: {out[max(out.find(p) - 100, 0) : out.find(p) + 100]!r}" for p, out in leaks
    )


@pytest.mark.parametrize("item", CHAPTERS, ids=page_id)
def test_figures_fit_the_column(item, browser):
    """Figures are drawn for the column: shown at 1280 px, none is shrunk more than MAX_SHRINK times."""
    found = visit(*item, DESKTOP, browser)
    executed(found)
    shrunk = [f for f in found["figures"] if f["natural"] > MAX_SHRINK * f["shown"]]
    assert not shrunk, (
        f"figures shrunk more than {MAX_SHRINK}x into the {found['article']:.0f} px article, their text too "
        "small to read; draw them narrower (figsize) or stack the panels:\n"
        + "\n".join(f"  {f['src']}: {f['natural']} px shown at {f['shown']:.0f} px" for f in shrunk)
    )


@pytest.mark.parametrize("item", PAGES, ids=page_id)
def test_phone_width(item, browser):
    """At 400 px the sidebar folds away (its button shows) and the page is no wider than the window."""
    found = visit(*item, PHONE, browser)
    assert not found["sidebarShown"], "the navigation sidebar stays open on a phone-sized window"
    assert found["toggleShown"], "no button to open the navigation on a phone-sized window"
    assert found["navigation opens"] is True, (
        f"the navigation button does nothing on a phone ({found['navigation opens']}); see book/_theme/wganbook.js"
    )
    assert found["page"] <= found["window"], (
        f"the page is {found['page']} px wide in a {found['window']} px window (scrolls sideways): "
        f"{found['wide']}"
    )
