#version 430
// C (M,N) = op(A) . op(B) (+ bias (N)), row-major floats, any M, N, K:
//   TRANS_A 0: A stored (M,K)   1: A stored (K,M)
//   TRANS_B 0: B stored (K,N)   1: B stored (N,K)
// matmul_forward is NT with bias, dinp = dout . W is NN, dweight = dout^T . inp
// is TN: transposes are index arithmetic, never copies.
// A workgroup computes a BM x BN tile of C, walking K in BK slices staged in
// shared memory (the next slice is fetched into registers while the current
// one is multiplied). Each invocation accumulates a TM x TN block in registers
// at rows ty + i*TY and columns tx + j*TX: strided, so that reads of a shared
// row are broadcasts or consecutive, and stores to C coalesce.
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
#define TX (BN / TN)
#define TY (BM / TM)
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

// k-major slices; the +1 keeps a column of a k-contiguous load off one bank.
shared float As[BK][BM + 1];
shared float Bs[BK][BN + 1];

float ra[LOADS_A], rb[LOADS_B];  // the next slice, in flight

void fetch(int m0, int n0, int k0, int tid) {
  for (int l = 0; l < LOADS_A; ++l) {
    int e = tid + l * THREADS;
#if TRANS_A
    int mm = e % BM, kk = e / BM;  // (K,M): consecutive invocations along m
    int gm = m0 + mm, gk = k0 + kk;
    ra[l] = (gm < M && gk < K && kk < BK) ? Am[gk * M + gm] : 0.0;
#else
    int kk = e % BK, mm = e / BK;  // (M,K): consecutive invocations along k
    int gm = m0 + mm, gk = k0 + kk;
    ra[l] = (gm < M && gk < K && mm < BM) ? Am[gm * K + gk] : 0.0;
#endif
  }
  for (int l = 0; l < LOADS_B; ++l) {
    int e = tid + l * THREADS;
#if TRANS_B
    int kk = e % BK, nn = e / BK;  // (N,K): along k
    int gn = n0 + nn, gk = k0 + kk;
    rb[l] = (gn < N && gk < K && nn < BN) ? Bm[gn * K + gk] : 0.0;
#else
    int nn = e % BN, kk = e / BN;  // (K,N): along n
    int gn = n0 + nn, gk = k0 + kk;
    rb[l] = (gn < N && gk < K && kk < BK) ? Bm[gk * N + gn] : 0.0;
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
    if (e < BM * BK) As[kk][mm] = ra[l];
  }
  for (int l = 0; l < LOADS_B; ++l) {
    int e = tid + l * THREADS;
#if TRANS_B
    int kk = e % BK, nn = e / BK;
#else
    int nn = e % BN, kk = e / BN;
#endif
    if (e < BN * BK) Bs[kk][nn] = rb[l];
  }
}

void main() {
  int tid = int(gl_LocalInvocationID.x);
  int tx = tid % TX, ty = tid / TX;
  int m0 = int(gl_WorkGroupID.y) * BM, n0 = int(gl_WorkGroupID.x) * BN;

  float acc[TM][TN];
  for (int i = 0; i < TM; ++i)
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.0;

  fetch(m0, n0, 0, tid);
  for (int k0 = 0; k0 < K; k0 += BK) {
    stage(tid);
    barrier();
    if (k0 + BK < K) fetch(m0, n0, k0 + BK, tid);
    for (int kk = 0; kk < BK; ++kk) {
      float a[TM], b[TN];
      for (int i = 0; i < TM; ++i) a[i] = As[kk][ty + i * TY];
      for (int j = 0; j < TN; ++j) b[j] = Bs[kk][tx + j * TX];
      for (int i = 0; i < TM; ++i)
        for (int j = 0; j < TN; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
    barrier();
  }

  for (int i = 0; i < TM; ++i) {
    int gm = m0 + ty + i * TY;
    if (gm >= M) break;
    for (int j = 0; j < TN; ++j) {
      int gn = n0 + tx + j * TX;
      if (gn < N) Cm[gm * N + gn] = acc[i][j] + (has_bias != 0 ? bias[gn] : 0.0);
    }
  }
}
