#!/usr/bin/env bash
# The nnlab CLI's contract: exit status 2 with usage for bad flags, 1 with the
# file named for bad data or models, network.py's epoch lines, save/eval round
# trip, and the GPU device line or its fallback.  Usage: tests/cli.sh BUILD_DIR
set -u
build=${1:?usage: tests/cli.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
nnlab="$build/nnlab"
data="$root/data/mnist"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# expect NAME STATUS PATTERN -- CMD...: CMD exits with STATUS and its output matches PATTERN.
expect() {
  local name=$1 status=$2 pattern=$3
  shift 4
  "$@" >"$tmp/out" 2>&1
  local got=$?
  if [ "$got" = "$status" ] && grep -Eq -- "$pattern" "$tmp/out"; then
    passed=$((passed + 1)); echo "ok - $name"
  else
    failed=$((failed + 1)); echo "FAILED - $name (exit $got, wanted $status; output must match: $pattern)"
    sed 's/^/    /' "$tmp/out" | head -20
  fi
}

expect "no arguments prints usage"     2 "usage: nnlab train" -- "$nnlab"
expect "unknown command"               2 "unknown command 'fly'" -- "$nnlab" fly
expect "batch 0"                       2 "--batch: must be at least 1.*" -- "$nnlab" train --data "$data" --batch 0
expect "negative eta"                  2 "--eta: must be a positive number" -- "$nnlab" train --data "$data" --eta -3
expect "eta not a number"              2 "--eta: 'fast' is not a number" -- "$nnlab" train --data "$data" --eta fast
expect "unknown cost"                  2 "unknown cost 'hinge'" -- "$nnlab" train --data "$data" --cost hinge
expect "unknown flag"                  2 "unknown flag --learning-rate" -- "$nnlab" train --data "$data" --learning-rate 3
expect "sizes do not match the images" 2 "input layer has 700 neurons but the images have 784" -- "$nnlab" train --data "$data" --sizes 700,30,10
expect "sizes do not match the classes" 2 "output layer has 12 neurons but the data has 10 classes" -- "$nnlab" train --data "$data" --sizes 784,30,12
expect "validation too large"          2 "--validation: 9000 leaves no training images" -- "$nnlab" train --data "$data" --validation 9000
expect "missing data directory"        1 "$tmp/nowhere/train-images-idx3-ubyte.gz: not found" -- "$nnlab" train --data "$tmp/nowhere"

mkdir -p "$tmp/bad"
cp "$data"/*.gz "$tmp/bad/"
head -c 5000 "$data/train-images-idx3-ubyte.gz" >"$tmp/bad/train-images-idx3-ubyte.gz"
expect "truncated gzip names the file" 1 "$tmp/bad/train-images-idx3-ubyte.gz: " -- "$nnlab" train --data "$tmp/bad"

expect "one epoch prints network.py's line" 0 "^Epoch 0: [0-9]+ / 2000  [0-9.]+ s, [0-9]+ samples/s, loss [0-9.]+$" -- \
  "$nnlab" train --data "$data" --epochs 1 --cost cross-entropy --output softmax --init scaled --eta 0.5 --save "$tmp/m.nnlab"
correct=$(grep -Eo '^Epoch 0: [0-9]+' "$tmp/out" | grep -Eo '[0-9]+$')
expect "eval reproduces the epoch's accuracy" 0 "accuracy: $correct / 2000" -- "$nnlab" eval --data "$data" --load "$tmp/m.nnlab"
expect "eval prints the confusion matrix" 0 "confusion matrix" -- "$nnlab" eval --data "$data" --load "$tmp/m.nnlab"
expect "validation split is reported" 0 "^Epoch 0: [0-9]+ / 2000  \(validation [0-9]+ / 1000\)" -- \
  "$nnlab" train --data "$data" --epochs 1 --validation 1000
expect "loaded model continues training" 0 "^Epoch 0: " -- "$nnlab" train --data "$data" --epochs 1 --load "$tmp/m.nnlab"
expect "load with other sizes" 2 "--sizes 784,100,10 does not match" -- "$nnlab" train --data "$data" --load "$tmp/m.nnlab" --sizes 784,100,10

cp "$tmp/m.nnlab" "$tmp/corrupt.nnlab"
printf '\x7f' | dd of="$tmp/corrupt.nnlab" bs=1 seek=2000 conv=notrunc 2>/dev/null
expect "corrupt model is refused" 1 "$tmp/corrupt.nnlab: checksum mismatch" -- "$nnlab" eval --data "$data" --load "$tmp/corrupt.nnlab"
head -c 100 "$tmp/m.nnlab" >"$tmp/short.nnlab"
expect "truncated model is refused" 1 "$tmp/short.nnlab: truncated" -- "$nnlab" eval --data "$data" --load "$tmp/short.nnlab"

expect "gpu device names itself or says why not" 0 "^device: (OpenGL [0-9]|gpu unavailable \(.+\); falling back to the cpu)" -- \
  "$nnlab" train --data "$data" --epochs 1 --device gpu

expect "a broken shader is named and the cpu takes over" 0 "shaders/gemm.comp: compile failed.*" -- \
  env NNLAB_GL_BREAK_SHADER=gemm "$nnlab" train --data "$data" --epochs 1 --device gpu
if grep -q "^device: OpenGL" "$tmp/out" || ! grep -q "falling back to the cpu" "$tmp/out" || ! grep -q "^Epoch 0: " "$tmp/out"; then
  failed=$((failed + 1)); echo "FAILED - the fallback run did not train on the cpu"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
