#version 430
// dx (B,C,H,W) = dout (B,C,OH,OW) routed to each window's max, as a gather:
// each input sums dout over the windows that hold it and picked it, in output
// order as the CPU adds them (windows overlap when stride < k).
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer DX { float dx[]; };      // (B,C,H,W)
layout(std430, binding = 1) readonly buffer DOut { float dout[]; };   // (B,C,OH,OW)
layout(std430, binding = 2) readonly buffer Arg { int argmax[]; };    // (B,C,OH,OW)

layout(location = 0) uniform int B;
layout(location = 1) uniform int C;
layout(location = 2) uniform int H;
layout(location = 3) uniform int W;
layout(location = 4) uniform int k;
layout(location = 5) uniform int pool_stride;
layout(location = 6) uniform int OH;
layout(location = 7) uniform int OW;

void main() {
  uint total = uint(B * C * H * W);
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    int w = int(i % uint(W)), h = int((i / uint(W)) % uint(H));
    int c = int((i / uint(W * H)) % uint(C)), b = int(i / uint(W * H * C));
    int here = (c * H + h) * W + w;  // the index argmax holds for this input
    // Windows oh with oh*stride <= h < oh*stride + k (and oh < OH); likewise ow.
    int oh0 = max(0, (h - k + pool_stride) / pool_stride), oh1 = min(OH - 1, h / pool_stride);
    int ow0 = max(0, (w - k + pool_stride) / pool_stride), ow1 = min(OW - 1, w / pool_stride);
    float s = 0.0;
    for (int oh = oh0; oh <= oh1; ++oh)
      for (int ow = ow0; ow <= ow1; ++ow) {
        int o = ((b * C + c) * OH + oh) * OW + ow;
        if (argmax[o] == here) s += dout[o];
      }
    dx[i] = s;
  }
}
