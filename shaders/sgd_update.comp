#version 430
// sgd_update on n floats:
//   g = scale * dparam + l2 * param
//   velocity = momentum * velocity - g;  param += velocity   (use_velocity)
//   param -= g                                               (plain)
layout(local_size_x = 256) in;

layout(std430, binding = 0) buffer Param { float param[]; };
layout(std430, binding = 1) buffer Velocity { float velocity[]; };
layout(std430, binding = 2) readonly buffer DParam { float dparam[]; };

layout(location = 0) uniform uint n;
layout(location = 1) uniform float scale;
layout(location = 2) uniform float l2;
layout(location = 3) uniform float momentum;
layout(location = 4) uniform int use_velocity;

void main() {
  uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
  for (uint i = gl_GlobalInvocationID.x; i < n; i += stride) {
    float p = param[i];
    float g = scale * dparam[i] + l2 * p;
    if (use_velocity != 0) {
      float v = momentum * velocity[i] - g;
      velocity[i] = v;
      param[i] = p + v;
    } else {
      param[i] = p - g;
    }
  }
}
