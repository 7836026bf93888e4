#version 430
// The bias half of matmul_backward: dbias (OC) = sum over b of dout (B,OC),
// one invocation per column, summed in row order as the CPU backend does.
layout(local_size_x = 64) in;

layout(std430, binding = 0) writeonly buffer DBias { float dbias[]; };  // (OC)
layout(std430, binding = 1) readonly buffer DOut { float dout[]; };     // (B,OC)

layout(location = 0) uniform int B;
layout(location = 1) uniform int OC;

void main() {
  int o = int(gl_GlobalInvocationID.x);
  if (o >= OC) return;
  float s = 0.0;
  for (int b = 0; b < B; ++b) s += dout[b * OC + o];
  dbias[o] = s;
}
