#!/bin/bash
# One command for the browser benchmark: installs the npm packages (playwright-core,
# TF.js 4.22, jax-js 0.1.25, ConvNetJS 0.3.0) if missing, builds the WASM side, and runs run.js in headless Chromium.
# Extra arguments go to run.js (--models, --samples, --repeats, --impls, --data).
# --page also builds the page (tools/build_web), serves it with tools/serve and has
# run.js measure the page itself in the same Chromium run (run.js --page URL).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -d "$here/node_modules/@tensorflow/tfjs-backend-wasm" ] && [ -d "$here/node_modules/@jax-js/jax" ] &&
  [ -d "$here/node_modules/convnetjs" ] &&
  [ -d "$here/node_modules/playwright-core" ] ||
  (cd "$here" && npm ci --no-audit --no-fund)
"$here/build.sh"
args=()
page=0
for a in "$@"; do if [ "$a" = --page ]; then page=1; else args+=("$a"); fi; done
if [ $page = 1 ]; then
  root="$(cd "$here/../.." && pwd)"
  "$root/tools/build_web" >/dev/null
  log=$(mktemp)
  PORT=0 SERVE_QUIET=1 "$root/tools/serve" >"$log" &
  server=$!
  trap 'kill $server; rm -f "$log"' EXIT
  for _ in $(seq 50); do grep -q http "$log" && break; sleep 0.1; done
  args+=(--page "$(grep -o 'http://[0-9.:]*/' "$log")")
fi
node "$here/run.js" "${args[@]}"
