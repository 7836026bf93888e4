#!/bin/sh
# The desktop app under Xvfb: trains [784,30,10] on data/mnist for a little
# over one epoch (so every chart and the confusion matrix have data), writes a
# screenshot and checks the PNG is a real, non-blank 1280x800 image; then the
# same dashboard at --scale 2 (a HiDPI monitor) in a 2560x1600 window; then the
# model panel's layer list with a conv preset, wide and narrow.
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
# 5,200 batches of 10: a little over one epoch of the 50,000 mnist training images.
if ! timeout 300 xvfb-run -a -s "-screen 0 1280x800x24" "$app" --autostart --data mnist \
    --device "$device" --sizes 784,30,10 --output softmax --cost cross-entropy --init scaled \
    --eta 0.5 --epochs 30 --pad-test-image 0 --screenshot "$out" --quit-after-batches 5200 \
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
# PNG size and distinct colours, read with python3's zlib (no imagemagick needed).
read -r size colors <<EOF2
$(python3 - "$out" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "expected 8-bit RGB(A)"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride, prev, colours = zlib.decompress(idat), w * bpp, bytearray(w * bpp), set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):  # undo the PNG row filter
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    colours.update(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
    prev = line
print(f"{w}x{h}", len(colours))
PY
)
EOF2
check "screenshot is 1280x800 (got $size)" test "$size" = 1280x800
# A blank or single-colour frame has a handful of colours; the dashboard has hundreds.
check "screenshot has many colours ($colors)" test "${colors:-0}" -ge 100
check "trained past epoch 1" grep -q '"testAccuracy":\[0\.[89]' "$log"
check "draw pad classifies test image 0 (a 7)" grep -q '"predicted":7' "$log"

# A HiDPI monitor (Xvfb reports a content scale of 1, so --scale 2 stands in for one): the
# framebuffer is 2560x1600 pixels, the dashboard is laid out in 1280x800 units (still wide) and
# its font rasterised at twice the size.
out2="$root/artifacts/app_scale2.png"
rm -f "$out2"
if ! timeout 300 xvfb-run -a -s "-screen 0 2560x1600x24" "$app" --autostart --data mnist \
    --device "$device" --sizes 784,30,10 --output softmax --cost cross-entropy --init scaled \
    --eta 0.5 --epochs 30 --pad-test-image 0 --scale 2 --width 2560 --height 1600 \
    --screenshot "$out2" --quit-after-batches 500 --quit-after-seconds 120 >"$log" 2>&1; then
  cat "$log"
  echo "app_screenshot: FAIL: nnlab_app --scale 2 exited with an error"
  exit 1
fi
check "scale 2: status says dpr 2, a 2560x1600 framebuffer, the wide layout" \
  grep -q '"layout":"wide","dpr":2,"canvasWidth":2560,"canvasHeight":1600' "$log"
check "scale 2: $out2 written" test -s "$out2"
# The model panel's layer list with the book's conv net, wide and narrow (a phone-wide window):
# no data, no run; the rows' widgets are in the status under their names.
for size in 1280x800 390x1000; do
  out3="$root/artifacts/app_layers_$size.png"
  rm -f "$out3"
  if ! timeout 60 xvfb-run -a -s "-screen 0 1280x1000x24" "$app" --preset ch6-conv \
      --width "${size%x*}" --height "${size#*x}" --screenshot "$out3" --quit-after-batches 0 >"$log" 2>&1; then
    cat "$log"
    echo "app_screenshot: FAIL: nnlab_app --preset ch6-conv exited with an error"
    exit 1
  fi
  check "layers $size: $out3 written, a row per layer with named widgets" sh -c "test -s '$out3' &&
    grep -q '\"net\":\"784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax\"' '$log' &&
    grep -q '\"layer 1 kernel\":\[' '$log' && grep -q '\"layer 5 delete\":\[' '$log' &&
    grep -q '\"Add layer\":\[' '$log' && ! grep -q '\"layer 6 units\"' '$log'"
done
echo "app_screenshot: $out $out2"
exit $fail
