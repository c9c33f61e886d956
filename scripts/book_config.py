"""Write the configuration a build uses: _config.yml, with execution set and, when scripts/vendor_js.sh
has put MathJax and the widget manager in _vendor/, pointed at those local copies.

    python scripts/book_config.py --execute cache|off --out _build/_config_book.yml [--kernel-profile DIR]

With --kernel-profile it also writes an IPython profile for the kernels that execute the book (`make book`
sets IPYTHONDIR to it): progress bars off (a bar means nothing on a static page) and minimal tracebacks (a
cell that raises on purpose shows the error message, not the build machine's paths). When the profile
changes, the execution cache is cleared, so that no page keeps outputs made without it.

    python scripts/book_config.py --test-profile _build/ipython-test

writes the profile of the notebook tests' kernels (`make notebooks`, `make robustness`, the bench's book
timing): progress bars off, full tracebacks. nbval reads a kernel's messages only when a cell has ended;
the messages of a widget bar in a long cell overflow the queue, and a dropped end-of-cell message fails the
cell. Notebooks opened in Jupyter or Colab keep their bars.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_vendor"
WIDGETS_CDN = "https://cdn.jsdelivr.net/npm/"
TEST_IPYTHON = ROOT / "_build" / "ipython-test"  # the notebook tests' kernels (see write_test_profile)
EXECUTION_CACHE = ROOT / "_build" / ".jupyter_cache"  # Jupyter Book 1's default execute.execution_cache_path

KERNEL_CONFIG = """\
# Written by scripts/book_config.py for the kernels of `make book`.
# Tracebacks of cells that raise on purpose: the error type and message only, no file paths.
c.InteractiveShell.xmode = "Minimal"
"""

KERNEL_STARTUP = """\
# Written by scripts/book_config.py for the kernels of `make book` (no progress bars in the web book) and of
# the notebook tests (nbval reads a kernel's messages only after a cell ends, and the messages that a widget
# bar sends during a long cell overflow the message queue: zmq then drops some, the cell's end among them,
# and nbval fails the cell with "Timeout of 5 seconds exceeded waiting for output").
# TQDM_DISABLE alone is not enough: tqdm.notebook (tqdm.auto in Jupyter) passes disable=False itself,
# and so does any call with an explicit disable=. Every tqdm bar is built by tqdm.std.tqdm.__init__.
import tqdm.std


def _book_tqdm_init(self, *args, _init=tqdm.std.tqdm.__init__, **kwargs):
    kwargs["disable"] = True
    _init(self, *args, **kwargs)


tqdm.std.tqdm.__init__ = _book_tqdm_init
del _book_tqdm_init
"""


def build_config(execute: str) -> tuple[dict, bool]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = execute
    # local extensions' paths are relative to the config file, which this one is not beside
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str((ROOT / path).resolve())
    # static paths too (the book's CSS); Sphinx would take them relative to the source folder
    sphinx = config.get("sphinx", {}).get("config") or {}
    if "html_static_path" in sphinx:
        sphinx["html_static_path"] = [str((ROOT / path).resolve()) for path in sphinx["html_static_path"]]
    offline = (VENDOR / ".complete").exists()
    if offline:
        sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
        sphinx["html_static_path"] = [*sphinx.get("html_static_path", []), str(VENDOR)]
        sphinx["mathjax_path"] = "mathjax/tex-chtml.js"  # relative to the built _static/
        sphinx["nb_ipywidgets_js"] = {
            "requirejs/require.js": {},
            # widgets outside the standard set would still come from the CDN
            "html-manager/embed-amd.js": {"data-jupyter-widgets-cdn": WIDGETS_CDN},
        }
        config.setdefault("exclude_patterns", []).append("_vendor")
    return config, offline


def write_kernel_profile(ipython_dir: Path) -> None:
    """Write the book kernels' IPython profile; clear the execution cache when the profile changed."""
    profile = ipython_dir / "profile_default"
    files = {
        profile / "ipython_kernel_config.py": KERNEL_CONFIG,
        profile / "startup" / "00-book.py": KERNEL_STARTUP,
    }
    changed = any(not f.exists() or f.read_text() != text for f, text in files.items())
    for f, text in files.items():
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    if changed and EXECUTION_CACHE.exists():
        shutil.rmtree(EXECUTION_CACHE)
        print("book_config: the kernels' profile changed; cleared the execution cache (notebooks run again)")


def write_test_profile(ipython_dir: Path) -> Path:
    """The IPython dir of the notebook tests' kernels (`make notebooks`, `make robustness`, the bench's
    book timing): the book's startup file without its other settings (full tracebacks in tests)."""
    startup = ipython_dir / "profile_default" / "startup" / "00-book.py"
    startup.parent.mkdir(parents=True, exist_ok=True)
    if not startup.exists() or startup.read_text() != KERNEL_STARTUP:
        startup.write_text(KERNEL_STARTUP)
    return ipython_dir


def notebook_test_env(env: dict | None = None) -> dict:
    """``env`` (default: this process's) with IPYTHONDIR at the notebook tests' profile (no progress bars)."""
    return {**(os.environ if env is None else env), "IPYTHONDIR": str(write_test_profile(TEST_IPYTHON))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--execute", choices=["cache", "off", "force", "auto"], default="cache")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--kernel-profile", type=Path, help="write the book kernels' IPython dir here")
    parser.add_argument("--test-profile", type=Path, help="write only the notebook tests' IPython dir here")
    args = parser.parse_args()
    if args.test_profile:
        write_test_profile(args.test_profile)
        return
    if args.out is None:
        parser.error("--out is required (unless --test-profile)")
    if args.kernel_profile:
        write_kernel_profile(args.kernel_profile)
    config, offline = build_config(args.execute)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(yaml.safe_dump(config, sort_keys=False))
    where = (
        "local copies in _vendor/"
        if offline
        else "CDNs (run scripts/vendor_js.sh with npm for offline pages)"
    )
    print(f"book_config: execution {args.execute}; MathJax and widgets from {where}")


if __name__ == "__main__":
    main()
