#version 430
// conv_backward's dbias (F) = the row sums of dout' (F, N): one workgroup per
// row; each invocation sums every 256th value (reads coalesced), then a tree in
// shared memory adds the 256 partial sums.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Sums { float sums[]; };  // (R)
layout(std430, binding = 1) readonly buffer M { float m[]; };         // (R, N)

layout(location = 0) uniform int R;
layout(location = 1) uniform int N;

shared float partial[256];

void main() {
  uint lx = gl_LocalInvocationID.x;
  for (uint r = gl_WorkGroupID.x; r < uint(R); r += gl_NumWorkGroups.x) {
    float s = 0.0;
    for (uint e = lx; e < uint(N); e += 256u) s += m[r * uint(N) + e];
    partial[lx] = s;
    barrier();
    for (uint half_ = 128u; half_ > 0u; half_ >>= 1) {
      if (lx < half_) partial[lx] += partial[lx + half_];
      barrier();
    }
    if (lx == 0u) sums[r] = partial[0];
    barrier();  // partial is reused by the next row
  }
}
