#!/bin/bash
# One command for the browser benchmark: installs the npm packages (playwright-core,
# TF.js 4.22, jax-js 0.1.25) if missing, builds the WASM side, and runs run.js in headless Chromium.
# Extra arguments go to run.js (--models, --samples, --repeats, --impls, --data).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -d "$here/node_modules/@tensorflow/tfjs-backend-wasm" ] && [ -d "$here/node_modules/@jax-js/jax" ] &&
  [ -d "$here/node_modules/playwright-core" ] ||
  (cd "$here" && npm ci --no-audit --no-fund)
"$here/build.sh"
exec node "$here/run.js" "$@"
