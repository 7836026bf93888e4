#version 430
// output_backward: dz (B,OC) = dCost/dz for one (output activation, cost) pair
// and loss[loss_slot] = the batch's summed per-sample cost, computed from z so
// that it stays finite. One workgroup: rows are strided over its invocations,
// then the per-invocation sums are reduced in shared memory.
#define THREADS 256
layout(local_size_x = THREADS) in;

layout(std430, binding = 0) writeonly buffer DzBuf { float dz[]; };  // (B,OC)
layout(std430, binding = 1) buffer LossBuf { float loss[]; };         // (slots)
layout(std430, binding = 2) readonly buffer ZBuf { float z[]; };      // (B,OC)
layout(std430, binding = 3) readonly buffer ABuf { float a[]; };      // (B,OC)
layout(std430, binding = 4) readonly buffer YBuf { int y[]; };        // (B)

layout(location = 0) uniform int B;
layout(location = 1) uniform int OC;
layout(location = 2) uniform int softmax;        // output activation: 1 softmax, 0 sigmoid
layout(location = 3) uniform int cross_entropy;  // cost: 1 cross-entropy, 0 quadratic
layout(location = 4) uniform int loss_slot;

shared float partial[THREADS];

// log(1 + e) for e in [0, 1], accurate for small e (GLSL has no log1p).
float log1p_small(float e) {
  return e < 0.01 ? e * (1.0 - e * (0.5 - e * (1.0 / 3.0 - e * 0.25))) : log(1.0 + e);
}

void main() {
  int tid = int(gl_LocalInvocationID.x);
  float total = 0.0;
  for (int b = tid; b < B; b += THREADS) {
    int base = b * OC, t = y[b];
    float per_sample = 0.0;
    if (cross_entropy == 0) {
      // C = 1/2 |a - y|^2
      float dot_ea = 0.0;  // softmax: (a - y) . a, for the Jacobian product
      for (int k = 0; k < OC; ++k) {
        float e = a[base + k] - (k == t ? 1.0 : 0.0);
        per_sample += 0.5 * e * e;
        dot_ea += e * a[base + k];
      }
      for (int k = 0; k < OC; ++k) {
        float ak = a[base + k], e = ak - (k == t ? 1.0 : 0.0);
        dz[base + k] = softmax != 0 ? ak * (e - dot_ea) : e * ak * (1.0 - ak);
      }
    } else {
      // dC/dz = a - y for both pairings.
      for (int k = 0; k < OC; ++k) dz[base + k] = a[base + k] - (k == t ? 1.0 : 0.0);
      if (softmax != 0) {
        // -ln a_t = logsumexp(z) - z_t
        float m = z[base];
        for (int k = 1; k < OC; ++k) m = max(m, z[base + k]);
        float s = 0.0;
        for (int k = 0; k < OC; ++k) s += exp(z[base + k] - m);
        per_sample = m + log(s) - z[base + t];
      } else {
        // -[y ln a + (1-y) ln(1-a)] = softplus(z) - y z
        for (int k = 0; k < OC; ++k) {
          float zk = z[base + k];
          per_sample += max(zk, 0.0) + log1p_small(exp(-abs(zk))) - (k == t ? zk : 0.0);
        }
      }
    }
    total += per_sample;
  }
  partial[tid] = total;
  barrier();
  for (int s = THREADS / 2; s > 0; s >>= 1) {
    if (tid < s) partial[tid] += partial[tid + s];
    barrier();
  }
  if (tid == 0) loss[loss_slot] = partial[0];
}
