#!/bin/sh
# The desktop app under Xvfb: trains [784,30,10] on data/mnist for a little
# over one epoch (so every chart and the confusion matrix have data), writes a
# screenshot and checks the PNG is a real, non-blank 1280x800 image.
#   tests/app_screenshot.sh [BUILD_DIR]      (default build-app; needs nnlab_app built)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-app}
app="$build/nnlab_app"
out="$root/artifacts/app.png"
device=${DEVICE:-cpu}
if [ ! -x "$app" ]; then
  echo "app_screenshot: $app not built (cmake --build $build --target nnlab_app)" >&2
  exit 1
fi
mkdir -p "$root/artifacts"
rm -f "$out"
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# 1000 batches of 10 = 1.25 epochs of the 8,000 mnist training images.
if ! timeout 300 xvfb-run -a -s "-screen 0 1280x800x24" "$app" --autostart --data mnist \
    --device "$device" --sizes 784,30,10 --output softmax --cost cross-entropy --init scaled \
    --eta 0.5 --epochs 30 --pad-test-image 0 --screenshot "$out" --quit-after-batches 1000 \
    --quit-after-seconds 240 >"$log" 2>&1; then
  cat "$log"
  echo "app_screenshot: FAIL: nnlab_app exited with an error"
  exit 1
fi
cat "$log"
fail=0
check() {  # description, then a command that must succeed
  d=$1; shift
  if "$@"; then echo "PASS $d"; else echo "FAIL $d"; fail=1; fi
}
check "screenshot written" test -s "$out"
size=$(identify -format '%wx%h' "$out" 2>/dev/null || echo none)
check "screenshot is 1280x800 (got $size)" test "$size" = 1280x800
# A blank or single-colour frame has almost no distinct colours; the dashboard has hundreds.
colors=$(identify -format '%k' "$out" 2>/dev/null || echo 0)
check "screenshot has many colours ($colors)" test "$colors" -ge 100
check "trained past epoch 1" grep -q '"testAccuracy":\[0\.[89]' "$log"
check "draw pad classifies test image 0 (a 7)" grep -q '"predicted":7' "$log"
echo "app_screenshot: $out"
exit $fail
