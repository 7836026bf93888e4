#version 430
// conv_backward's col2im, the adjoint of im2col.comp, as a gather: each element
// of dx (B,C,H,W) sums the entries of dcols (CKK, B*P) that im2col read from it,
// in the CPU's order (ki, then kj), so that no two invocations write one value.
// An invocation owns one (c, ih, iw) and walks the batch (indices from the grid).
layout(local_size_x = 8, local_size_y = 8) in;

layout(std430, binding = 0) writeonly buffer DX { float dx[]; };     // (B,C,H,W)
layout(std430, binding = 1) readonly buffer Cols { float cols[]; };  // (CKK, B*P)

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
  int iw = int(gl_GlobalInvocationID.x), ih = int(gl_GlobalInvocationID.y);
  if (iw >= W || ih >= H) return;
  uint P = uint(OH * OW), N = uint(B) * P;
  for (int c = int(gl_WorkGroupID.z); c < C; c += int(gl_NumWorkGroups.z)) {
    for (int b = b0; b < b0 + nb; ++b) {
      float s = 0.0;
      for (int ki = 0; ki < k; ++ki) {
        int oh = ih + pad - ki;
        if (oh < 0 || oh >= OH) continue;
        for (int kj = 0; kj < k; ++kj) {
          int ow = iw + pad - kj;
          if (ow < 0 || ow >= OW) continue;
          s += cols[uint((c * k + ki) * k + kj) * N + uint(b) * P + uint(oh * OW + ow)];
        }
      }
      dx[uint(((b * C + c) * H + ih) * W + iw)] = s;
    }
  }
}
