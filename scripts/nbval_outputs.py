"""A pytest plugin for ``scripts/robustness.py``: after each notebook cell that nbval runs, append the
cell's source and what it printed (stdout only; progress bars go to stderr) as one JSON line to the
file named by ``NBVAL_OUTPUTS``. Loaded with ``-p nbval_outputs``; does nothing when the variable is unset.
"""

from __future__ import annotations

import json
import os


def pytest_runtest_makereport(item, call):
    path = os.environ.get("NBVAL_OUTPUTS")
    outs = getattr(item, "test_outputs", None)
    if call.when != "call" or not path or outs is None:
        return None
    text = "".join(
        "".join(o.get("text", "")) for o in outs if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )
    cell = getattr(item, "cell", None)
    source = cell.get("source", "") if isinstance(cell, dict) else getattr(cell, "source", "")
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"cell": item.name, "source": source, "stdout": text, "passed": call.excinfo is None}) + "\n")
    return None
