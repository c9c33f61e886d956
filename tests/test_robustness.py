"""scripts/robustness.py's spread report, its output plugin and the notebook tests' kernel profile."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import book_config  # noqa: E402
import robustness  # noqa: E402


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_spread_report_groups_offsets_and_marks_failures(tmp_path, monkeypatch):
    monkeypatch.setattr(robustness, "OUTPUTS", tmp_path)
    chapter = Path("chapters/99_example.ipynb")
    same = {"cell": "Cell 2", "source": "x = 1\nassert x == 1\n", "stdout": "x is 1\n", "passed": True}
    quiet = {"cell": "Cell 5", "source": "assert True", "stdout": "", "passed": True}
    helper = {"cell": "Cell 7", "source": "torch.testing.assert_close(a, b)\nassert_close(a, b)", "stdout": "ok",
              "passed": True}  # fmt: skip
    for k, (value, ok) in enumerate([(0.91, True), (0.87, True), (0.42, False)]):
        varying = {"cell": "Cell 10", "source": "    assert score > 0.5, score", "stdout": f"score {value}",
                   "passed": ok}  # fmt: skip
        compute = {"cell": "Cell 9", "source": "score = fit()", "stdout": f"fitted, seed {k}", "passed": True}
        _write(robustness.outputs_file(chapter, k), [same, quiet, helper, compute, varying])
    text = robustness.spread_report([chapter], [0, 1, 2, 3], "header")
    assert text.startswith("# What the asserting cells printed") and "## 99_example.ipynb" in text
    # cell 2 printed the same everywhere it ran, but offset 3 did not run: listed per offset
    assert "offset 3:\n\n```text\n(not run)\n```" in text
    assert "score 0.91" in text and "score 0.42" in text and "offset 2 (the cell FAILED):" in text
    # what the cells since the previous asserting cell printed comes first, marked with their numbers
    assert "[cell 9] fitted, seed 1\nscore 0.87" in text and "(with what cells 7, 9 before it printed)" in text
    assert "### nbval cell 7" not in text, "assert_close(...) is not an assert statement"
    assert "since the previous assert: 5." in text
    assert text.index("nbval cell 2") < text.index("nbval cell 10"), "cells in notebook order (2 before 10)"
    # with every offset run and passing, a deterministic cell is shown once
    text = robustness.spread_report([chapter], [0, 1], "header")
    assert "the same at every offset (0, 1):" in text


def test_test_profile_turns_widget_bars_off(tmp_path):
    """The notebook tests' kernels (IPYTHONDIR from notebook_test_env) build every tqdm bar disabled, also
    tqdm.auto's widget bar, which passes disable=False itself."""
    from jupyter_client.manager import start_new_kernel

    env = book_config.notebook_test_env()
    assert Path(env["IPYTHONDIR"]) == book_config.TEST_IPYTHON
    printed = []
    code = "from tqdm.auto import tqdm\nprint('disabled:', tqdm(range(3), disable=False).disable)"
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:
        reply = kc.execute_interactive(
            code, timeout=60, output_hook=lambda msg: printed.append(msg["content"].get("text", ""))
        )
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok" and "disabled: True" in "".join(printed)


@pytest.mark.parametrize("fails", [False, True])
def test_output_plugin_records_each_cell(tmp_path, fails):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 21 * 2\nprint('x =', x)"),
                nbformat.v4.new_code_cell(f"print('checking')\nassert x == {41 if fails else 42}")]  # fmt: skip
    path = tmp_path / "example.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "outputs.jsonl"
    env = {**book_config.notebook_test_env(), "NBVAL_OUTPUTS": str(out)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q", "-p", "no:cacheprovider",
         "-p", "scripts.nbval_outputs", str(path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == (1 if fails else 0), proc.stdout[-2000:]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["stdout"].strip() for r in records] == ["x = 42", "checking"]
    assert [r["passed"] for r in records] == [True, not fails] and "assert x ==" in records[1]["source"]
