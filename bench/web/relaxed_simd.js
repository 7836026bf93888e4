// Whether this browser runs relaxed SIMD: WebAssembly.validate of a 37-byte module whose
// one function is f32x4.relaxed_madd (the final opcode, fd 85 02). The bench page and
// gemm.js load nnlab's _rs builds (fused multiply-add) where it does, as web/index.html does.
window.hasRelaxedSimd = WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0,
  1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]));
