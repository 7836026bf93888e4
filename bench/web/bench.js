// The page side of the browser benchmark: loads Fashion-MNIST (gzip IDX over HTTP),
// then on request trains [784,h,10] (a conv net: conv_peers.js) for a fixed number of samples in nnlab (WASM)
// or in TF.js 4.22 (wasm backend) or jax-js 0.1.25 (wasm backend) with network.py's algorithm: sigmoid layers,
// quadratic cost C = 1/2 sum |a - y|^2 over the batch, w -= (eta/m) * dC/dw.
'use strict';

const kEta = 3.0;
const logEl = () => document.getElementById('log');
function log(s) { logEl().textContent += '\n' + s; console.log(s); }

async function fetchIdx(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  let bytes = new Uint8Array(await r.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const ds = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(ds).arrayBuffer());
  }
  const dv = new DataView(bytes.buffer);
  const ndim = bytes[3];
  const dims = [];
  for (let i = 0; i < ndim; ++i) dims.push(dv.getUint32(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * ndim) };
}

// A seeded shuffle, so every run and implementation sees batches of the same kind.
function permutation(n, seed) {
  const p = new Int32Array(n);
  for (let i = 0; i < n; ++i) p[i] = i;
  let s = seed >>> 0;
  for (let i = n - 1; i > 0; --i) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

const state = {};

window.benchReady = (async () => {
  const img = await fetchIdx('/data/train-images-idx3-ubyte.gz');
  const lab = await fetchIdx('/data/train-labels-idx1-ubyte.gz');
  state.n = img.dims[0];
  state.images = img.data;
  state.labels = lab.data;
  log('data: ' + state.n + ' images');

  // nnlab: the images go into the WASM heap once.
  state.nnlab = await createNnlabBench();
  const M = state.nnlab;
  state.imgPtr = M._malloc(state.images.length);
  state.labPtr = M._malloc(state.labels.length);
  M.HEAPU8.set(state.images, state.imgPtr);
  M.HEAPU8.set(state.labels, state.labPtr);
  state.kernelError = M._nnlab_bench_check_kernels();
  log('nnlab kernels max rel. error vs naive: ' + state.kernelError);

  // TF.js: wasm backend, binaries served from the npm package; SIMD on where the
  // browser has it. Without COOP/COEP headers it runs one thread, like nnlab.
  tf.wasm.setWasmPaths('/tfjs-wasm/');
  await tf.setBackend('wasm');
  await tf.ready();
  state.tfInfo = {
    backend: tf.getBackend(), version: tf.version.tfjs,
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
  const x = new Float32Array(state.images.length);
  for (let i = 0; i < x.length; ++i) x[i] = state.images[i] / 255;
  const y = new Float32Array(state.n * 10);
  for (let i = 0; i < state.n; ++i) y[i * 10 + state.labels[i]] = 1;
  state.x = x;
  state.X = tf.tensor2d(x, [state.n, 784]);
  // Test images for the conv peers' check that they learn (the last 10k training images without them).
  try {
    const ti = await fetchIdx('/data/t10k-images-idx3-ubyte.gz'), tl = await fetchIdx('/data/t10k-labels-idx1-ubyte.gz');
    state.testX = Float32Array.from(ti.data, (v) => v / 255);
    state.testLabels = tl.data;
  } catch (e) {
    state.testX = x.subarray((state.n - 10000) * 784);
    state.testLabels = state.labels.subarray(state.n - 10000);
  }
  state.Y = tf.tensor2d(y, [state.n, 10]);
  log('tfjs: ' + JSON.stringify(state.tfInfo));

  // jax-js: the ES module from the npm package, wasm device, main thread. Without
  // COOP/COEP there is no SharedArrayBuffer, so no worker pool: one thread.
  state.jax = await import('/jaxjs/index.js');
  const jdev = await state.jax.init('wasm');
  state.jax.defaultDevice('wasm');
  state.jaxInfo = { devices: jdev, device: state.jax.defaultDevice() };
  log('jax-js: ' + JSON.stringify(state.jaxInfo));
  return { n: state.n, kernelError: state.kernelError, nnlabBuild: window.nnlabBuild, tf: state.tfInfo, jax: state.jaxInfo,
           userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated };
})();

// Weights (in, out) as tf.layers.dense keeps its kernel: matMul without a
// transpose is the wasm backend's fast path (twice as fast at batch 100 here).
function tfParams(hidden) {
  return [tf.variable(tf.randomNormal([784, hidden], 0, 1, 'float32', 1)),
          tf.variable(tf.randomNormal([hidden], 0, 1, 'float32', 2)),
          tf.variable(tf.randomNormal([hidden, 10], 0, 1, 'float32', 3)),
          tf.variable(tf.randomNormal([10], 0, 1, 'float32', 4))];
}

function forward(x, W1, b1, W2, b2) {
  const a1 = tf.sigmoid(tf.add(tf.matMul(x, W1), b1));
  const a2 = tf.sigmoid(tf.add(tf.matMul(a1, W2), b2));
  return [a1, a2];
}

// One TF.js run of `batches` batches. 'manual': network.py's backprop written in
// tf ops; 'autograd': the idiomatic optimizer.minimize on the summed cost.
// 'prebatched': the manual step on batches gathered before the clock starts (TF.js's
// best case: its per-batch gather is not timed, where nnlab's is).
function tfRun(variant, params, m, batches, perm, start, pre) {
  const [W1, b1, W2, b2] = params;
  const scale = kEta / m;
  const opt = variant === 'autograd' ? tf.train.sgd(scale) : null;
  for (let s = 0; s < batches; ++s) {
    tf.tidy(() => {
      let x, y;
      if (pre) {
        [x, y] = pre[s];
      } else {
        const idx = tf.tensor1d(perm.subarray((start + s) * m, (start + s + 1) * m), 'int32');
        x = tf.gather(state.X, idx);
        y = tf.gather(state.Y, idx);
      }
      if (opt) {
        opt.minimize(() => {
          const a2 = forward(x, W1, b1, W2, b2)[1];
          return tf.mul(0.5, tf.sum(tf.square(tf.sub(a2, y))));
        }, false, params);
        return;
      }
      const [a1, a2] = forward(x, W1, b1, W2, b2);
      const d2 = tf.mul(tf.sub(a2, y), tf.sub(a2, tf.square(a2)));   // (a-y) a(1-a)
      const d1 = tf.mul(tf.matMul(d2, W2, false, true), tf.sub(a1, tf.square(a1)));
      W2.assign(tf.sub(W2, tf.mul(tf.matMul(a1, d2, true, false), scale)));
      b2.assign(tf.sub(b2, tf.mul(tf.sum(d2, 0), scale)));
      W1.assign(tf.sub(W1, tf.mul(tf.matMul(x, d1, true, false), scale)));
      b1.assign(tf.sub(b1, tf.mul(tf.sum(d1, 0), scale)));
    });
  }
  if (opt) opt.dispose();
  W1.dataSync();  // the wasm backend is synchronous; this only makes the end explicit
}

function tfAccuracy(params, first, count) {
  return tf.tidy(() => {
    const x = state.X.slice([first, 0], [count, 784]);
    const a2 = forward(x, ...params)[1];
    const pred = a2.argMax(1).dataSync();
    let ok = 0;
    for (let i = 0; i < count; ++i) ok += pred[i] === state.labels[first + i] ? 1 : 0;
    return ok / count;
  });
}

// jax-js: the same algorithm as value-and-grad of the summed quadratic cost plus the
// SGD update, in one jit. Weights (out, in) with x @ W.T (1.3-2.6x faster in jax-js
// than (in, out)). jax-js moves arrays into functions (refcounts): every array is
// used once, or through .ref.
function jaxSigmoid(np, z) {
  // Stable: exp(-|z|) never overflows (jax-js's nn.sigmoid gives NaN gradients for
  // z <= -89); s = 1/(1+e) for z >= 0, e/(1+e) for z < 0.
  const e = np.exp(np.abs(z.ref).mul(-1));
  const inv = np.reciprocal(e.ref.add(1));
  return np.where(np.greaterEqual(z, 0), inv.ref, e.mul(inv));
}

function jaxForward(np, p, x) {
  const a1 = jaxSigmoid(np, np.matmul(x, p.W1.transpose()).add(p.b1));
  return jaxSigmoid(np, np.matmul(a1, p.W2.transpose()).add(p.b2));
}

function jaxStep(jax, batch) {
  const np = jax.numpy;
  const scale = kEta / batch;
  const cost = (p, x, y) => {
    const d = jaxForward(np, p, x).sub(y);
    return d.ref.mul(d).sum().mul(0.5);
  };
  const vg = jax.valueAndGrad(cost);
  return jax.jit((p, x, y) => {
    const [c, g] = vg({ W1: p.W1.ref, b1: p.b1.ref, W2: p.W2.ref, b2: p.b2.ref }, x, y);
    const q = {};
    for (const k of ['W1', 'b1', 'W2', 'b2']) q[k] = p[k].sub(g[k].mul(scale));
    return [q, c];
  });
}

function gaussian(n, seed) {  // seeded Box-Muller, N(0, 1) as network.py initialises
  const out = new Float32Array(n);
  let s = seed >>> 0;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 1) / 4294967297; };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())), t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

function jaxParams(hidden) {
  const np = state.jax.numpy;
  return { W1: np.array(gaussian(hidden * 784, 1), { shape: [hidden, 784] }),
           b1: np.array(gaussian(hidden, 2), { shape: [hidden] }),
           W2: np.array(gaussian(10 * hidden, 3), { shape: [10, hidden] }),
           b2: np.array(gaussian(10, 4), { shape: [10] }) };
}

// The batch is gathered in JS from the permutation and copied in per step (timed, as
// nnlab's gather is). Returns [params, first cost, last cost] (costs per sample)
// when `costs`, else [params].
function jaxRun(step, p, m, batches, perm, start, costs) {
  const np = state.jax.numpy;
  const xb = new Float32Array(m * 784), yb = new Float32Array(m * 10);
  let first = null, last = null;
  for (let s = 0; s < batches; ++s) {
    yb.fill(0);
    for (let i = 0; i < m; ++i) {
      const k = perm[(start + s) * m + i];
      xb.set(state.x.subarray(k * 784, (k + 1) * 784), i * 784);
      yb[i * 10 + state.labels[k]] = 1;
    }
    const [q, c] = step(p, np.array(xb, { shape: [m, 784] }), np.array(yb, { shape: [m, 10] }));
    p = q;
    // Reading the cost each step realizes the step: jax-js is lazy, and leaving 1000s of
    // steps pending made a run of 1200 batches 3x slower per batch than one of 300.
    const v = c.dataSync()[0] / m;
    if (s === 0) first = v; else if (s === batches - 1) last = v;
  }
  p.W1.ref.dataSync();  // makes the end explicit (the wasm device is synchronous)
  return costs ? [p, first, last] : [p];
}

function jaxAccuracy(p, first, count) {
  const np = state.jax.numpy;
  const x = np.array(state.x.subarray(first * 784, (first + count) * 784), { shape: [count, 784] });
  const a2 = jaxForward(np, { W1: p.W1.ref, b1: p.b1.ref, W2: p.W2.ref, b2: p.b2.ref }, x).dataSync();
  let ok = 0;
  for (let i = 0; i < count; ++i) {
    let arg = 0;
    for (let j = 1; j < 10; ++j) if (a2[i * 10 + j] > a2[i * 10 + arg]) arg = j;
    ok += arg === state.labels[first + i] ? 1 : 0;
  }
  return ok / count;
}

function jaxDispose(p) { for (const k of Object.keys(p)) p[k].dispose(); }

async function jaxBench(opts) {
  const { impl, hidden, batch, samples, repeats } = opts;
  const warmSeconds = opts.warmSeconds ?? 1.0;
  const batches = Math.floor(samples / batch);
  const perm = permutation(state.n, 7);
  const step = jaxStep(state.jax, batch);
  let best = 0, acc = null, cost0 = null, cost500 = null;
  {  // untimed warm-up (and the jit compile)
    let p = jaxParams(hidden);
    const tEnd = performance.now() + 1000 * warmSeconds;
    for (let s = 0; s + 1 < state.n / batch && performance.now() < tEnd; ++s)
      [p] = jaxRun(step, p, batch, 1, perm, s, false);
    jaxDispose(p);
  }
  {  // sanity check: the cost after 500 batches is below the first batch's
    let p = jaxParams(hidden);
    [p, cost0, cost500] = jaxRun(step, p, batch, 500, perm, 0, true);
    jaxDispose(p);
    if (!(cost500 < cost0)) throw new Error(`jax-js does not learn: cost ${cost0} -> ${cost500} after 500 batches`);
  }
  for (let r = 0; r < repeats; ++r) {
    let p = jaxParams(hidden);
    [p] = jaxRun(step, p, batch, 20, perm, 0, false);
    const t0 = performance.now();
    [p] = jaxRun(step, p, batch, batches, perm, 20, false);
    const dt = (performance.now() - t0) / 1000;
    best = Math.max(best, batches * batch / dt);
    acc = jaxAccuracy(p, 50000, 10000);
    jaxDispose(p);
    await new Promise((res) => setTimeout(res, 0));
  }
  step.dispose();
  return { impl, hidden, batch, samples: batches * batch, samples_per_sec: best,
           train_accuracy_tail: acc, cost_first: cost0, cost_500: cost500 };
}

// opts: {impl: 'nnlab'|'jaxjs'|'tfjs-manual'|'tfjs-autograd'|'tfjs-prebatched', hidden, batch, samples, repeats,
//        warmSeconds, sizes (nnlab: any "784,...,10" or a net's text form; a net's text form
//        goes to conv_peers.js's convBench for impl 'jaxjs'|'tfjs-cpu'|'tfjs-wasm'|'convnetjs'),
//        threads (nnlab built with pthreads)}
window.runBench = async (opts) => {
  await window.benchReady;
  const { impl, hidden, batch, samples, repeats } = opts;
  const warmSeconds = opts.warmSeconds ?? 1.0;
  const warm = 20;
  const batches = Math.floor(samples / batch);
  if (impl === 'nnlab') {
    const M = state.nnlab;
    const sizes = M.allocateUTF8(opts.sizes || `784,${hidden},10`);
    const losses = M._malloc(16);
    M.HEAPF64.fill(NaN, losses / 8, losses / 8 + 2);
    const sps = M._nnlab_bench_train(state.imgPtr, state.labPtr, state.n, sizes, batch,
                                     batches * batch, repeats, warmSeconds, opts.threads || 1, losses);
    const [first, last] = M.HEAPF64.subarray(losses / 8, losses / 8 + 2);
    M._free(sizes);
    M._free(losses);
    if (sps < 0) throw new Error('nnlab_bench_train failed: ' + sps);
    return { impl, hidden, batch, samples: batches * batch, samples_per_sec: sps, cost_first10: first,
             cost_last10: last, learns: last < 0.75 * first };
  }
  if (opts.sizes && opts.sizes.includes('-')) return window.convBench(opts);  // conv_peers.js
  if (impl === 'jaxjs') return jaxBench(opts);
  const variant = impl === 'tfjs-autograd' ? 'autograd' : 'manual';
  const prebatch = impl === 'tfjs-prebatched';
  const perm = permutation(state.n, 7);
  let best = 0, acc = null;
  {  // untimed warm-up, as for nnlab: let the browser tier the hot wasm code up
    const params = tfParams(hidden);
    const tEnd = performance.now() + 1000 * warmSeconds;
    for (let s = 0; s + 1 < state.n / batch && performance.now() < tEnd; ++s)
      tfRun(variant, params, batch, 1, perm, s);
    params.forEach((p) => p.dispose());
  }
  for (let r = 0; r < repeats; ++r) {
    const params = tfParams(hidden);
    tfRun(variant, params, batch, warm, perm, 0);
    let pre = null;
    if (prebatch) {
      pre = [];
      for (let s = 0; s < batches; ++s) {
        const idx = tf.tensor1d(perm.subarray((warm + s) * batch, (warm + s + 1) * batch), 'int32');
        pre.push([tf.gather(state.X, idx), tf.gather(state.Y, idx)]);
        idx.dispose();
      }
    }
    const t0 = performance.now();
    tfRun(variant, params, batch, batches, perm, warm, pre);
    const dt = (performance.now() - t0) / 1000;
    if (pre) pre.forEach((p) => tf.dispose(p));
    best = Math.max(best, batches * batch / dt);
    acc = tfAccuracy(params, 50000, 10000);  // a sanity check that it learns
    params.forEach((p) => p.dispose());
    await new Promise((res) => setTimeout(res, 0));
  }
  return { impl, hidden, batch, samples: batches * batch, samples_per_sec: best,
           train_accuracy_tail: acc, tensors: tf.memory().numTensors };
};
