#!/usr/bin/env bash
# The nnlab CLI's contract: exit status 2 with usage for bad flags, 1 with the
# file named for bad data or models, network.py's epoch lines, save/eval round
# trip, special files and oversized files refused by name, no diverged model
# saved, and the GPU device line or its fallback.  Usage: tests/cli.sh BUILD_DIR
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

# A small copy of the data (the first 2,000 train / 500 test images) for runs
# that only need to train at all: the GPU ones run on llvmpipe.
small="$tmp/small"
python3 - "$data" "$small" <<'PY' || { echo "FAILED - cannot make the small data set"; exit 1; }
import gzip, os, struct, sys
src, dst = sys.argv[1:]
os.makedirs(dst)
for part, n in (("train", 2000), ("t10k", 500)):
    img = gzip.open(os.path.join(src, part + "-images-idx3-ubyte.gz")).read()
    lab = gzip.open(os.path.join(src, part + "-labels-idx1-ubyte.gz")).read()
    with gzip.open(os.path.join(dst, part + "-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + img[16:16 + n * 784])
    with gzip.open(os.path.join(dst, part + "-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + lab[8:8 + n])
PY

expect "no arguments prints usage"     2 "usage: nnlab train" -- "$nnlab"
expect "unknown command"               2 "unknown command 'fly'" -- "$nnlab" fly
expect "batch 0"                       2 "--batch: '0' is not an integer from 1 to 1048576" -- "$nnlab" train --data "$data" --batch 0
expect "negative eta"                  2 "--eta: '-3' is not a number > 0 and <= 1e.30" -- "$nnlab" train --data "$data" --eta -3
expect "eta not a number"              2 "--eta: 'fast' is not a number > 0" -- "$nnlab" train --data "$data" --eta fast
expect "unknown cost"                  2 "--cost: 'hinge' is not one of quadratic, cross-entropy" -- "$nnlab" train --data "$data" --cost hinge
expect "negative seed"                 2 "--seed: '-1' is not an integer from 0 to 4294967295" -- "$nnlab" train --data "$data" --seed -1
expect "a repeated flag"               2 "--eta is given twice" -- "$nnlab" train --data "$data" --eta 1 --eta 2
expect "unknown preset"                2 "--preset: unknown preset 'ch9'" -- "$nnlab" train --data "$data" --preset ch9
expect "presets lists the book's rows" 0 "^ch3-l2 +97.92%" -- "$nnlab" presets
expect "a preset sets the run, flags override it" 0 "^training 784-fc100-sigmoid-fc10-sigmoid \(cross-entropy\), 2 epochs, batch 10, eta 0.5, lambda 5," -- \
  "$nnlab" train --data "$small" --preset ch3-l2 --epochs 2
expect "--net gives the layer list" 0 "^training 784-fc20-relu-fc10-tanh-fc10-softmax \(cross-entropy\)" -- \
  "$nnlab" train --data "$small" --net 784-fc20-relu-fc10-tanh-fc10-softmax --cost cross-entropy --eta 0.1 --epochs 1
expect "a bad --net names the layer"   2 "--net: '784-fc20-lstm-fc10-sigmoid': unknown layer 'lstm'" -- \
  "$nnlab" train --data "$data" --net 784-fc20-lstm-fc10-sigmoid
expect "a conv that does not fit its map" 2 "--net: '784-conv20x5-pool2-conv40x5-pool2-conv10x5-fc10-softmax': layer 5 \(conv10x5\): a 5x5 filter does not fit its 4x4 map" -- \
  "$nnlab" train --data "$data" --net 784-conv20x5-pool2-conv40x5-pool2-conv10x5-fc10-softmax
expect "a bad conv layer names the form" 2 "--net: '784-conv20-fc10-softmax': layer 1 'conv20' is convFxK" -- \
  "$nnlab" train --data "$data" --net 784-conv20-fc10-softmax
expect "unknown flag"                  2 "unknown flag --learning-rate" -- "$nnlab" train --data "$data" --learning-rate 3
expect "sizes do not match the images" 2 "input layer has 700 neurons but the images have 784" -- "$nnlab" train --data "$data" --sizes 700,30,10
expect "sizes do not match the classes" 2 "output layer has 12 neurons but the data has 10 classes" -- "$nnlab" train --data "$data" --sizes 784,30,12
expect "validation too large"          2 "--validation: holding out 60000 of the 60000 training images leaves none" -- "$nnlab" train --data "$data" --validation 60000
expect "missing data directory"        1 "$tmp/nowhere/train-images-idx3-ubyte.gz: not found" -- "$nnlab" train --data "$tmp/nowhere"

# The memory budget: a run that cannot fit in this machine's memory is refused before it allocates.
expect "a net over the memory budget"  1 "^nnlab: memory: needs 12.0 TB \(12,[0-9,]+ bytes\) for 784-fc1-sigmoid-fc1000000-sigmoid-fc1000000-sigmoid-fc10-sigmoid at batch 10 and 70,000 images; this machine has [0-9.]+ [GT]B$" -- \
  "$nnlab" train --data "$data" --sizes 784,1,1000000,1000000,10
expect "a batch far beyond the data, over the budget" 1 "^nnlab: memory: needs [0-9.]+ GB \([0-9,]+ bytes\) for 784-fc1000000-sigmoid-fc10-sigmoid at batch 1,000,000 and 70,000 images; this machine has" -- \
  "$nnlab" train --data "$data" --sizes 784,1000000,10 --batch 1000000
# ...which buffers sized by min(batch, data) would hold: 50,000 rows, 800 GB.
grep -Eq "needs [4-9][0-9]{2}\.[0-9] GB" "$tmp/out" || { failed=$((failed + 1)); echo "FAILED - the batch's rows are not min(batch, data)"; }
expect "a batch far beyond a small set trains as the whole set" 0 "^Epoch 0: [0-9]+ / 500" -- \
  "$nnlab" train --data "$small" --batch 1000000 --epochs 1 --eta 1

mkdir -p "$tmp/bad"
cp "$data"/*.gz "$tmp/bad/"
head -c 5000 "$data/train-images-idx3-ubyte.gz" >"$tmp/bad/train-images-idx3-ubyte.gz"
expect "truncated gzip names the file" 1 "$tmp/bad/train-images-idx3-ubyte.gz: " -- "$nnlab" train --data "$tmp/bad"

expect "one epoch prints network.py's line" 0 "^Epoch 0: [0-9]+ / 10000  \(validation [0-9]+ / 10000\)  [0-9.]+ s, [0-9]+ samples/s, loss [0-9.]+$" -- \
  "$nnlab" train --data "$data" --epochs 1 --cost cross-entropy --output softmax --init scaled --eta 0.5 --save "$tmp/m.nnlab"
correct=$(grep -Eo '^Epoch 0: [0-9]+' "$tmp/out" | grep -Eo '[0-9]+$')
expect "eval reproduces the epoch's accuracy" 0 "accuracy: $correct / 10000" -- "$nnlab" eval --data "$data" --load "$tmp/m.nnlab"
expect "eval prints the confusion matrix" 0 "confusion matrix" -- "$nnlab" eval --data "$data" --load "$tmp/m.nnlab"
expect "validation split is reported" 0 "^Epoch 0: [0-9]+ / 10000  \(validation [0-9]+ / 1000\)" -- \
  "$nnlab" train --data "$data" --epochs 1 --validation 1000
expect "load with a contradicting --cost" 2 "--cost makes .* \(quadratic\), which does not match" -- \
  "$nnlab" train --data "$small" --load "$tmp/m.nnlab" --cost quadratic
expect "eval scores a model without a training run" 0 "^accuracy: " -- "$nnlab" eval --data "$data" --load "$tmp/m.nnlab"
if grep -q "^training" "$tmp/out"; then failed=$((failed + 1)); echo "FAILED - eval started a training run"; fi
expect "loaded model continues training" 0 "^Epoch 0: " -- "$nnlab" train --data "$data" --epochs 1 --load "$tmp/m.nnlab"
expect "load with other sizes" 2 "--sizes makes 784-fc100-sigmoid-fc10-sigmoid \(quadratic\), which does not match" -- "$nnlab" train --data "$data" --load "$tmp/m.nnlab" --sizes 784,100,10

cp "$tmp/m.nnlab" "$tmp/corrupt.nnlab"
printf '\x7f' | dd of="$tmp/corrupt.nnlab" bs=1 seek=2000 conv=notrunc 2>/dev/null
expect "corrupt model is refused" 1 "$tmp/corrupt.nnlab: checksum mismatch" -- "$nnlab" eval --data "$data" --load "$tmp/corrupt.nnlab"
head -c 100 "$tmp/m.nnlab" >"$tmp/short.nnlab"
expect "truncated model is refused" 1 "$tmp/short.nnlab: truncated" -- "$nnlab" eval --data "$data" --load "$tmp/short.nnlab"

# Issue 9: no input kills the CLI, nothing overwrites a good model.
# refused_early NAME PATTERN -- CMD...: exit 1 with PATTERN, before any training.
refused_early() {
  local name=$1 pattern=$2
  shift 3
  expect "$name" 1 "$pattern" -- "$@"
  if grep -q "^training" "$tmp/out"; then failed=$((failed + 1)); echo "FAILED - $name: found only after a run"; fi
}
cp "$tmp/m.nnlab" "$tmp/good.nnlab"
expect "a diverged run is not saved" 3 "--save: $tmp/good.nnlab: not written, a diverged model is never saved" -- \
  "$nnlab" train --data "$small" --epochs 1 --lambda 1e30 --save "$tmp/good.nnlab"
if ! cmp -s "$tmp/m.nnlab" "$tmp/good.nnlab" || grep -q "^saved model" "$tmp/out"; then
  failed=$((failed + 1)); echo "FAILED - a diverged run replaced the good model"
fi
cp "$tmp/m.nnlab" "$tmp/target.nnlab"
ln -s target.nnlab "$tmp/link.nnlab"
expect "--save writes through a symlink" 0 "^saved model to $tmp/link.nnlab" -- \
  "$nnlab" train --data "$small" --epochs 1 --save "$tmp/link.nnlab"
if [ ! -L "$tmp/link.nnlab" ] || cmp -s "$tmp/m.nnlab" "$tmp/target.nnlab"; then
  failed=$((failed + 1)); echo "FAILED - the symlink was replaced, or its target not written"
fi
mkfifo "$tmp/fifo"
refused_early "--save to a FIFO" "--save: $tmp/fifo: is a FIFO \(named pipe\); only a regular file is replaced" -- \
  timeout 60 "$nnlab" train --data "$small" --epochs 1 --save "$tmp/fifo"
refused_early "--save to a device" "--save: /dev/null: is a character device" -- \
  "$nnlab" train --data "$small" --save /dev/null
refused_early "--save in a missing directory" "--save: $tmp/nowhere/m.nnlab: the directory $tmp/nowhere does not exist" -- \
  "$nnlab" train --data "$small" --save "$tmp/nowhere/m.nnlab"
refused_early "--save to a directory" "--save: $small: is a directory" -- "$nnlab" train --data "$small" --save "$small"
refused_early "--save to an empty path" "--save: the path is empty" -- "$nnlab" train --data "$small" --save ""
if [ "$(id -u)" = 0 ]; then
  echo "skip - --save in a read-only directory (running as root, which may write into a 0555 directory)"
else
  mkdir "$tmp/locked" && chmod 555 "$tmp/locked"
  refused_early "--save in a read-only directory" "--save: $tmp/locked/m.nnlab: cannot create a file in $tmp/locked: Permission denied" -- \
    "$nnlab" train --data "$small" --save "$tmp/locked/m.nnlab"
  chmod 755 "$tmp/locked"
fi
dead=$(sh -c 'echo $$')  # a process that has exited
: >"$tmp/.s.nnlab.nnlab-tmp.$dead.1"
: >"$tmp/.s.nnlab.nnlab-tmp.$$.1"  # this shell's, still running
expect "a save removes a killed save's temp file" 0 "^saved model to $tmp/s.nnlab" -- \
  "$nnlab" train --data "$small" --epochs 1 --save "$tmp/s.nnlab"
if [ -e "$tmp/.s.nnlab.nnlab-tmp.$dead.1" ] || [ ! -e "$tmp/.s.nnlab.nnlab-tmp.$$.1" ]; then
  failed=$((failed + 1)); echo "FAILED - stale temp kept, or a live one removed"
fi
# m.nnlab is 784-fc30-sigmoid-fc10-sigmoid: a 52-byte header, then the first layer's weights.
python3 -c '
import struct, sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
b[52 + 4 * 10:52 + 4 * 11] = struct.pack("<f", float("nan"))
b[-4:] = struct.pack("<I", zlib.crc32(bytes(b[:-4])))
open(sys.argv[2], "wb").write(b)
' "$tmp/m.nnlab" "$tmp/nan.nnlab"
expect "a NaN model with a good checksum is refused" 1 "$tmp/nan.nnlab: dense layer 1 of 2 \(fc30\): weight 10 is NaN" -- \
  "$nnlab" eval --data "$small" --load "$tmp/nan.nnlab"
expect "--load /dev/zero" 1 "/dev/zero: is a character device, not a regular file" -- \
  timeout 60 "$nnlab" eval --data "$small" --load /dev/zero
expect "--load a directory" 1 "$small: is a directory, not a regular file" -- "$nnlab" eval --data "$small" --load "$small"
expect "--load a FIFO" 1 "$tmp/fifo: is a FIFO" -- timeout 60 "$nnlab" eval --data "$small" --load "$tmp/fifo"
truncate -s 5G "$tmp/sparse.nnlab"
expect "--load a 5 GB sparse file" 1 "$tmp/sparse.nnlab: 5368709120 bytes, over the 2 GiB cap for a model file" -- \
  "$nnlab" eval --data "$small" --load "$tmp/sparse.nnlab"
mkdir "$tmp/special"
cp "$small"/*.gz "$tmp/special/"
rm "$tmp/special/t10k-labels-idx1-ubyte.gz"
mkfifo "$tmp/special/t10k-labels-idx1-ubyte.gz"
expect "a FIFO as a data file" 1 "$tmp/special/t10k-labels-idx1-ubyte.gz: is a FIFO" -- \
  timeout 60 "$nnlab" train --data "$tmp/special" --epochs 1
rm "$tmp/special/t10k-labels-idx1-ubyte.gz"
truncate -s 5G "$tmp/special/t10k-labels-idx1-ubyte.gz"
expect "a 5 GB sparse data file" 1 "$tmp/special/t10k-labels-idx1-ubyte.gz: 5368709120 bytes, over the 1 GiB cap for a data file" -- \
  "$nnlab" train --data "$tmp/special" --epochs 1
# A model for 14x14 images does not fit 28x28 ones: exit 1, naming the model.
python3 -c '
import gzip, os, struct, sys
src, dst = sys.argv[1:]
os.makedirs(dst)
for part in ("train", "t10k"):
    img = gzip.open(os.path.join(src, part + "-images-idx3-ubyte.gz")).read()
    n = struct.unpack(">I", img[4:8])[0]
    out = bytearray(struct.pack(">IIII", 0x803, n, 14, 14))
    for i in range(n):
        out += b"".join(img[16 + i * 784 + r * 28:16 + i * 784 + (r + 1) * 28:2] for r in range(0, 28, 2))
    with gzip.open(os.path.join(dst, part + "-images-idx3-ubyte.gz"), "wb") as f:
        f.write(bytes(out))
    name = part + "-labels-idx1-ubyte.gz"
    open(os.path.join(dst, name), "wb").write(open(os.path.join(src, name), "rb").read())
' "$small" "$tmp/narrow"
expect "a model for 14x14 images" 0 "^saved model" -- \
  "$nnlab" train --data "$tmp/narrow" --sizes 196,30,10 --epochs 1 --save "$tmp/narrow.nnlab"
expect "eval: a model that does not fit the data" 1 "$tmp/narrow.nnlab: the model takes 196 inputs and 10 classes; $small has 784 pixels" -- \
  "$nnlab" eval --data "$small" --load "$tmp/narrow.nnlab"
expect "train: a model that does not fit the data" 1 "$tmp/narrow.nnlab: the model takes 196 inputs and 10 classes; $small has 784 pixels" -- \
  "$nnlab" train --data "$small" --load "$tmp/narrow.nnlab" --epochs 1

# Conv nets (issue 12): training, the best validation epoch, --save-best, ensembles, --expand.
conv="784-conv8x5-relu-pool2-fc30-relu-fc10-softmax"
expect "a conv net trains from --net" 0 "^Epoch 2: [0-9]+ / 500  \(validation [0-9]+ / 500\)" -- \
  "$nnlab" train --data "$small" --net "$conv" --cost cross-entropy --eta 0.1 --init network3 --epochs 3 --validation 500 \
  --save-best "$tmp/best.nnlab" --save "$tmp/last.nnlab"
best_line=$(grep "^best validation accuracy" "$tmp/out")
grep -q "^saved the best validation epoch's model to $tmp/best.nnlab" "$tmp/out" || {
  failed=$((failed + 1)); echo "FAILED - --save-best says what it saved"; }
# The epoch of the best validation accuracy (the latest of equals, as network3.py's >=) and its
# test line, recomputed from the epoch lines.
want=$(awk '/^Epoch/ { v = $7 + 0; if (!seen || v >= best) { seen = 1; best = v; e = $2; t = $3 } }
            END { sub(":", "", e); print "at epoch " e "; test accuracy at that epoch " t " / 500" }' "$tmp/out")
case "$best_line" in
  *"$want"*) passed=$((passed + 1)); echo "ok - the best validation epoch and its test accuracy are reported" ;;
  *) failed=$((failed + 1)); echo "FAILED - best epoch: '$best_line' does not say '$want'" ;;
esac
best_test=$(echo "$best_line" | sed -E 's/.*that epoch ([0-9]+) \/ 500.*/\1/')
expect "--save-best keeps the best validation epoch's model" 0 "^accuracy: $best_test / 500" -- \
  "$nnlab" eval --data "$small" --load "$tmp/best.nnlab"
expect "--save-best needs a validation set" 2 "--save-best: the run holds out no validation images" -- \
  "$nnlab" train --data "$small" --net "$conv" --cost cross-entropy --epochs 1 --save-best "$tmp/b2.nnlab"
"$nnlab" train --data "$small" --sizes 784,30,10 --epochs 1 --save "$tmp/mlp.nnlab" >/dev/null 2>&1
expect "eval with several --load votes with their averaged outputs" 0 "^ensemble of 3: accuracy: [0-9]+ / 500" -- \
  "$nnlab" eval --data "$small" --load "$tmp/best.nnlab" --load "$tmp/last.nnlab" --load "$tmp/mlp.nnlab"
grep -Eq "^$tmp/mlp.nnlab: 784-fc30-sigmoid-fc10-sigmoid, accuracy [0-9]+ / 500" "$tmp/out" || {
  failed=$((failed + 1)); echo "FAILED - the ensemble scores each model"; }
expect "an ensemble names a bad model" 1 "$tmp/corrupt.nnlab: checksum mismatch" -- \
  "$nnlab" eval --data "$small" --load "$tmp/best.nnlab" --load "$tmp/corrupt.nnlab"
expect "train takes one --load" 2 "--load is given twice \(an ensemble is for eval\)" -- \
  "$nnlab" train --data "$small" --load "$tmp/best.nnlab" --load "$tmp/last.nnlab"
expect "--expand trains on 5x the images" 0 "^expanded: 10000 training images, each also shifted one pixel" -- \
  "$nnlab" train --data "$small" --net "$conv" --cost cross-entropy --eta 0.1 --epochs 1 --expand 1
grep -Eq "^Epoch 0: [0-9]+ / 500  [0-9.]+ s, [0-9]+ samples/s" "$tmp/out" || { failed=$((failed + 1)); echo "FAILED - --expand trains"; }
expect "--expand takes 0 or 1" 2 "--expand: '5' is not an integer from 0 to 1" -- "$nnlab" train --data "$small" --expand 5
# --resume: a run stopped after 2 epochs and continued by another process is the run of 3
# that never stopped, bit for bit (dropout, momentum and the shuffle included).
runargs=(--data "$small" --net "784-conv4x5-relu-pool2-dropout0.3-fc20-relu-fc10-softmax" --cost cross-entropy
         --momentum 0.5 --validation 500)
"$nnlab" train "${runargs[@]}" --eta 0.1 --epochs 3 --threads 1 --save "$tmp/straight.nnlab" >"$tmp/straight.out" 2>&1
expect "--resume keeps the run after each epoch" 0 "^Epoch 1: " -- \
  "$nnlab" train "${runargs[@]}" --eta 0.1 --epochs 2 --threads 1 --resume "$tmp/run.nnlr"
expect "--resume continues the run in its file" 0 "^continuing $tmp/run.nnlr: 2 of 3 epochs done" -- \
  "$nnlab" train "${runargs[@]}" --eta 0.1 --epochs 3 --threads 2 --resume "$tmp/run.nnlr" --save "$tmp/resumed.nnlab"
epochs_of() { grep -Eo "^Epoch [0-9]+: [0-9]+ / 500  \(validation [0-9]+ / 500\)" "$1"; }
if cmp -s "$tmp/straight.nnlab" "$tmp/resumed.nnlab" && [ "$(epochs_of "$tmp/straight.out")" = "$(epochs_of "$tmp/out")" ] &&
   [ "$(epochs_of "$tmp/out" | wc -l)" = 3 ]; then
  passed=$((passed + 1)); echo "ok - a resumed run is the run that never stopped (model bytes, every epoch line)"
else
  failed=$((failed + 1)); echo "FAILED - a resumed run differs from the run that never stopped"
fi
expect "--resume refuses another run's file" 1 "$tmp/run.nnlr: the run was saved with eta 0.1, not 0.2" -- \
  "$nnlab" train "${runargs[@]}" --epochs 3 --eta 0.2 --resume "$tmp/run.nnlr"
cp "$tmp/run.nnlr" "$tmp/bad.nnlr"
printf '\xff' | dd of="$tmp/bad.nnlr" bs=1 seek=200 conv=notrunc 2>/dev/null
expect "--resume names a corrupt run file" 1 "$tmp/bad.nnlr: checksum mismatch" -- \
  "$nnlab" train "${runargs[@]}" --eta 0.1 --epochs 4 --resume "$tmp/bad.nnlr"
expect "eval has no --resume" 2 "--save, --save-best and --resume are for train" -- \
  "$nnlab" eval --data "$small" --load "$tmp/resumed.nnlab" --resume "$tmp/run.nnlr"
# A conv net on the gpu (llvmpipe where there is none: about 10 s): it trains, and a
# conv model evaluated there scores what the cpu scored (with no GL, the cpu runs both).
expect "a conv net trains on the gpu" 0 "^Epoch 0: [0-9]+ / 500  [0-9.]+ s, [0-9]+ samples/s, loss [0-9.]+$" -- \
  "$nnlab" train --data "$small" --net "$conv" --cost cross-entropy --eta 0.1 --init network3 --epochs 1 --device gpu
grep -Eq "^device: (OpenGL [0-9]|gpu unavailable)" "$tmp/out" || { failed=$((failed + 1)); echo "FAILED - the conv run names its device"; }
expect "a conv model evaluated on the gpu scores what the cpu scored" 0 "^accuracy: $best_test / 500" -- \
  "$nnlab" eval --data "$small" --load "$tmp/best.nnlab" --device gpu

expect "gpu device names itself or says why not" 0 "^device: (OpenGL [0-9]|gpu unavailable \(.+\); falling back to the cpu)" -- \
  "$nnlab" train --data "$small" --epochs 1 --device gpu
# Images over the GPU's largest buffer (llvmpipe's 128 MiB; --expand 1 makes 196 MB) are a
# resource error, not a usage error: exit 1, both sizes and a way out, no usage text.
if grep -q "^device: OpenGL.*llvmpipe" "$tmp/out"; then
  expect "images over the gpu's largest buffer: exit 1, a way out, no usage" 1 \
    "^nnlab: 196000000 bytes of images are more than one buffer of OpenGL.* can hold \(134217728 bytes\): train on the CPU \(--device cpu\)" -- \
    "$nnlab" train --data "$data" --expand 1 --device gpu --epochs 1
  if grep -q "usage:" "$tmp/out"; then failed=$((failed + 1)); echo "FAILED - a resource error printed the usage"; fi
fi

expect "a broken shader is named and the cpu takes over" 0 "shaders/gemm.comp: compile failed.*" -- \
  env NNLAB_GL_BREAK_SHADER=gemm "$nnlab" train --data "$small" --epochs 1 --device gpu
if grep -q "^device: OpenGL" "$tmp/out" || ! grep -q "falling back to the cpu" "$tmp/out" || ! grep -q "^Epoch 0: " "$tmp/out"; then
  failed=$((failed + 1)); echo "FAILED - the fallback run did not train on the cpu"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
