#version 430
// conv's im2col over a whole batch: cols (CKK, B*P), row (c, ki, kj), column
// b*P + oh*OW + ow = x (B,C,H,W) under that filter tap, 0 in the padding. The
// batch's patches side by side make the conv one GEMM (engine/conv_ops.cpp).
// An invocation owns one (oh, ow) of one row and walks the batch: its indices
// come from the dispatch grid, not from integer divisions (slow on CPU drivers
// such as llvmpipe, where they cost more than the copy).
layout(local_size_x = 8, local_size_y = 8) in;

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
// This dispatch's samples [b0, b0 + nb): the backend slices a batch so that the
// loops stay under llvmpipe's limit of 65,535 iterations (it silently stops there).
layout(location = 8) uniform int b0;
layout(location = 9) uniform int nb;

void main() {
  int ow = int(gl_GlobalInvocationID.x), oh = int(gl_GlobalInvocationID.y);
  if (ow >= OW || oh >= OH) return;
  int P = OH * OW, N = B * P, CKK = C * k * k;
  for (int row = int(gl_WorkGroupID.z); row < CKK; row += int(gl_NumWorkGroups.z)) {
    int kj = row % k, ki = (row / k) % k, c = row / (k * k);
    int ih = oh + ki - pad, iw = ow + kj - pad;
    bool inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
    uint dst = uint(row) * uint(N) + uint(oh * OW + ow);  // cols may pass 2^31 values
    int src = (c * H + ih) * W + iw, in_size = C * H * W;
    for (int b = b0; b < b0 + nb; ++b) cols[dst + uint(b * P)] = inside ? x[src + b * in_size] : 0.0;
  }
}
