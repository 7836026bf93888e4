// In-browser training throughput, nnlab (WASM) against TensorFlow.js 4.22 on
// its wasm backend, in one headless Chromium session (web/bench.html). Prints
// one JSON line per configuration and a table; targets from issue 3: >= 5x
// TF.js at batch 10 and >= 2x at batch 100. A benchmark, not a test: the exit
// status is 0 unless it could not run.
//   node tests/web/bench.mjs [--seconds S] [--site DIR]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const site = arg('--site', path.join(root, 'build-wasm', 'site'));
const seconds = Number(arg('--seconds', '3'));
const tfjsFiles = {
  'tf.min.js': path.join(here, 'node_modules/@tensorflow/tfjs/dist/tf.min.js'),
  'tf-backend-wasm.min.js': path.join(here, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js'),
};
for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
  tfjsFiles[f] = path.join(here, 'node_modules/@tensorflow/tfjs-backend-wasm/dist', f);

function startServer() {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(root, 'tools', 'serve'), [site], {
      env: { ...process.env, PORT: '0', SERVE_QUIET: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve({ proc, base: m[0] });
    });
    proc.on('exit', (code) => reject(new Error(`tools/serve exited with ${code}`)));
  });
}

if (!fs.existsSync(path.join(site, 'bench.html'))) {
  console.error(`${site}/bench.html missing: run tools/build_web`);
  process.exit(1);
}
for (const f of Object.values(tfjsFiles))
  if (!fs.existsSync(f)) { console.error(`${f} missing: run npm ci in tests/web`); process.exit(1); }

const { proc, base } = await startServer();
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-'));
const browser = await chromium.launchPersistentContext(userDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--enable-unsafe-swiftshader'],
});
let rows = [];
try {
  const page = await browser.newPage();
  // tfjs comes from node_modules; wasm files need their MIME type for streaming compile.
  await page.route('**/tfjs/*', (r) => {
    const name = path.basename(new URL(r.request().url()).pathname);
    const file = tfjsFiles[name];
    if (!file) return r.fulfill({ status: 404, body: 'not found' });
    return r.fulfill({
      status: 200, body: fs.readFileSync(file),
      headers: { 'Content-Type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript',
                 'Cross-Origin-Resource-Policy': 'same-origin' },
    });
  });
  page.on('console', (m) => { if (m.type() === 'error') console.error(`console: ${m.text()}`); });
  await page.goto(`${base}bench.html`);
  await page.waitForFunction(() => typeof window.runBench === 'function' && typeof NnlabBench === 'function');
  const browserVersion = (await page.evaluate(() => navigator.userAgent)).match(/Chrome\/[\d.]+/)?.[0] ?? 'chromium';
  rows = await page.evaluate((s) => window.runBench(s), seconds);
  for (const r of rows) console.log(JSON.stringify({ bench: 'web_train', browser: browserVersion, ...r }));
} finally {
  await browser.close();
  proc.kill();
  fs.rmSync(userDir, { recursive: true, force: true });
}

const pad = (s, n) => String(s).padStart(n);
console.log(`\n${'sizes'.padEnd(12)}${pad('batch', 6)}${pad('nnlab/s', 10)}${pad('tfjs/s', 10)}${pad('speed-up', 10)}${pad('target', 8)}`);
for (const r of rows) {
  const target = r.batch <= 10 ? 5 : 2;
  console.log(`${r.sizes.padEnd(12)}${pad(r.batch, 6)}${pad(r.nnlab, 10)}${pad(r.tfjs, 10)}${pad(r.speedup.toFixed(1) + 'x', 10)}${pad((r.speedup >= target ? '>= ' : '< ') + target + 'x', 8)}`);
}
