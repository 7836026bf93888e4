#version 430
// The second half of a split-K GEMM: C (M,N) = sum over s of partial (S,M,N)
// (+ bias (N)). Products with few output tiles and a long K (a batch of 10
// against 784 inputs) split K so that more than one workgroup works on them.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer CBuf { float Cm[]; };         // (M,N)
layout(std430, binding = 1) readonly buffer Partial { float partial[]; };  // (S,M,N)
layout(std430, binding = 2) readonly buffer BiasBuf { float bias[]; };     // (N)

layout(location = 0) uniform uint mn;  // M * N
layout(location = 1) uniform int N;
layout(location = 2) uniform int S;
layout(location = 3) uniform int has_bias;

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < mn; i += stride) {
    float sum = 0.0;
    for (int s = 0; s < S; ++s) sum += partial[uint(s) * mn + i];
    Cm[i] = sum + (has_bias != 0 ? bias[i % uint(N)] : 0.0);
  }
}
