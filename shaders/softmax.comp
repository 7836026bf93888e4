#version 430
// activation_forward for Softmax: a (B,OC) = exp(z - max) / sum, row by row,
// one invocation per row (output layers are narrow).
layout(local_size_x = 64) in;

layout(std430, binding = 0) writeonly buffer ABuf { float a[]; };  // (B,OC)
layout(std430, binding = 1) readonly buffer ZBuf { float z[]; };   // (B,OC)

layout(location = 0) uniform int B;
layout(location = 1) uniform int OC;

void main() {
  int b = int(gl_GlobalInvocationID.x);
  if (b >= B) return;
  int base = b * OC;
  float m = z[base];
  for (int k = 1; k < OC; ++k) m = max(m, z[base + k]);
  float s = 0.0;
  for (int k = 0; k < OC; ++k) s += exp(z[base + k] - m);
  // a is write-only: the exponentials are recomputed rather than read back.
  for (int k = 0; k < OC; ++k) a[base + k] = exp(z[base + k] - m) / s;
}
