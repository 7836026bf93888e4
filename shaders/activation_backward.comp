#version 430
// activation_backward: dz (n) = da * act'(z), the derivative taken from a = act(z).
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer DzBuf { float dz[]; };  // (B,OC)
layout(std430, binding = 1) readonly buffer DaBuf { float da[]; };   // (B,OC)
layout(std430, binding = 2) readonly buffer ABuf { float a[]; };     // (B,OC)

layout(location = 0) uniform uint n;
layout(location = 1) uniform int act;  // 0 sigmoid, 1 tanh, 2 relu

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
    float g = da[i], y = a[i];
    if (act == 0)
      dz[i] = g * y * (1.0 - y);
    else if (act == 1)
      dz[i] = g * (1.0 - y * y);
    else
      dz[i] = y > 0.0 ? g : 0.0;
  }
}
