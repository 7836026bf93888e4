#version 430
// out (B,C,OH,OW) = the max of each k x k window (moved by stride) of x
// (B,C,H,W); argmax = where in its sample's (C,H,W) the max was, the first of
// equal values winning as on the CPU (row by row, strictly greater replaces).
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Out { float outv[]; };  // (B,C,OH,OW)
layout(std430, binding = 1) writeonly buffer Arg { int argmax[]; };  // (B,C,OH,OW)
layout(std430, binding = 2) readonly buffer X { float x[]; };        // (B,C,H,W)

layout(location = 0) uniform int B;
layout(location = 1) uniform int C;
layout(location = 2) uniform int H;
layout(location = 3) uniform int W;
layout(location = 4) uniform int k;
layout(location = 5) uniform int pool_stride;
layout(location = 6) uniform int OH;
layout(location = 7) uniform int OW;

void main() {
  uint total = uint(B * C * OH * OW);
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    int ow = int(i % uint(OW)), oh = int((i / uint(OW)) % uint(OH));
    int c = int((i / uint(OW * OH)) % uint(C)), b = int(i / uint(OW * OH * C));
    int h0 = oh * pool_stride, w0 = ow * pool_stride, base = b * C * H * W;
    int best = (c * H + h0) * W + w0;
    float v = x[base + best];
    for (int di = 0; di < k; ++di)
      for (int dj = 0; dj < k; ++dj) {
        int at = (c * H + h0 + di) * W + w0 + dj;
        float u = x[base + at];
        if (u > v) {
          best = at;
          v = u;
        }
      }
    outv[i] = v;
    argmax[i] = best;
  }
}
