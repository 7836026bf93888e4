#version 430
// Moves a conv's values between the GEMM's layout (F, B*P), the batch's
// positions side by side, and the layer's (B,F,P):
//   to_batch 1: dst (B,F,P) = src (F, B*P) + bias (F)      (conv_forward)
//   to_batch 0: dst (F, B*P) = src (B,F,P)                  (conv_backward's dout)
// The grid is (P, F, B): no integer divisions.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer Src { float src[]; };
layout(std430, binding = 2) readonly buffer Bias { float bias[]; };  // (F)

layout(location = 0) uniform int B;
layout(location = 1) uniform int F;
layout(location = 2) uniform int P;
layout(location = 3) uniform int to_batch;

void main() {
  uint p = gl_GlobalInvocationID.x;
  if (p >= uint(P)) return;
  for (uint b = gl_WorkGroupID.z; b < uint(B); b += gl_NumWorkGroups.z)
    for (uint f = gl_WorkGroupID.y; f < uint(F); f += gl_NumWorkGroups.y) {
      uint i = (b * uint(F) + f) * uint(P) + p;  // (B,F,P)
      uint g = f * uint(B * P) + b * uint(P) + p;  // (F, B*P)
      if (to_batch != 0)
        dst[i] = src[g] + bias[f];
      else
        dst[g] = src[i];
    }
}
