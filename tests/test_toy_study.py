"""wganlib.toy_study: chapter 4's study of the toy recipe, its fingerprint and the committed results."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wganlib import toy_study

ROOT = Path(__file__).resolve().parent.parent


def test_a_short_run_records_checkpoints_and_samples_with_the_toy_recipe():
    r = toy_study.run("8gaussians", 0, steps=4, every=2)
    assert r["settings"]["preset"] == "toy" and r["steps"] == 4
    assert [c["step"] for c in r["checkpoints"]] == [2, 4]
    assert all(c["modes"] is not None and c["w1_over_floor"] > 0 for c in r["checkpoints"])
    assert len(r["samples"]) == toy_study.KEEP and len(r["samples"][0]) == 2
    roll = toy_study.run("swissroll", 1, steps=3, every=2)  # no modes; a last checkpoint at the end
    assert [c["step"] for c in roll["checkpoints"]] == [2, 3] and roll["checkpoints"][0]["modes"] is None


def test_a_run_is_reproducible():
    a = toy_study.run("25gaussians", 2, steps=2, every=2)
    b = toy_study.run("25gaussians", 2, steps=2, every=2)
    assert a["samples"] == b["samples"] and a["checkpoints"][0]["w1_over_floor"] == b["checkpoints"][0]["w1_over_floor"]
    assert a["samples"] != toy_study.run("25gaussians", 3, steps=2, every=2)["samples"]


def test_unknown_data_set_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown data set 'moons'.*25gaussians"):
        toy_study.run("moons", 0, steps=2)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="every"):
        toy_study.run("8gaussians", 0, steps=2, every=0)
    with pytest.raises(ValueError, match="steps"):
        toy_study.run("8gaussians", 0, steps=0)


def test_fingerprint_ignores_comments_docstrings_and_blank_lines_but_not_code(tmp_path, monkeypatch):
    from wganlib import _fingerprint

    code = 'X = 1  # a comment\n\n\ndef f(a):\n    """Doc."""\n    return a + X  # why\n'
    (tmp_path / "m.py").write_text(code)
    monkeypatch.setattr(_fingerprint, "PACKAGE", tmp_path)
    base = _fingerprint.code_fingerprint([("m.py", ("X", "f"))])
    assert len(base) == 12
    (tmp_path / "m.py").write_text('X = 1\ndef f(a):\n    """Other words,\n    two lines."""\n    return a + X\n')
    assert _fingerprint.code_fingerprint([("m.py", ("X", "f"))]) == base
    (tmp_path / "m.py").write_text(code.replace("a + X", "a - X"))
    assert _fingerprint.code_fingerprint([("m.py", ("X", "f"))]) != base
    assert _fingerprint.code_fingerprint([("m.py", ("f",))]) != base
    with pytest.raises(ValueError, match="no top-level g"):
        _fingerprint.code_fingerprint([("m.py", ("f", "g"))])


def _other_pythons():
    """Interpreters of other versions on this machine (pyenv's or on PATH), to compare the hash."""
    found = [shutil.which(f"python3.{v}") for v in (10, 12, 13, 14)]
    found += [str(p) for p in Path.home().glob(".pyenv/versions/3.1[02-9]*/bin/python3")]
    working = []
    for python in sorted({p for p in found if p}):  # a pyenv shim may name a version it cannot run
        ran = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
        if ran.returncode == 0 and ran.stdout.strip() != str(sys.version_info[:2]):
            working.append(python)
    return working


def test_fingerprints_are_the_same_under_other_pythons():
    """Colab runs a newer Python than CI: the hashes the chapters check must not depend on it (they did
    while they hashed ast.dump, whose output changed in Python 3.12 and 3.13)."""
    import wganlib.augment as augment  # the protein study's hash goes through the same function

    pythons = _other_pythons()
    if not pythons:
        pytest.skip("no other Python version on this machine")
    script = (
        "import importlib.util, json, sys\n"
        f"spec = importlib.util.spec_from_file_location('fp', {str(ROOT / 'wganlib' / '_fingerprint.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "parts = [(f, None if n is None else tuple(n)) for f, n in json.loads(sys.argv[1])]\n"
        "print(m.code_fingerprint(parts))\n"
    )
    for python in pythons:
        done = subprocess.run([python, "-c", script, json.dumps(toy_study.FINGERPRINT_PARTS)], capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == toy_study.fingerprint(), python
    assert len(augment.protocol_fingerprint()) == 12


def test_the_study_path_is_in_the_package():
    assert str(toy_study.study_path()).endswith("results/toy_study.json")


def test_committed_study_was_made_by_this_code_and_is_complete():
    """Chapter 4 reads the committed study; a change to the code it fingerprints must come with a rerun
    of ``make toy-study`` (the chapter checks the same). ``load`` checks that it is complete."""
    study = toy_study.load()
    assert study["fingerprint"] == toy_study.fingerprint(), (
        "wganlib/results/toy_study.json was made by other code: rerun make toy-study (benchmarks/toy_study.py)"
    )
    assert all(r["settings"]["preset"] == "toy" for r in study["runs"])


def test_load_refuses_a_missing_or_incomplete_study(tmp_path):
    with pytest.raises(FileNotFoundError, match="make toy-study"):
        toy_study.load(tmp_path / "none.json")
    study = toy_study.load()
    partial = dict(study, runs=study["runs"][:-1])
    (tmp_path / "partial.json").write_text(json.dumps(partial))
    with pytest.raises(ValueError, match="rerun make toy-study"):
        toy_study.load(tmp_path / "partial.json")
    short = dict(study, runs=[dict(r, checkpoints=r["checkpoints"][:1]) for r in study["runs"]])
    (tmp_path / "short.json").write_text(json.dumps(short))
    with pytest.raises(ValueError, match="checkpoints"):
        toy_study.load(tmp_path / "short.json")


def test_the_runner_makes_a_smoke_study_only_into_another_file(tmp_path):
    refused = subprocess.run([sys.executable, "benchmarks/toy_study.py", "--steps", "2"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert refused.returncode != 0 and "give --out" in refused.stderr
    out = tmp_path / "study.json"
    cmd = [sys.executable, "benchmarks/toy_study.py", "--steps", "2", "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    study = json.loads(out.read_text())
    assert study["fingerprint"] == toy_study.fingerprint() and len(study["runs"]) == 15
    assert "25gaussians, 2 steps" in done.stdout
    with pytest.raises(ValueError, match="rerun make toy-study"):
        toy_study.load(out)  # a smoke study is not the study
    summary = subprocess.run([sys.executable, "benchmarks/toy_study.py", "--summary", "--out", str(out)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
    assert summary.returncode == 0 and "swissroll, 2 steps" in summary.stdout


def test_a_run_leaves_the_callers_random_state_alone():
    import torch

    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    toy_study.run("8gaussians", 1, steps=2, every=2, device="cpu")
    assert torch.equal(torch.rand(3), expected)


def test_fingerprint_cuts_docstrings_by_character_even_after_non_ascii_text(tmp_path, monkeypatch):
    from wganlib import _fingerprint

    monkeypatch.setattr(_fingerprint, "PACKAGE", tmp_path)
    (tmp_path / "m.py").write_text('def f():\n    """Λ = 1, ±c."""; return 2\n')
    assert _fingerprint.source_text("m.py", ("f",)) == "def f():\n    ; return 2"
    (tmp_path / "m.py").write_text('def f():\n    if True:\n        "not a docstring"\n    return 2\n')
    assert '"not a docstring"' in _fingerprint.source_text("m.py", ("f",))
