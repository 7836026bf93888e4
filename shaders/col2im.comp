#version 430
// conv_backward's col2im, the adjoint of im2col.comp, as a gather: each element
// of dx (B,C,H,W) sums the entries of dcols (CKK, B*P) that im2col read from it,
// in the CPU's order (ki, then kj), so that no two invocations write one value.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer DX { float dx[]; };     // (B,C,H,W)
layout(std430, binding = 1) readonly buffer Cols { float cols[]; };  // (CKK, B*P)

layout(location = 0) uniform int B;
layout(location = 1) uniform int C;
layout(location = 2) uniform int H;
layout(location = 3) uniform int W;
layout(location = 4) uniform int k;
layout(location = 5) uniform int pad;
layout(location = 6) uniform int OH;
layout(location = 7) uniform int OW;

void main() {
  uint P = uint(OH * OW), N = uint(B) * P, total = uint(B * C * H * W);
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < total; i += stride) {
    int iw = int(i % uint(W)), ih = int((i / uint(W)) % uint(H));
    int c = int((i / uint(W * H)) % uint(C)), b = int(i / uint(W * H * C));
    float s = 0.0;
    for (int ki = 0; ki < k; ++ki) {
      int oh = ih + pad - ki;
      if (oh < 0 || oh >= OH) continue;
      for (int kj = 0; kj < k; ++kj) {
        int ow = iw + pad - kj;
        if (ow < 0 || ow >= OW) continue;
        s += cols[uint((c * k + ki) * k + kj) * N + uint(b) * P + uint(oh * OW + ow)];
      }
    }
    dx[i] = s;
  }
}
