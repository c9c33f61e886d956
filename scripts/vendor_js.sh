#!/usr/bin/env bash
# Install MathJax 3, the ipywidgets HTML manager and RequireJS from the npm registry into _vendor/
# (not committed), so that the built book typesets math and shows widgets with no network.
# Where npm is missing or fails, the book falls back to the CDNs, and this script says so.
set -u
cd "$(dirname "$0")/.."
dest=_vendor
[ -f "$dest/.complete" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
  echo "vendor_js: npm not found; the book will load MathJax and the widget manager from CDNs (math needs the network)."
  exit 0
fi
tmp=_build/npm
mkdir -p "$tmp"
if ! npm install --prefix "$tmp" --no-audit --no-fund --no-save --silent \
    mathjax@3.2.2 @jupyter-widgets/html-manager@1.0.6 requirejs@2.3.8; then
  echo "vendor_js: npm install failed; the book will load MathJax and the widget manager from CDNs."
  exit 0
fi
rm -rf "$dest"
mkdir -p "$dest/html-manager"
cp -r "$tmp/node_modules/mathjax/es5" "$dest/mathjax"
find "$tmp/node_modules/@jupyter-widgets/html-manager/dist" -maxdepth 1 -type f ! -name '*.map' \
  -exec cp {} "$dest/html-manager/" \;
mkdir -p "$dest/requirejs"
cp "$tmp/node_modules/requirejs/require.js" "$dest/requirejs/"
touch "$dest/.complete"
echo "vendor_js: MathJax, the widget manager and RequireJS are in $dest/ and will be served by the book."
