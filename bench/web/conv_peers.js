// The conv-net peers of the browser benchmark: a net's text form (e.g.
// "784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax") trained with nnlab's chapter-6
// algorithm (softmax + log-likelihood, plain SGD w -= eta/m * sum of gradients, eta 0.1,
// network3 init) in jax-js (wasm), TF.js (cpu, and wasm where it can) and ConvNetJS 0.3.0.
'use strict';

const kConvEta = 0.1;

// The text form as a layer list; each layer has its input and output shape [c, h, w].
function parseNet(text) {
  const parts = text.split('-');
  const dims = parts[0].split('x').map(Number);
  const side = Math.round(Math.sqrt(dims[0]));
  let [c, h, w] = dims.length === 3 ? dims : [1, side, side];
  const input = [c, h, w];
  const layers = [];
  for (const p of parts.slice(1)) {
    let m;
    const l = { in: [c, h, w] };
    if ((m = /^conv(\d+)x(\d+)(same)?$/.exec(p))) {
      Object.assign(l, { kind: 'conv', filters: +m[1], size: +m[2], pad: m[3] ? (+m[2] - 1) / 2 : 0 });
      [c, h, w] = [l.filters, h + 2 * l.pad - l.size + 1, w + 2 * l.pad - l.size + 1];
    } else if ((m = /^pool(\d+)(?:s(\d+))?$/.exec(p))) {
      Object.assign(l, { kind: 'pool', size: +m[1], stride: +(m[2] || m[1]) });
      [h, w] = [Math.floor((h - l.size) / l.stride) + 1, Math.floor((w - l.size) / l.stride) + 1];
    } else if ((m = /^fc(\d+)$/.exec(p))) {
      Object.assign(l, { kind: 'fc', units: +m[1] });
      [c, h, w] = [l.units, 1, 1];
    } else if (['sigmoid', 'relu', 'tanh', 'softmax'].includes(p)) {
      l.kind = p;
    } else {
      throw new Error(`conv peers: layer '${p}' of ${text} is not written for the peers`);
    }
    l.out = [c, h, w];
    layers.push(l);
  }
  if (layers[layers.length - 1].kind !== 'softmax' || layers[layers.length - 2].kind !== 'fc')
    throw new Error('conv peers: the net must end in fcN-softmax: ' + text);
  return { text, input, layers, classes: c };
}

// network3.py's init, as nnlab's Init::Network3: weights N(0, 1/fan_out) (a conv layer's
// fan_out is filters * k * k / the following pool's area), biases N(0, 1), the output
// layer all zero. One set of values for every peer, each in its own layout. Canonical:
// conv W (F, C, k, k), fc W (units, C*H*W) over its input in CHW order, b (units).
function convInit(net) {
  const params = [];
  const withParams = net.layers.filter((l) => l.kind === 'conv' || l.kind === 'fc');
  withParams.forEach((l, i) => {
    const last = i + 1 === withParams.length;
    const j = net.layers.indexOf(l);
    let fanOut = l.units;
    if (l.kind === 'conv') {
      let area = 1;
      for (let k = j + 1; k < net.layers.length && !['conv', 'fc'].includes(net.layers[k].kind); ++k)
        if (net.layers[k].kind === 'pool') area = net.layers[k].size ** 2;
      fanOut = l.filters * l.size * l.size / area;
    }
    const oc = l.kind === 'conv' ? l.filters : l.units;
    const fanIn = l.kind === 'conv' ? l.in[0] * l.size * l.size : l.in[0] * l.in[1] * l.in[2];
    const W = gaussian(oc * fanIn, 101 + 2 * i), b = gaussian(oc, 102 + 2 * i);
    const scale = last ? 0 : 1 / Math.sqrt(fanOut);
    for (let k = 0; k < W.length; ++k) W[k] *= scale;
    if (last) b.fill(0);
    params.push({ layer: l, W, b, oc, fanIn });
  });
  return params;
}

// Where input j of an fc layer, in HWC order (TF.js's NHWC flatten, ConvNetJS's Vol),
// sits in the canonical CHW order.
function chwIndex(shape, j) {
  const [c, h, w] = shape;
  const ch = j % c, yx = (j - ch) / c;
  return ch * h * w + yx;
}

// A batch from the seeded permutation: images in [0, 1] (CHW = HWC for one channel), one-hot labels.
function convBatch(perm, s, m, xb, yb) {
  yb.fill(0);
  for (let i = 0; i < m; ++i) {
    const k = perm[(s * m + i) % perm.length];
    xb.set(state.x.subarray(k * 784, (k + 1) * 784), i * 784);
    yb[i * 10 + state.labels[k]] = 1;
  }
}

function argmaxRows(a, rows, cols) {
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; ++i)
    for (let j = 1; j < cols; ++j) if (a[i * cols + j] > a[i * cols + out[i]]) out[i] = j;
  return out;
}

// ---- jax-js: jit over value-and-grad of the mean log-likelihood plus the SGD update.
function jaxConvForward(net, p, x) {  // x (m, C, H, W) -> logits (m, classes)
  const { numpy: np, lax, nn } = state.jax;
  const m = x.shape[0];
  let a = x, i = 0;
  for (const l of net.layers) {
    if (l.kind === 'conv') {
      a = lax.conv(a, p['W' + i], [1, 1], l.pad ? [[l.pad, l.pad], [l.pad, l.pad]] : 'VALID')
        .add(p['b' + i].reshape([l.filters, 1, 1]));
      ++i;
    } else if (l.kind === 'pool') {
      const [c, h, w] = l.in, k = l.size;
      if (l.stride !== k || h % k || w % k) throw new Error('jax-js peer: pools only tile their map here');
      a = a.reshape([m, c, h / k, k, w / k, k]).max([3, 5]);
    } else if (l.kind === 'fc') {
      if (a.ndim > 2) a = a.reshape([m, l.in[0] * l.in[1] * l.in[2]]);
      a = np.matmul(a, p['W' + i].transpose()).add(p['b' + i]);
      ++i;
    } else if (l.kind === 'sigmoid') {
      a = jaxSigmoid(np, a);
    } else if (l.kind === 'relu') {
      a = nn.relu(a);
    } else if (l.kind === 'tanh') {
      a = np.tanh(a);
    }
  }
  return a;
}

function jaxConvPeer(net, m) {
  const { numpy: np, nn } = state.jax;
  let keys = [];
  const refs = (p) => Object.fromEntries(keys.map((k) => [k, p[k].ref]));
  const cost = (p, x, y) => nn.logSoftmax(jaxConvForward(net, p, x)).mul(y).sum().mul(-1 / m);
  const vg = state.jax.valueAndGrad(cost);
  const step = state.jax.jit((p, x, y) => {
    const [c, g] = vg(refs(p), x, y);
    const q = {};
    for (const k of keys) q[k] = p[k].sub(g[k].mul(kConvEta));
    return [q, c];
  });
  const xb = new Float32Array(m * 784), yb = new Float32Array(m * 10);
  const [c0, h0, w0] = net.input;
  return {
    make(P) {
      const p = {};
      P.forEach((q, i) => {
        const l = q.layer;
        p['W' + i] = np.array(q.W, { shape: l.kind === 'conv' ? [l.filters, l.in[0], l.size, l.size] : [q.oc, q.fanIn] });
        p['b' + i] = np.array(q.b, { shape: [q.oc] });
      });
      keys = Object.keys(p);
      return { p };
    },
    step(model, perm, s) {
      convBatch(perm, s, m, xb, yb);
      const [q, c] = step(model.p, np.array(xb, { shape: [m, c0, h0, w0] }), np.array(yb, { shape: [m, 10] }));
      model.p = q;
      return c.dataSync()[0];  // realizes the step (jax-js is lazy), as the MLP peer does
    },
    predict(model, x, n) {
      const z = jaxConvForward(net, refs(model.p), np.array(x, { shape: [n, c0, h0, w0] }));
      return argmaxRows(z.dataSync(), n, net.classes);
    },
    free(model) { for (const k of keys) model.p[k].dispose(); },
    done() { step.dispose(); },
  };
}

// ---- TF.js: the idiomatic optimizer.minimize (autograd) on the mean log-likelihood,
// NHWC as tf.conv2d takes it, on the backend named ('cpu' or 'wasm').
function tfConvForward(net, v, x) {  // x (m, H, W, C) -> logits
  let a = x, i = 0;
  for (const l of net.layers) {
    if (l.kind === 'conv') {
      a = tf.add(tf.conv2d(a, v[2 * i], 1, l.pad ? 'same' : 'valid'), v[2 * i + 1]);
      ++i;
    } else if (l.kind === 'pool') {
      a = tf.maxPool(a, l.size, l.stride, 'valid');
    } else if (l.kind === 'fc') {
      if (a.rank > 2) a = tf.reshape(a, [a.shape[0], -1]);
      a = tf.add(tf.matMul(a, v[2 * i]), v[2 * i + 1]);
      ++i;
    } else if (l.kind !== 'softmax') {
      a = tf[l.kind](a);
    }
  }
  return a;
}

function tfConvPeer(net, m) {
  const opt = tf.train.sgd(kConvEta);
  const xb = new Float32Array(m * 784), yb = new Float32Array(m * 10);
  const [c0, h0, w0] = net.input;
  return {
    make(P) {
      const vars = [];
      for (const q of P) {
        const l = q.layer;
        let W;
        if (l.kind === 'conv') {  // (F, C, k, k) -> (k, k, C, F)
          const [F, C, k] = [l.filters, l.in[0], l.size];
          W = new Float32Array(q.W.length);
          for (let f = 0; f < F; ++f) for (let c = 0; c < C; ++c) for (let y = 0; y < k; ++y) for (let x = 0; x < k; ++x)
            W[((y * k + x) * C + c) * F + f] = q.W[((f * C + c) * k + y) * k + x];
          vars.push(tf.variable(tf.tensor4d(W, [k, k, C, F])));
        } else {  // (units, CHW) -> (HWC, units)
          W = new Float32Array(q.W.length);
          for (let j = 0; j < q.fanIn; ++j)
            for (let o = 0, src = chwIndex(l.in, j); o < q.oc; ++o) W[j * q.oc + o] = q.W[o * q.fanIn + src];
          vars.push(tf.variable(tf.tensor2d(W, [q.fanIn, q.oc])));
        }
        vars.push(tf.variable(tf.tensor1d(q.b)));
      }
      return { vars };
    },
    step(model, perm, s) {
      convBatch(perm, s, m, xb, yb);
      let v;
      tf.tidy(() => {
        const x = tf.tensor4d(xb, [m, h0, w0, c0]), y = tf.tensor2d(yb, [m, 10]);
        const cost = opt.minimize(() => tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(tfConvForward(net, model.vars, x))))).div(m),
                                  true, model.vars);
        v = cost.dataSync()[0];
      });
      return v;
    },
    predict(model, x, n) {
      let out;
      tf.tidy(() => { out = tfConvForward(net, model.vars, tf.tensor4d(x, [n, h0, w0, c0])).argMax(1).dataSync(); });
      return out;
    },
    free(model) { model.vars.forEach((t) => t.dispose()); },
    done() { opt.dispose(); },
  };
}

// ---- ConvNetJS 0.3.0: its own layers (plain JS, Float64Array weights) and Trainer
// (vanilla SGD: momentum 0, no decay; one sample at a time, the batch's summed
// gradients / batch_size applied every batch_size samples).
function convnetjsPeer(net, m) {
  const [c0, h0, w0] = net.input;
  const vol = new convnetjs.Vol(w0, h0, c0, 0);
  return {
    make(P) {
      const defs = [{ type: 'input', out_sx: w0, out_sy: h0, out_depth: c0 }];
      const layers = net.layers;
      for (let i = 0; i < layers.length; ++i) {
        const l = layers[i];
        if (l.kind === 'fc' && i + 2 === layers.length) {  // its softmax layer brings its own fc
          defs.push({ type: 'softmax', num_classes: l.units });
          break;
        }
        if (l.kind === 'conv') defs.push({ type: 'conv', sx: l.size, filters: l.filters, stride: 1, pad: l.pad });
        else if (l.kind === 'pool') defs.push({ type: 'pool', sx: l.size, stride: l.stride });
        else if (l.kind === 'fc') defs.push({ type: 'fc', num_neurons: l.units });
        else defs.push({ type: l.kind });
      }
      const cnet = new convnetjs.Net();
      cnet.makeLayers(defs);
      const withParams = cnet.layers.filter((l) => l.layer_type === 'conv' || l.layer_type === 'fc');
      withParams.forEach((L, i) => {
        const q = P[i], l = q.layer;
        if (L.filters.length !== q.oc || L.filters[0].w.length !== q.fanIn) throw new Error('convnetjs peer: shapes differ');
        for (let o = 0; o < q.oc; ++o) {
          const f = L.filters[o].w;
          if (l.kind === 'conv') {  // Vol (sx=k, sy=k, depth=C): index (y*k + x)*C + c
            const [C, k] = [l.in[0], l.size];
            for (let c = 0; c < C; ++c) for (let y = 0; y < k; ++y) for (let x = 0; x < k; ++x)
              f[(y * k + x) * C + c] = q.W[((o * C + c) * k + y) * k + x];
          } else {
            for (let j = 0; j < q.fanIn; ++j) f[j] = q.W[o * q.fanIn + chwIndex(l.in, j)];
          }
          L.biases.w[o] = q.b[o];
        }
      });
      const trainer = new convnetjs.Trainer(cnet, { method: 'sgd', learning_rate: kConvEta, momentum: 0,
                                                    l1_decay: 0, l2_decay: 0, batch_size: m });
      return { cnet, trainer };
    },
    step(model, perm, s) {
      let sum = 0;
      for (let i = 0; i < m; ++i) {
        const k = perm[(s * m + i) % perm.length];
        vol.w.set(state.x.subarray(k * 784, (k + 1) * 784));
        sum += model.trainer.train(vol, state.labels[k]).loss;
      }
      return sum / m;
    },
    predict(model, x, n) {
      const out = new Int32Array(n), v = new convnetjs.Vol(w0, h0, c0, 0);
      for (let i = 0; i < n; ++i) {
        v.w.set(x.subarray(i * 784, (i + 1) * 784));
        const p = model.cnet.forward(v, false).w;
        for (let j = 1; j < p.length; ++j) if (p[j] > p[out[i]]) out[i] = j;
      }
      return out;
    },
    free() {},
    done() {},
  };
}

// What the peers cannot do the same way as nnlab, printed with their results.
const kConvNotes = {
  convnetjs: 'float64 weights and activations; forward/backward one sample at a time (its Trainer), update per batch',
  jaxjs: 'wasm, main thread (no COOP/COEP)',
};

// That it learns: the run goes on (untimed) until its last 10 batches' mean cost is below
// kLearnedCost of its first 10's, or kLearnBatches batches. The sigmoid net sits on a
// plateau near ln 10 for its first ~300 batches at eta 0.1 (nnlab too: 2.32 after 150
// batches, 2.16 after 300, 0.84 after 600), so a short run cannot tell a broken peer.
const kLearnedCost = 0.75, kLearnBatches = 800;

// One conv-net run of a peer: an untimed warm-up (>= warmSeconds and 3 batches) on its own
// parameters, then one training run from the shared init: `repeats` timed segments of
// `samples` each, the best segment's samples/s, then the run goes on as above. That it
// learns: its mean per-sample cost over the run's first 10 and last 10 batches, and its
// accuracy on `testCount` test images after the run.
window.convBench = async (opts) => {
  const { impl, sizes, batch: m, samples, repeats } = opts;
  const warmSeconds = opts.warmSeconds ?? 1.0, testCount = opts.testCount ?? 500;
  const net = parseNet(sizes);
  const P = convInit(net);
  const backend = { 'tfjs-cpu': 'cpu', 'tfjs-wasm': 'wasm' }[impl];
  const before = tf.getBackend();
  if (backend) await tf.setBackend(backend);
  const result = { impl, sizes, batch: m, note: kConvNotes[impl] || null };
  let peer = null;
  try {
    peer = impl === 'jaxjs' ? jaxConvPeer(net, m) : backend ? tfConvPeer(net, m)
         : impl === 'convnetjs' ? convnetjsPeer(net, m) : null;
    if (!peer) throw new Error('convBench: no conv peer ' + impl);
    const perm = permutation(state.n, 7);
    {
      const model = peer.make(P);
      try {
        const tEnd = performance.now() + 1000 * warmSeconds;
        for (let s = 0; s < 3 || performance.now() < tEnd; ++s) peer.step(model, perm, 1000 + s);
      } catch (e) {  // a peer that cannot train the net says why, e.g. a kernel its backend lacks
        result.error = String(e.message || e);
        return result;
      } finally {
        peer.free(model);
      }
    }
    const model = peer.make(P);
    const batches = Math.max(1, Math.floor(samples / m)), costs = [];
    let best = 0;
    for (let r = 0; r < repeats; ++r) {
      const t0 = performance.now();
      for (let s = 0; s < batches; ++s) costs.push(peer.step(model, perm, r * batches + s));
      best = Math.max(best, batches * m / ((performance.now() - t0) / 1000));
      await new Promise((res) => setTimeout(res, 0));
    }
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const first10 = mean(costs.slice(0, 10));
    while (costs.length < kLearnBatches && !(mean(costs.slice(-10)) < kLearnedCost * first10)) {
      costs.push(peer.step(model, perm, costs.length));
      if (costs.length % 50 === 0) await new Promise((res) => setTimeout(res, 0));
    }
    let ok = 0;
    for (let i = 0; i < testCount; i += 100) {
      const n = Math.min(100, testCount - i);
      const pred = peer.predict(model, state.testX.subarray(i * 784, (i + n) * 784), n);
      for (let j = 0; j < n; ++j) ok += pred[j] === state.testLabels[i + j] ? 1 : 0;
    }
    peer.free(model);
    Object.assign(result, {
      samples: batches * m, segments: repeats, samples_per_sec: best, run_batches: costs.length,
      cost_first10: first10, cost_last10: mean(costs.slice(-10)),
      test_accuracy: ok / testCount, test_images: testCount,
    });
    result.learns = result.cost_last10 < kLearnedCost * first10 && result.test_accuracy > 0.2;
    return result;
  } finally {
    if (peer) peer.done();
    if (backend) await tf.setBackend(before);
  }
};
