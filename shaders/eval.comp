#version 430
// eval_accumulate: confusion (K,K) i32 [y[b]*K + argmax_k a[b,k]] += 1, the
// first maximum winning ties as on the CPU.
layout(local_size_x = 64) in;

layout(std430, binding = 0) buffer Confusion { int confusion[]; };  // (K,K)
layout(std430, binding = 1) readonly buffer ABuf { float a[]; };    // (B,K)
layout(std430, binding = 2) readonly buffer YBuf { int y[]; };      // (B)

layout(location = 0) uniform int B;
layout(location = 1) uniform int K;

void main() {
  int b = int(gl_GlobalInvocationID.x);
  if (b >= B) return;
  int base = b * K, best = 0;
  for (int k = 1; k < K; ++k)
    if (a[base + k] > a[base + best]) best = k;
  atomicAdd(confusion[y[b] * K + best], 1);
}
