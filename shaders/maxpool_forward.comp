#version 430
// out (B,C,OH,OW) = the max of each k x k window (moved by stride) of x
// (B,C,H,W); argmax = where in its sample's (C,H,W) the max was, the first of
// equal values winning as on the CPU (row by row, strictly greater replaces).
// An invocation owns one (c, oh, ow) and walks the batch (indices from the grid).
layout(local_size_x = 8, local_size_y = 8) in;

layout(std430, binding = 0) writeonly buffer Out { float outv[]; };  // (B,C,OH,OW)
layout(std430, binding = 1) writeonly buffer Arg { int argmax[]; };  // (B,C,OH,OW)
layout(std430, binding = 2) readonly buffer X { float x[]; };        // (B,C,H,W)

layout(location = 1) uniform int C;
layout(location = 2) uniform int H;
layout(location = 3) uniform int W;
layout(location = 4) uniform int k;
layout(location = 5) uniform int pool_stride;
layout(location = 6) uniform int OH;
layout(location = 7) uniform int OW;
// This dispatch's samples [b0, b0 + nb): the backend slices a batch so that the
// loops stay under llvmpipe's limit of 65,535 iterations (it silently stops there).
layout(location = 8) uniform int b0;
layout(location = 9) uniform int nb;

void main() {
  int ow = int(gl_GlobalInvocationID.x), oh = int(gl_GlobalInvocationID.y);
  if (ow >= OW || oh >= OH) return;
  int h0 = oh * pool_stride, w0 = ow * pool_stride;
  for (int c = int(gl_WorkGroupID.z); c < C; c += int(gl_NumWorkGroups.z))
    for (int b = b0; b < b0 + nb; ++b) {
      int base = b * C * H * W, first = (c * H + h0) * W + w0, best = first;
      float v = x[base + best];
      for (int di = 0; di < k; ++di)
        for (int dj = 0; dj < k; ++dj) {
          int at = first + di * W + dj;
          float u = x[base + at];
          if (u > v) {
            best = at;
            v = u;
          }
        }
      int o = ((b * C + c) * OH + oh) * OW + ow;
      outv[o] = v;
      argmax[o] = best;
    }
}
