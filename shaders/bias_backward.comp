#version 430
// The bias half of matmul_backward: dbias (OC) = sum over b of dout (B,OC).
// A workgroup owns 32 columns; its 8 rows of invocations each sum every 8th
// row of dout (reads stay coalesced along a row), then add up in shared memory.
layout(local_size_x = 32, local_size_y = 8) in;

layout(std430, binding = 0) writeonly buffer DBias { float dbias[]; };  // (OC)
layout(std430, binding = 1) readonly buffer DOut { float dout[]; };     // (B,OC)

layout(location = 0) uniform int B;
layout(location = 1) uniform int OC;

shared float partial[8][32];

void main() {
  int lx = int(gl_LocalInvocationID.x), ly = int(gl_LocalInvocationID.y);
  int o = int(gl_WorkGroupID.x) * 32 + lx;
  float s = 0.0;
  if (o < OC)
    for (int b = ly; b < B; b += 8) s += dout[b * OC + o];
  partial[ly][lx] = s;
  barrier();
  if (ly == 0 && o < OC) {
    for (int r = 1; r < 8; ++r) s += partial[r][lx];
    dbias[o] = s;
  }
}
