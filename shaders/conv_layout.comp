#version 430
// Moves a conv's values between the GEMM's layout (F, B*P), the batch's
// positions side by side, and the layer's (B,F,P):
//   to_batch 1: dst (B,F,P) = src (F, B*P) + bias (F)      (conv_forward)
//   to_batch 0: dst (F, B*P) = src (B,F,P)                  (conv_backward's dout)
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src { float src[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };  // (F)

layout(location = 0) uniform int B;
layout(location = 1) uniform int F;
layout(location = 2) uniform int P;
layout(location = 3) uniform int to_batch;

void main() {
  uint total = uint(B * F * P), N = uint(B * P);
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    // i indexes (B,F,P): sample b, filter f, position p
    uint p = i % uint(P), f = (i / uint(P)) % uint(F), b = i / uint(P * F);
    uint g = f * N + b * uint(P) + p;  // the same value in (F, B*P)
    if (to_batch != 0)
      dst[i] = src[g] + bias[f];
    else
      dst[g] = src[i];
  }
}
