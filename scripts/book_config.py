"""Write the configuration a build uses: _config.yml, with execution set and, when scripts/vendor_js.sh
has put MathJax and the widget manager in _vendor/, pointed at those local copies.

    python scripts/book_config.py --execute cache|off --out _build/_config_book.yml
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_vendor"
WIDGETS_CDN = "https://cdn.jsdelivr.net/npm/"


def build_config(execute: str) -> tuple[dict, bool]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config.setdefault("execute", {})["execute_notebooks"] = execute
    # local extensions' paths are relative to the config file, which this one is not beside
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str((ROOT / path).resolve())
    offline = (VENDOR / ".complete").exists()
    if offline:
        sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
        sphinx["html_static_path"] = [str(VENDOR)]
        sphinx["mathjax_path"] = "mathjax/tex-chtml.js"  # relative to the built _static/
        sphinx["nb_ipywidgets_js"] = {
            "requirejs/require.js": {},
            # widgets outside the standard set would still come from the CDN
            "html-manager/embed-amd.js": {"data-jupyter-widgets-cdn": WIDGETS_CDN},
        }
        config.setdefault("exclude_patterns", []).append("_vendor")
    return config, offline


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--execute", choices=["cache", "off", "force", "auto"], default="cache")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
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
