#version 430
// conv's im2col over a whole batch: cols (CKK, B*P), row (c, ki, kj), column
// b*P + oh*OW + ow = x (B,C,H,W) under that filter tap, 0 in the padding. The
// batch's patches side by side make the conv one GEMM (engine/conv_ops.cpp).
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Cols { float cols[]; };  // (CKK, B*P)
layout(std430, binding = 1) readonly buffer X { float x[]; };         // (B,C,H,W)

layout(location = 0) uniform int B;
layout(location = 1) uniform int C;
layout(location = 2) uniform int H;
layout(location = 3) uniform int W;
layout(location = 4) uniform int k;
layout(location = 5) uniform int pad;
layout(location = 6) uniform int OH;
layout(location = 7) uniform int OW;

void main() {
  uint P = uint(OH * OW), N = uint(B) * P, total = uint(C * k * k) * N;
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    int row = int(i / N), col = int(i % N);
    int b = col / int(P), p = col % int(P);
    int kj = row % k, ki = (row / k) % k, c = row / (k * k);
    int ih = p / OW + ki - pad, iw = p % OW + kj - pad;
    bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
    cols[i] = inside ? x[((b * C + c) * H + ih) * W + iw] : 0.0;
  }
}
