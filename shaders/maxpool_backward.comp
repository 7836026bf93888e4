#version 430
// dx (B,C,H,W) = dout (B,C,OH,OW) routed to each window's max, as a gather:
// each input sums dout over the windows that hold it and picked it, in output
// order as the CPU adds them (windows overlap when stride < k). An invocation
// owns one (c, h, w) and walks the batch (indices from the grid).
layout(local_size_x = 8, local_size_y = 8) in;

layout(std430, binding = 0) writeonly buffer DX { float dx[]; };      // (B,C,H,W)
layout(std430, binding = 1) readonly buffer DOut { float dout[]; };   // (B,C,OH,OW)
layout(std430, binding = 2) readonly buffer Arg { int argmax[]; };    // (B,C,OH,OW)

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
  int w = int(gl_GlobalInvocationID.x), h = int(gl_GlobalInvocationID.y);
  if (w >= W || h >= H) return;
  // Windows oh with oh*stride <= h < oh*stride + k (and oh < OH); likewise ow.
  int oh0 = max(0, (h - k + pool_stride) / pool_stride), oh1 = min(OH - 1, h / pool_stride);
  int ow0 = max(0, (w - k + pool_stride) / pool_stride), ow1 = min(OW - 1, w / pool_stride);
  for (int c = int(gl_WorkGroupID.z); c < C; c += int(gl_NumWorkGroups.z))
    for (int b = b0; b < b0 + nb; ++b) {
      int here = (c * H + h) * W + w;  // the index argmax holds for this input
      float s = 0.0;
      for (int oh = oh0; oh <= oh1; ++oh)
        for (int ow = ow0; ow <= ow1; ++ow) {
          int o = ((b * C + c) * OH + oh) * OW + ow;
          if (argmax[o] == here) s += dout[o];
        }
      dx[b * C * H * W + here] = s;
    }
}
