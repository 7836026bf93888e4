// The page side of the browser benchmark: loads Fashion-MNIST (gzip IDX over HTTP),
// then on request trains an MLP [784,...,10] (a conv net: conv_peers.js) for a fixed number of samples in nnlab (WASM)
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

// "784,100,10" -> [784, 100, 10]: every peer trains the same layers as nnlab.
function layerSizes(sizes) {
  const s = sizes.split(',').map(Number);
  if (s.length < 2 || s[0] !== 784 || s[s.length - 1] !== 10 || !s.every((v) => Number.isInteger(v) && v > 0))
    throw new Error(`sizes "${sizes}": want 784,...,10`);
  return s;
}

// [W1, b1, W2, b2, ...]. Weights (in, out) as tf.layers.dense keeps its kernel: matMul
// without a transpose is the wasm backend's fast path (twice as fast at batch 100 here).
function tfParams(sizes) {
  const params = [];
  for (let l = 1; l < sizes.length; ++l)
    params.push(tf.variable(tf.randomNormal([sizes[l - 1], sizes[l]], 0, 1, 'float32', 2 * l - 1)),
                tf.variable(tf.randomNormal([sizes[l]], 0, 1, 'float32', 2 * l)));
  return params;
}

// The activations [x, a1, ..., aL].
function forward(x, params) {
  const acts = [x];
  for (let l = 0; l < params.length; l += 2)
    acts.push(tf.sigmoid(tf.add(tf.matMul(acts[acts.length - 1], params[l]), params[l + 1])));
  return acts;
}

// One TF.js run of `batches` batches. 'manual': network.py's backprop written in
// tf ops; 'autograd': the idiomatic optimizer.minimize on the summed cost.
// 'prebatched': the manual step on batches gathered before the clock starts (TF.js's
// best case: its per-batch gather is not timed, where nnlab's is).
function tfRun(variant, params, m, batches, perm, start, pre) {
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
          const out = forward(x, params).pop();
          return tf.mul(0.5, tf.sum(tf.square(tf.sub(out, y))));
        }, false, params);
        return;
      }
      const acts = forward(x, params);
      const out = acts[acts.length - 1];
      let d = tf.mul(tf.sub(out, y), tf.sub(out, tf.square(out)));   // (a-y) a(1-a)
      for (let l = params.length - 2; l >= 0; l -= 2) {  // each layer's delta before its update
        const W = params[l], b = params[l + 1], a = acts[l / 2];
        const prev = l > 0 ? tf.mul(tf.matMul(d, W, false, true), tf.sub(a, tf.square(a))) : null;
        W.assign(tf.sub(W, tf.mul(tf.matMul(a, d, true, false), scale)));
        b.assign(tf.sub(b, tf.mul(tf.sum(d, 0), scale)));
        d = prev;
      }
    });
  }
  if (opt) opt.dispose();
  params[0].dataSync();  // the wasm backend is synchronous; this only makes the end explicit
}

function tfAccuracy(params, first, count) {
  return tf.tidy(() => {
    const x = state.X.slice([first, 0], [count, 784]);
    const pred = forward(x, params).pop().argMax(1).dataSync();
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

// p: {W1, b1, W2, b2, ...}; the last layer's activation.
function jaxForward(np, p, x) {
  let a = x;
  for (let l = 1; 'W' + l in p; ++l) a = jaxSigmoid(np, np.matmul(a, p['W' + l].transpose()).add(p['b' + l]));
  return a;
}

const jaxRefs = (p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.ref]));

function jaxStep(jax, batch) {
  const np = jax.numpy;
  const scale = kEta / batch;
  const cost = (p, x, y) => {
    const d = jaxForward(np, p, x).sub(y);
    return d.ref.mul(d).sum().mul(0.5);
  };
  const vg = jax.valueAndGrad(cost);
  return jax.jit((p, x, y) => {
    const [c, g] = vg(jaxRefs(p), x, y);
    const q = {};
    for (const k of Object.keys(p)) q[k] = p[k].sub(g[k].mul(scale));
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

function jaxParams(sizes) {
  const np = state.jax.numpy;
  const p = {};
  for (let l = 1; l < sizes.length; ++l) {
    p['W' + l] = np.array(gaussian(sizes[l] * sizes[l - 1], 2 * l - 1), { shape: [sizes[l], sizes[l - 1]] });
    p['b' + l] = np.array(gaussian(sizes[l], 2 * l), { shape: [sizes[l]] });
  }
  return p;
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
  const a2 = jaxForward(np, jaxRefs(p), x).dataSync();
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
  const { impl, batch, samples, repeats } = opts;
  const sizes = layerSizes(opts.sizes);
  const warmSeconds = opts.warmSeconds ?? 1.0;
  const batches = Math.min(Math.floor(samples / batch), Math.floor(state.n / batch) - 20);  // within one pass over the data, after 20 warm-up batches
  const perm = permutation(state.n, 7);
  const step = jaxStep(state.jax, batch);
  let best = 0, acc = null, cost0 = null, cost500 = null;
  {  // untimed warm-up (and the jit compile)
    let p = jaxParams(sizes);
    const tEnd = performance.now() + 1000 * warmSeconds;
    for (let s = 0; s + 1 < state.n / batch && performance.now() < tEnd; ++s)
      [p] = jaxRun(step, p, batch, 1, perm, s, false);
    jaxDispose(p);
  }
  {  // sanity check: the cost after 500 batches (or one epoch's) is below the first batch's
    const n = Math.min(500, Math.floor(state.n / batch) - 1);
    let p = jaxParams(sizes);
    [p, cost0, cost500] = jaxRun(step, p, batch, n, perm, 0, true);
    jaxDispose(p);
    if (!(cost500 < cost0)) throw new Error(`jax-js does not learn: cost ${cost0} -> ${cost500} after ${n} batches`);
  }
  for (let r = 0; r < repeats; ++r) {
    let p = jaxParams(sizes);
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
  return { impl, sizes: opts.sizes, batch, samples: batches * batch, samples_per_sec: best,
           train_accuracy_tail: acc, cost_first: cost0, cost_500: cost500 };
}

// opts: {impl: 'nnlab'|'jaxjs'|'tfjs-manual'|'tfjs-autograd'|'tfjs-prebatched', batch, samples, repeats,
//        warmSeconds, sizes ("784,...,10", sigmoid layers in every implementation, or a net's
//        text form, which goes to conv_peers.js's convBench for impl 'jaxjs'|'tfjs-cpu'|'tfjs-wasm'|'convnetjs'),
//        threads (nnlab built with pthreads)}
window.runBench = async (opts) => {
  await window.benchReady;
  const { impl, batch, samples, repeats } = opts;
  const warmSeconds = opts.warmSeconds ?? 1.0;
  const warm = 20;
  const batches = Math.min(Math.floor(samples / batch), Math.floor(state.n / batch) - 20);  // within one pass over the data, after 20 warm-up batches
  if (impl === 'nnlab') {
    const M = state.nnlab;
    const sizes = M.allocateUTF8(opts.sizes);
    const losses = M._malloc(16);
    M.HEAPF64.fill(NaN, losses / 8, losses / 8 + 2);
    const sps = M._nnlab_bench_train(state.imgPtr, state.labPtr, state.n, sizes, batch,
                                     batches * batch, repeats, warmSeconds, opts.threads || 1, losses);
    const [first, last] = M.HEAPF64.subarray(losses / 8, losses / 8 + 2);
    M._free(sizes);
    M._free(losses);
    if (sps < 0) throw new Error('nnlab_bench_train failed: ' + sps);
    return { impl, sizes: opts.sizes, batch, samples: batches * batch, samples_per_sec: sps, cost_first10: first,
             cost_last10: last, learns: last < 0.75 * first };
  }
  if (opts.sizes && opts.sizes.includes('-')) return window.convBench(opts);  // conv_peers.js
  if (impl === 'jaxjs') return jaxBench(opts);
  const sizes = layerSizes(opts.sizes);
  const variant = impl === 'tfjs-autograd' ? 'autograd' : 'manual';
  const prebatch = impl === 'tfjs-prebatched';
  const perm = permutation(state.n, 7);
  let best = 0, acc = null;
  {  // untimed warm-up, as for nnlab: let the browser tier the hot wasm code up
    const params = tfParams(sizes);
    const tEnd = performance.now() + 1000 * warmSeconds;
    for (let s = 0; s + 1 < state.n / batch && performance.now() < tEnd; ++s)
      tfRun(variant, params, batch, 1, perm, s);
    params.forEach((p) => p.dispose());
  }
  for (let r = 0; r < repeats; ++r) {
    const params = tfParams(sizes);
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
  return { impl, sizes: opts.sizes, batch, samples: batches * batch, samples_per_sec: best,
           train_accuracy_tail: acc, tensors: tf.memory().numTensors };
};
