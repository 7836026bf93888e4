#version 430
// activation_forward for the element-wise activations: a (n) = act(z).
// Softmax is row-wise and lives in softmax.comp.
layout(local_size_x = 256) in;

layout(std430, binding = 0) writeonly buffer ABuf { float a[]; };  // (B,OC)
layout(std430, binding = 1) readonly buffer ZBuf { float z[]; };   // (B,OC)

layout(location = 0) uniform uint n;
layout(location = 1) uniform int act;  // 0 sigmoid, 1 tanh, 2 relu

// tanh with full relative precision near 0 (the (e^2x-1)/(e^2x+1) form that
// some drivers use loses it there) and no inf/inf for large |x|.
float tanh_stable(float x) {
  float ax = abs(x);
  if (ax < 0.25) {
    float x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0)))));
  }
  float t = exp(-2.0 * ax);
  return sign(x) * ((1.0 - t) / (1.0 + t));
}

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
    float v = z[i];
    if (act == 0)
      a[i] = 1.0 / (1.0 + exp(-v));
    else if (act == 1)
      a[i] = tanh_stable(v);
    else
      a[i] = max(v, 0.0);
  }
}
