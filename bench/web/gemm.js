// The wasm kernels alone, in headless Chromium: the GEMMs of Nielsen's networks and of
// [784,1024,1024,10] timed one call at a time (bench_web.cpp's nnlab_bench_gemm), for
// one or more builds of bench/web/build.sh loaded into one page and interleaved call by
// call, so that the machine's moving speed falls on every build alike. Prints JSON
// lines and a table: each build's fastest and median GFLOP/s per shape, and its
// median against the first build's.
//
//   node bench/web/gemm.js [--build DIR]... [--simd plain] [--seconds 20] [--shapes "nt,100,100,784 ..."]
//
// e.g. before and after a kernel change: BUILD_DIR=/tmp/old bench/web/build.sh at the
// old commit, then node bench/web/gemm.js --build /tmp/old/bench_web --build build-bench-wasm/bench_web.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf('--' + name); return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt; };
const builds = args.flatMap((a, i) => (a === '--build' && i + 1 < args.length ? [path.resolve(args[i + 1])] : []));
if (!builds.length) builds.push(path.join(root, 'build-bench-wasm', 'bench_web'));
const plain = opt('simd', '') === 'plain';
const seconds = Number(opt('seconds', '20'));
const kinds = ['nt', 'nn', 'tn_sgd'];  // nnlab_bench_gemm's `which`
// forward (nt), input gradient (nn), weight gradient + step (tn_sgd) of each layer that has them
const shapes = opt('shapes', 'nt,10,30,784 tn_sgd,30,784,10 nt,100,30,784 tn_sgd,30,784,100 ' +
                   'nt,100,100,784 tn_sgd,100,784,100 nn,100,100,10 ' +
                   'nt,256,1024,1024 nn,256,1024,1024 tn_sgd,1024,1024,256')
  .split(/\s+/).filter(Boolean).map((s) => {
    const [k, ...mnk] = s.split(',');
    const dims = mnk.map(Number);
    if (!kinds.includes(k) || dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0))
      throw new Error(`gemm.js: shape "${s}": want nt|nn|tn_sgd,M,N,K`);
    return { kind: k, which: kinds.indexOf(k), dims, name: `${k} ${dims.join('x')}` };
  });
for (const b of builds)
  if (!fs.existsSync(path.join(b, 'bench_web.js'))) throw new Error(`gemm.js: no bench_web.js in ${b}: run bench/web/build.sh`);

const server = http.createServer((req, res) => {
  const m = req.url.match(/^\/b(\d+)\/([\w.]+)$/);
  const file = req.url === '/relaxed_simd.js' ? path.join(__dirname, 'relaxed_simd.js')
    : m && builds[Number(m[1])] ? path.join(builds[Number(m[1])], m[2]) : null;
  if (req.url === '/') { res.setHeader('Content-Type', 'text/html'); return res.end('<!doctype html><title>gemm</title>'); }
  if (!file || !fs.existsSync(file)) { res.statusCode = 404; return res.end(); }
  res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
  fs.createReadStream(file).pipe(res);
});

server.listen(0, '127.0.0.1', async () => {
  let browser;
  try {
    // Optimised code from the first call: Liftoff's baseline code would time the tier-up.
    browser = await chromium.launch({ executablePath: opt('chromium', '/usr/bin/chromium'),
                                      args: ['--no-sandbox', '--js-flags=--no-liftoff'] });
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.addScriptTag({ url: '/relaxed_simd.js' });
    // Each build's factory under its own name; the relaxed build where the browser runs it, as the page picks.
    const names = await page.evaluate(async ([n, plain]) => {
      const name = !plain && window.hasRelaxedSimd ? 'bench_web_rs' : 'bench_web';
      window.builds = [];
      for (let i = 0; i < n; ++i) {
        const src = (await (await fetch(`/b${i}/${name}.js`)).text()).replace(/createNnlabBench/g, `createNnlabBench${i}`);
        (0, eval)(src);
        window.builds.push(await window[`createNnlabBench${i}`]({ locateFile: (f) => `/b${i}/${f}` }));
      }
      return name;
    }, [builds.length, plain]);
    const env = { kind: 'gemm_env', browser: browser.version(), build: names, dirs: builds, seconds };
    console.log(JSON.stringify(env));
    const rows = [];
    let failed = false;
    for (const s of shapes) {
      // Each build's kernels against naive loops on this shape, once (all four GEMMs).
      const errors = await page.evaluate(([[M, N, K], n]) =>
        Array.from({ length: n }, (_, b) => window.builds[b]._nnlab_bench_check_gemm(M, N, K)), [s.dims, builds.length]);
      errors.forEach((e, b) => {
        if (!(e < 1e-4)) { console.error(`gemm.js: ${s.dims.join('x')}: build ${b}'s kernels are off by ${e}`); failed = true; }
      });
      const rates = await page.evaluate(([which, [M, N, K], n, seconds]) => {
        const out = Array.from({ length: n }, () => []);
        for (const t0 = performance.now(); performance.now() - t0 < seconds * 1000;)
          for (let b = 0; b < n; ++b) out[b].push(window.builds[b]._nnlab_bench_gemm(which, M, N, K, 0.03));
        return out;
      }, [s.which, s.dims, builds.length, seconds]);
      const med = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };
      const row = [s.name];
      rates.forEach((r, b) => {
        const res = { kind: 'gemm', shape: s.name, build: builds[b], error: errors[b], calls: r.length, max_gflops: Math.max(...r), median_gflops: med(r),
                      median_vs_first: med(r) / med(rates[0]) };
        console.log(JSON.stringify(res));
        row.push(`${res.max_gflops.toFixed(1)} / ${res.median_gflops.toFixed(1)}` + (b ? ` (${res.median_vs_first.toFixed(2)}x)` : ''));
      });
      rows.push(row);
    }
    const head = ['shape', ...builds.map((b, i) => `build ${i}: max / median GFLOP/s`)];
    const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
    console.log(`\nheadless Chromium ${env.browser}, ${names}, ${seconds} s per shape, builds interleaved call by call:`);
    builds.forEach((b, i) => console.log(`  build ${i}: ${b}`));
    for (const r of [head, ...rows]) console.log(r.map((v, c) => String(v).padStart(w[c])).join('  '));
    process.exitCode = failed ? 1 : 0;
  } finally {
    if (browser) await browser.close();
    server.close();
  }
});
