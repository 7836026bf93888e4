#!/usr/bin/env python3
"""tools/wasm_relaxed_simd on hand-made modules: the early f32x4.fma opcode becomes
f32x4.relaxed_madd and computes a * b + c when node runs it; the same bytes inside an
i32.const's immediate are left alone; a second pass changes nothing; a file that is
not wasm, a truncated one, and an early opcode it cannot translate are refused.
Prints "N passed, M failed" (tally.py); exit status 1 on any failure."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tally import ROOT, check, finish, load_script

wrs = load_script("tools/wasm_relaxed_simd")


def section(sid, payload):
    assert len(payload) < 128
    return bytes([sid, len(payload)]) + payload


def body(code):
    b = bytes([0]) + code  # no locals
    return bytes([len(b)]) + b


def module(fma_op):
    """f(p): mem[p+48..64) = fma(mem[p..16), mem[p+16..32), mem[p+32..48)); g() = 22525,
    an i32.const whose LEB128 is the bytes fd af 01."""
    load = lambda off: bytes([0x20, 0, 0xfd, 0x00, 4, off])  # local.get 0; v128.load offset
    f = bytes([0x20, 0]) + load(0) + load(16) + load(32) + bytes([0xfd]) + fma_op + \
        bytes([0xfd, 0x0b, 4, 48, 0x0b])
    g = bytes([0x41, 0xfd, 0xaf, 0x01, 0x0b])
    exports = bytes([3, 1]) + b"m" + bytes([2, 0, 1]) + b"f" + bytes([0, 0, 1]) + b"g" + bytes([0, 1])
    return (b"\0asm\x01\0\0\0" + section(1, bytes([2, 0x60, 1, 0x7f, 0, 0x60, 0, 1, 0x7f])) +
            section(3, bytes([2, 0, 1])) + section(5, bytes([1, 0, 1])) + section(7, exports) +
            section(10, bytes([2]) + body(f) + body(g)))


RUN = r"""
const bytes = Buffer.from(process.argv[1], 'hex');
const out = {valid: WebAssembly.validate(bytes)};
if (out.valid) {
  const {exports} = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const mem = new Float32Array(exports.m.buffer, 0, 16);
  mem.set([1.5, -2, 3, 0.25,  2, 4, -1, 8,  0.5, 1, 1, -3]);
  exports.f(0);
  out.result = Array.from(mem.subarray(12, 16));
  out.g = exports.g();
}
console.log(JSON.stringify(out));
"""


def run_in_node(data):
    p = subprocess.run(["node", "--experimental-wasm-relaxed-simd", "-e", RUN, data.hex()],
                       capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr}


def refused(data):
    try:
        wrs.rewrite(data, "x.wasm")
    except wrs.WasmError as e:
        return str(e)
    return ""


early = module(bytes([0xaf, 0x01]))
final = module(bytes([0x85, 0x02]))
check(run_in_node(early).get("valid") is False, "node refuses the early opcode clang 14 writes")
new, counts = wrs.rewrite(early)
check(new == final and counts == {0xaf: 1},
      "the early f32x4.fma becomes f32x4.relaxed_madd, and the i32.const holding the same bytes is kept")
ran = run_in_node(new)
check(ran.get("result") == [1.5 * 2 + 0.5, -2 * 4 + 1, 3 * -1 + 1, 0.25 * 8 - 3] and ran.get("g") == 22525,
      "node runs the rewritten module: a * b + c lane by lane, g() still 22525 (%s)" % ran)
again, counts = wrs.rewrite(new)
check(again == new and counts == {}, "a second pass changes nothing")
nmadd, counts = wrs.rewrite(module(bytes([0xb0, 0x01])))
check(nmadd == module(bytes([0x86, 0x02])) and counts == {0xb0: 1}, "f32x4.fms becomes f32x4.relaxed_nmadd")

why = refused(b"\0asm\x02\0\0\0")
check("x.wasm: not a WebAssembly module" in why, "a file that is not wasm is refused, naming it (%s)" % why)
why = refused(early[:-3])
check("x.wasm" in why and ("truncated" in why or "past" in why), "a truncated module is refused (%s)" % why)
why = refused(module(bytes([0xa2, 0x01])))
check("early relaxed-SIMD opcode 0xfd 0xa2" in why, "an early opcode it cannot translate is refused (%s)" % why)

# The command line: exit status 1 and the file named for a bad file; the file is untouched.
bad = os.path.join(os.environ.get("TMPDIR", "/tmp"), "nnlab-test-not-wasm-%d.wasm" % os.getpid())
with open(bad, "wb") as f:
    f.write(b"hello")
p = subprocess.run([os.path.join(ROOT, "tools", "wasm_relaxed_simd"), bad], capture_output=True, text=True)
with open(bad, "rb") as f:
    kept = f.read()
os.remove(bad)
check(p.returncode == 1 and bad in p.stderr and kept == b"hello",
      "the command exits 1, names the bad file and leaves it as it was (%s)" % p.stderr.strip())
finish()
