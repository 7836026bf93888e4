#version 430
// Inverted dropout on n floats. draw 1 (dropout_forward): mask[i] = keep if
// dropout_uniform(key, i) >= rate, else 0; out = x * mask. draw 0
// (dropout_backward): out = x * mask, the forward pass's mask.
// dropout_uniform (engine/backend.h, SplitMix64's finaliser) is ported bit for
// bit: GLSL 4.30 has no 64-bit integers, so each is a uvec2 (lo, hi).
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer Out { float outv[]; };  // (n)
layout(std430, binding = 1) buffer Mask { float mask[]; };           // (n): written when draw, read otherwise
layout(std430, binding = 2) readonly buffer X { float x[]; };        // (n)

layout(location = 0) uniform uint n;
layout(location = 1) uniform int draw;
layout(location = 2) uniform float rate;
layout(location = 3) uniform float keep;  // 1 / (1 - rate), divided on the host as the CPU does
layout(location = 4) uniform uint key_lo;
layout(location = 5) uniform uint key_hi;

uvec2 add64(uvec2 a, uvec2 b) {
  uint carry;
  uint lo = uaddCarry(a.x, b.x, carry);
  return uvec2(lo, a.y + b.y + carry);
}
uvec2 mul64(uvec2 a, uvec2 b) {  // modulo 2^64
  uint hi, lo;
  umulExtended(a.x, b.x, hi, lo);
  return uvec2(lo, hi + a.x * b.y + a.y * b.x);
}
uvec2 xorshr64(uvec2 a, int s) {  // a ^ (a >> s), 0 < s < 32
  return a ^ uvec2((a.x >> s) | (a.y << (32 - s)), a.y >> s);
}

float dropout_uniform(uint i) {
  uvec2 z = add64(uvec2(key_lo, key_hi), mul64(add64(uvec2(i, 0u), uvec2(1u, 0u)), uvec2(0x7F4A7C15u, 0x9E3779B9u)));
  z = mul64(xorshr64(z, 30), uvec2(0x1CE4E5B9u, 0xBF58476Du));
  z = mul64(xorshr64(z, 27), uvec2(0x133111EBu, 0x94D049BBu));
  z = xorshr64(z, 31);
  return float(z.y >> 8) * (1.0 / 16777216.0);  // z >> 40: 24 bits, exact
}

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
    float m;
    if (draw != 0) {
      m = dropout_uniform(i) >= rate ? keep : 0.0;
      mask[i] = m;
    } else {
      m = mask[i];
    }
    outv[i] = x[i] * m;
  }
}
