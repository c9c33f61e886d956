"""Point every notebook at the repository named in _config.yml (`make repository`, after a fork).

    python scripts/set_repository.py

``repository.url`` and ``repository.branch`` of ``_config.yml`` are the one place the book's home is
written. Each notebook also carries it twice, because Colab needs literal links: the "Open in Colab"
badge of its first cell and the ``%pip install "wganlib @ git+<url>"`` line of its setup cell. This
script rewrites both in ``chapters/*.ipynb`` and ``book/chapter_template.ipynb`` to match
``_config.yml`` (nothing else changes, the JSON keeps its formatting), then regenerates the student
copies (``make student``). tests/test_conventions.py checks that they agree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COLAB = re.compile(r"https://colab\.research\.google\.com/github/[\w.-]+/[\w.-]+/blob/[\w.-]+/")
PIP = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+?(?=[\"'\s]|$)")


def repository() -> tuple[str, str]:
    """``(url, branch)`` from _config.yml, with a clear error when the URL is not a GitHub repository."""
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    url, branch = str(repo["url"]).rstrip("/"), str(repo.get("branch", "main"))
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise SystemExit(
            f"repository.url in _config.yml is {url!r}; write it as https://github.com/<owner>/<repo> "
            "(Colab opens notebooks from GitHub only)"
        )
    return url, branch


def retarget(text: str, url: str, branch: str) -> str:
    """The notebook file's text with its Colab links and git+ install URLs pointing at ``url``."""
    owner_repo = url.removeprefix("https://github.com/")
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/"
    nb = json.loads(text)
    for cell in nb["cells"]:
        lines = cell["source"] if isinstance(cell["source"], list) else [cell["source"]]
        lines = [PIP.sub(f"git+{url}", COLAB.sub(colab, line)) for line in lines]
        cell["source"] = lines if isinstance(cell["source"], list) else lines[0]
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main() -> int:
    url, branch = repository()
    changed = 0
    for path in sorted((ROOT / "chapters").glob("*.ipynb")) + [ROOT / "book" / "chapter_template.ipynb"]:
        old = path.read_text(encoding="utf-8")
        new = retarget(old, url, branch)
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed += 1
            print(f"{path.relative_to(ROOT)}: badge and install line now point at {url} ({branch})")
    print(f"set_repository: {changed} notebook(s) rewritten for {url}")
    sys.path.insert(0, str(ROOT / "scripts"))
    import make_student

    return make_student.main([])


if __name__ == "__main__":
    sys.exit(main())
