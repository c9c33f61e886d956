"""What each chapter's setup cell does inside Colab: install the library from this repository, keep
Colab's torch, print the device."""

import re
import sys
import types
from pathlib import Path

import nbformat
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
REPO_URL = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + [ROOT / "book" / "chapter_template.ipynb"]


class FakeShell:
    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, *args, **kwargs):
        self.magics.append((name, line))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_setup_cell_in_colab(path, monkeypatch, capsys):
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    code = TransformerManager().transform_cell(setup.source)
    shell = FakeShell()
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(code, {"get_ipython": lambda: shell, "__name__": "__colab__"})
    assert len(shell.magics) == 1, f"expected exactly one %pip line, got {shell.magics}"
    name, line = shell.magics[0]
    extra = "[proteins]" if path.name.startswith("06") else ""
    assert name == "pip"
    assert line == f'install -q "wganlib{extra} @ git+{REPO_URL}"', line
    assert "torch" not in re.sub(r"wganlib\S*", "", line), "never reinstall Colab's torch"
    assert "running on" in capsys.readouterr().out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_setup_cell_outside_colab_installs_nothing(path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    shell = FakeShell()
    exec(TransformerManager().transform_cell(setup.source), {"get_ipython": lambda: shell})
    assert shell.magics == []


def test_pyproject_keeps_colabs_torch():
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"dependencies = \[(.*?)\]", text, re.S).group(1)
    assert re.search(r'"torch>=[\d.]+"', deps), "wganlib must ask only for a lower bound of torch"
    assert "==" not in deps
