// Browser benchmark driver: serves bench/web (page), the TF.js and jax-js dist files
// from node_modules, the nnlab WASM build and the Fashion-MNIST files on 127.0.0.1, opens
// the page in one headless Chromium session (playwright-core, Debian's chromium),
// runs every (model, batch) in nnlab, jax-js and TF.js, prints JSON lines, a table and
// ratios against the best peer.
'use strict';
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const here = __dirname;
const root = path.resolve(here, '..', '..');
const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf('--' + name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const buildDir = opt('build', path.join(root, 'build-bench-wasm', 'bench_web'));
const models = opt('models', '784,30,10:10 784,30,10:100 784,100,10:10 784,100,10:100').split(/\s+/);
// Timed samples per run: TF.js runs ~5-15k samples/s, nnlab 15x that, so nnlab gets
// more samples for the same timer precision (performance.now is coarse, 0.1 ms).
const samples = Number(opt('samples', '12000'));
const nnlabSamples = Number(opt('nnlab-samples', '48000'));
const repeats = Number(opt('repeats', '3'));
const warmSeconds = Number(opt('warm', '1'));  // untimed, before each (impl, model)
const impls = opt('impls', 'nnlab,jaxjs,tfjs-manual,tfjs-autograd,tfjs-prebatched').split(',');
const chromiumPath = opt('chromium', '/usr/bin/chromium');
let dataDir = opt('data', '');
if (!dataDir) {
  dataDir = [path.join(root, 'data', 'fashion'), '/usr/share/datasets/fashion-mnist']
    .find((d) => fs.existsSync(path.join(d, 'train-images-idx3-ubyte.gz')));
  if (!dataDir) { console.error('run.js: no Fashion-MNIST .gz files (install dataset-fashion-mnist)'); process.exit(1); }
}

const routes = [  // URL prefix -> directory
  ['/tfjs-wasm/', path.join(here, 'node_modules/@tensorflow/tfjs-backend-wasm/dist')],
  ['/tfjs/', path.join(here, 'node_modules/@tensorflow/tfjs/dist')],
  ['/jaxjs/', path.join(here, 'node_modules/@jax-js/jax/dist')],
  ['/nnlab/', buildDir],
  ['/data/', dataDir],
  ['/', here],
];
const mime = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm',
               '.gz': 'application/octet-stream', '.map': 'application/json' };

function serve() {
  const server = http.createServer((req, res) => {
    let url = decodeURIComponent(req.url.split('?')[0]);
    if (url === '/') url = '/index.html';
    if (url === '/favicon.ico') { res.writeHead(204); res.end(); return; }
    for (const [prefix, dir] of routes) {
      if (!url.startsWith(prefix)) continue;
      const file = path.join(dir, url.slice(prefix.length));
      if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) break;
      res.writeHead(200, { 'Content-Type': mime[path.extname(file)] || 'application/octet-stream' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404);
    res.end('not found: ' + url);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function table(rows, headers) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padStart(w[i])).join('  ');
  return [line(headers), ...rows.map(line)].join('\n');
}

(async () => {
  for (const f of ['bench_web.js', 'bench_web.wasm'])
    if (!fs.existsSync(path.join(buildDir, f))) { console.error(`run.js: ${buildDir}/${f} missing: run bench/web/build.sh`); process.exit(1); }
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}/`;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-chromium-'));
  const browser = await chromium.launchPersistentContext(userDir, {
    executablePath: chromiumPath, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--enable-unsafe-swiftshader'],
  });
  let status = 0;
  try {
    const page = browser.pages()[0] || await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.error('[page]', m.text()); });
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(base + 'index.html');
    const env = await page.evaluate(() => window.benchReady);
    env.browser = browser.browser() ? browser.browser().version() : null;
    env.jax = { ...env.jax, version: require('./node_modules/@jax-js/jax/package.json').version };
    console.log(JSON.stringify({ kind: 'browser_env', ...env }));
    if (!(env.kernelError < 1e-4)) { console.error('run.js: nnlab kernel check failed: ' + env.kernelError); status = 1; }
    const results = [];
    for (const spec of models) {
      const [sizes, batch] = spec.split(':');
      const hidden = Number(sizes.split(',')[1]);
      for (const impl of impls) {
        const r = await page.evaluate((o) => window.runBench(o),
                                      { impl, hidden, batch: Number(batch), samples: impl === 'nnlab' ? nnlabSamples : samples,
                                        repeats, warmSeconds });
        r.sizes = sizes;
        r.kind = 'browser';
        r.gflops = r.samples_per_sec * 6 * (784 * hidden + hidden * 10) / 1e9;
        console.log(JSON.stringify(r));
        results.push(r);
      }
    }
    const rows = [];
    for (const spec of models) {
      const [sizes, batch] = spec.split(':');
      const of = (impl) => results.find((r) => r.sizes === sizes && r.batch === Number(batch) && r.impl === impl);
      const ours = of('nnlab');
      const peers = results.filter((r) => r.sizes === sizes && r.batch === Number(batch) && r.impl !== 'nnlab');
      const best = (rs) => rs.reduce((a, b) => (!a || b.samples_per_sec > a.samples_per_sec ? b : a), null);
      const bestPeer = best(peers);
      const bestTf = best(peers.filter((r) => r.impl.startsWith('tfjs')));
      const fmt = (r) => (r ? Math.round(r.samples_per_sec) : '-');
      const ratio = ours && bestPeer ? ours.samples_per_sec / bestPeer.samples_per_sec : null;
      const ratioTf = ours && bestTf ? ours.samples_per_sec / bestTf.samples_per_sec : null;
      const target = Number(batch) <= 10 ? 5 : 2;  // the targets, against TF.js-wasm
      const x = (v) => (v ? v.toFixed(2) + 'x' : '-');
      rows.push([sizes, batch, fmt(ours), fmt(of('jaxjs')), fmt(of('tfjs-manual')), fmt(of('tfjs-autograd')), fmt(of('tfjs-prebatched')),
                 x(ratio), bestPeer ? bestPeer.impl : '-', x(ratioTf), target + 'x', ratioTf && ratioTf >= target ? 'yes' : 'no']);
      console.log(JSON.stringify({ kind: 'ratio', sizes, batch: Number(batch), nnlab: ours && ours.samples_per_sec,
                                   best_peer: bestPeer && bestPeer.impl, ratio, best_tfjs: bestTf && bestTf.impl, ratio_tfjs: ratioTf }));
    }
    console.log(`\nheadless Chromium ${env.browser}, TF.js ${env.tf.version} ${env.tf.backend} (SIMD ${env.tf.simd}, threads ${env.tf.threads}), ` +
                `jax-js ${env.jax.version} ${env.jax.device} (main thread, crossOriginIsolated ${env.crossOriginIsolated}); ` +
                `${nnlabSamples} (nnlab) / ${samples} (peers) samples per run, best of ${repeats} after ${warmSeconds} s warm-up; samples/s`);
    console.log(table(rows, ['sizes', 'batch', 'nnlab', 'jaxjs', 'tfjs-manual', 'tfjs-autograd', 'tfjs-prebatched',
                             'nnlab/best peer', 'best peer', 'nnlab/best tfjs', 'target', 'met']));
  } catch (e) {
    console.error('run.js:', e);
    status = 1;
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  process.exit(status);
})();
