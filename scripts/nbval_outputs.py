"""A pytest plugin for ``scripts/robustness.py``: after each notebook cell that nbval runs, append the
cell's source and what it printed (stdout, and the plain-text form of its displayed value; progress bars
go to stderr) as one JSON line to the file named by ``NBVAL_OUTPUTS``. Loaded with
``-p scripts.nbval_outputs`` from the repository's root; does nothing when the variable is unset.
"""

from __future__ import annotations

import json
import os

import pytest


def _text(output: dict) -> str:
    if output.get("output_type") == "stream" and output.get("name") == "stdout":
        text = output.get("text", "")
    elif output.get("output_type") == "execute_result":
        text = output.get("data", {}).get("text/plain", "")
    else:
        return ""
    return text if isinstance(text, str) else "".join(text)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    path = os.environ.get("NBVAL_OUTPUTS")
    outs = getattr(item, "test_outputs", None)  # nbval fills it as the cell runs, also when the cell fails
    if call.when != "call" or not path or outs is None:
        return None
    cell = getattr(item, "cell", None)
    source = cell.get("source", "") if isinstance(cell, dict) else getattr(cell, "source", "")
    record = {"cell": item.name, "source": source, "stdout": "".join(map(_text, outs)), "passed": call.excinfo is None}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    return None
