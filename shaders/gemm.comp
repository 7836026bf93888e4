#version 430
// C (M,N) = op(A) . op(B) (+ bias (N)), row-major floats, any M, N, K:
//   TRANS_A 0: A stored (M,K)   1: A stored (K,M)
//   TRANS_B 0: B stored (K,N)   1: B stored (N,K)
// matmul_forward is NT with bias, dinp = dout . W is NN, dweight = dout^T . inp
// is TN: transposes are index arithmetic, never copies.
// A workgroup computes a BM x BN tile of C, walking K in BK slices staged in
// shared memory (the next slice is fetched into registers while the current
// one is multiplied). Each invocation accumulates a TM x TN block in registers
// made of 4x4 pieces, read from shared memory as vec4 (see main).
#ifndef BM
#define BM 64
#define BN 64
#define BK 16
#define TM 4
#define TN 4
#define THREADS 256
#endif
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 1
#endif
#define TX (BN / TN)  // invocations across a tile's columns
#define TY (BM / TM)
#if TM % 4 != 0 || TN % 4 != 0
#error TM and TN must be multiples of 4 (vec4 blocks)
#endif
#if THREADS != TX * TY  // a literal: GLSL 4.30 sizes workgroups with literals only
#error THREADS must be (BM / TM) * (BN / TN)
#endif
#define LOADS_A ((BM * BK + THREADS - 1) / THREADS)
#define LOADS_B ((BN * BK + THREADS - 1) / THREADS)

layout(local_size_x = THREADS) in;

layout(std430, binding = 0) writeonly buffer CBuf { float Cm[]; };
layout(std430, binding = 1) readonly restrict buffer ABuf { float Am[]; };
layout(std430, binding = 2) readonly restrict buffer BBuf { float Bm[]; };
layout(std430, binding = 3) readonly buffer BiasBuf { float bias[]; };  // (N)

layout(location = 0) uniform int M;
layout(location = 1) uniform int N;
layout(location = 2) uniform int K;
layout(location = 3) uniform int has_bias;
// Split K: workgroup z sums k in [z*k_chunk, (z+1)*k_chunk) into its own (M,N)
// slice of C, which splitk_reduce.comp then adds up. k_chunk = K: no split.
layout(location = 4) uniform int k_chunk;

// k-major slices, read as vec4. Rows padded by 4 floats (keeps vec4 alignment)
// so that a k-contiguous load's stores spread over the banks.
#define SA (BM + 4)
#define SB (BN + 4)
shared vec4 As[BK * SA / 4];
shared vec4 Bs[BK * SB / 4];

float ra[LOADS_A], rb[LOADS_B];  // the next slice, in flight
int k_end;                       // this workgroup's end of K

void fetch(int m0, int n0, int k0, int tid) {
  for (int l = 0; l < LOADS_A; ++l) {
    int e = tid + l * THREADS;
#if TRANS_A
    int mm = e % BM, kk = e / BM;  // (K,M): consecutive invocations along m
    int gm = m0 + mm, gk = k0 + kk;
    ra[l] = (gm < M && gk < k_end && kk < BK) ? Am[gk * M + gm] : 0.0;
#else
    int kk = e % BK, mm = e / BK;  // (M,K): consecutive invocations along k
    int gm = m0 + mm, gk = k0 + kk;
    ra[l] = (gm < M && gk < k_end && mm < BM) ? Am[gm * K + gk] : 0.0;
#endif
  }
  for (int l = 0; l < LOADS_B; ++l) {
    int e = tid + l * THREADS;
#if TRANS_B
    int kk = e % BK, nn = e / BK;  // (N,K): along k
    int gn = n0 + nn, gk = k0 + kk;
    rb[l] = (gn < N && gk < k_end && nn < BN) ? Bm[gn * K + gk] : 0.0;
#else
    int nn = e % BN, kk = e / BN;  // (K,N): along n
    int gn = n0 + nn, gk = k0 + kk;
    rb[l] = (gn < N && gk < k_end && kk < BK) ? Bm[gk * N + gn] : 0.0;
#endif
  }
}

void stage(int tid) {
  for (int l = 0; l < LOADS_A; ++l) {
    int e = tid + l * THREADS;
#if TRANS_A
    int mm = e % BM, kk = e / BM;
#else
    int kk = e % BK, mm = e / BK;
#endif
    int at = kk * SA + mm;
    if (e < BM * BK) As[at >> 2][at & 3] = ra[l];
  }
  for (int l = 0; l < LOADS_B; ++l) {
    int e = tid + l * THREADS;
#if TRANS_B
    int kk = e % BK, nn = e / BK;
#else
    int nn = e % BN, kk = e / BN;
#endif
    int at = kk * SB + nn;
    if (e < BN * BK) Bs[at >> 2][at & 3] = rb[l];
  }
}

void main() {
  int tid = int(gl_LocalInvocationID.x);
  int tx = tid % TX, ty = tid / TX;
  int m0 = int(gl_WorkGroupID.y) * BM, n0 = int(gl_WorkGroupID.x) * BN;

  // acc[r][c] holds rows (ty + r*TY)*4 + 0..3 by columns (tx + c*TX)*4 + 0..3 as
  // 4 vec4 (one per row): chunks of 4 interleaved across invocations, so that a
  // warp's vec4 reads of shared memory are consecutive or broadcast.
  vec4 acc[TM / 4][TN / 4][4];
  for (int r = 0; r < TM / 4; ++r)
    for (int c = 0; c < TN / 4; ++c)
      for (int e = 0; e < 4; ++e) acc[r][c][e] = vec4(0.0);

  int k_begin = int(gl_WorkGroupID.z) * k_chunk;
  k_end = min(K, k_begin + k_chunk);
  fetch(m0, n0, k_begin, tid);
  for (int k0 = k_begin; k0 < k_end; k0 += BK) {
    stage(tid);
    barrier();
    if (k0 + BK < k_end) fetch(m0, n0, k0 + BK, tid);
    for (int kk = 0; kk < BK; ++kk) {
      vec4 a[TM / 4], b[TN / 4];
      for (int r = 0; r < TM / 4; ++r) a[r] = As[kk * (SA / 4) + ty + r * TY];
      for (int c = 0; c < TN / 4; ++c) b[c] = Bs[kk * (SB / 4) + tx + c * TX];
      for (int r = 0; r < TM / 4; ++r)
        for (int c = 0; c < TN / 4; ++c) {
          acc[r][c][0] = fma(vec4(a[r].x), b[c], acc[r][c][0]);
          acc[r][c][1] = fma(vec4(a[r].y), b[c], acc[r][c][1]);
          acc[r][c][2] = fma(vec4(a[r].z), b[c], acc[r][c][2]);
          acc[r][c][3] = fma(vec4(a[r].w), b[c], acc[r][c][3]);
        }
    }
    barrier();
  }

  int out_base = int(gl_WorkGroupID.z) * M * N;
  for (int r = 0; r < TM / 4; ++r)
    for (int e = 0; e < 4; ++e) {
      int gm = m0 + (ty + r * TY) * 4 + e;
      if (gm >= M) continue;
      for (int c = 0; c < TN / 4; ++c)
        for (int f = 0; f < 4; ++f) {
          int gn = n0 + (tx + c * TX) * 4 + f;
          if (gn < N) Cm[out_base + gm * N + gn] = acc[r][c][e][f] + (has_bias != 0 ? bias[gn] : 0.0);
        }
    }
}
