#version 430
// gather: one batch from the uint8 data set on the device.
//   x (B,C) f32 = images[row] / 255,  y (B) i32 = labels[row],
//   row = idx[offset + b] if use_idx, else offset + b.
// u8 buffers are read as uint words, 4 bytes each, little-endian.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer XBuf { float x[]; };       // (B,C)
layout(std430, binding = 1) writeonly buffer YBuf { int y[]; };         // (B)
layout(std430, binding = 2) readonly buffer Images { uint images[]; };  // (N,C) u8
layout(std430, binding = 3) readonly buffer Labels { uint labels[]; };  // (N) u8
layout(std430, binding = 4) readonly buffer Idx { int idx[]; };         // (N) i32

layout(location = 0) uniform int B;
layout(location = 1) uniform int C;
layout(location = 2) uniform int offset;
layout(location = 3) uniform int use_idx;

void main() {
  uint n = uint(B) * uint(C);
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
    uint b = i / uint(C), c = i - b * uint(C);
    uint row = use_idx != 0 ? uint(idx[offset + int(b)]) : uint(offset) + b;
    uint p = row * uint(C) + c;
    uint v = (images[p >> 2] >> ((p & 3u) * 8u)) & 0xFFu;
    x[i] = float(v) / 255.0;
    if (c == 0u) y[b] = int((labels[row >> 2] >> ((row & 3u) * 8u)) & 0xFFu);
  }
}
