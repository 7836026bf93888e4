// End-to-end test of the web page in Debian's headless Chromium. Serves the
// built site (tools/build_web) with tools/serve on a free loopback port, then:
//  1. opens the page with autostart=1 and epochs=1000, so it trains its default,
//     network.py's run on the full MNIST (Nielsen's 50k/10k/10k split) but long
//     enough to still be training at Pause (its 30 epochs take ~8 s here), and checks
//     nnlabStatus(): test accuracy after epoch 1 (the book: 91.29%), fps while
//     training, the draw pad (a "1" drawn with the mouse), Pause/Save/Load
//     (a corrupt checkpoint is refused and the model kept), Resume, live eta;
//     saves the dashboard to artifacts/web_dashboard.png;
//  2. full Fashion-MNIST trains within a 256 MB WASM heap; divergence, raw IDX
//     behind a custom URL base and a bad URL parameter are handled;
//     a network over the page's memory is refused naming the bytes;
//  3. a data URL that 404s gives state "error" naming the URL;
//  4. corrupt gzip, a non-IDX file and a network error each name the URL and
//     the reason, and Retry recovers;
//  5. a hostile server on loopback (started by this script): a body over the
//     per-file cap with Content-Length (refused at once), without it (refused as it
//     streams), a small gzip Content-Encoding that decodes past the cap, and a slow
//     download replaced by Retry, then cancelled; each leaves the WASM heap small and
//     Retry then loads the real MNIST;
//  6. the abort handler shows its message even with the canvas gone;
//  8. training speed as the page shows it (wall clock, while drawing) and fps,
//     for [784,30,10] b10 and [784,100,10] b100, on the run's own thread; then
//     the page served without COOP/COEP headers loads its build without
//     threads, trains between frames and says why. The speeds are printed as
//     "page speed" lines (bench/web/page_speed.mjs), not asserted. Each of the
//     four builds loads where it should: relaxed SIMD where the browser has it
//     (nnlab-rs, nnlab-st-rs), the SIMD128 ones with ?simd=plain (nnlab, nnlab-st).
//  7. (viewports.mjs) the page at 1280x800 (DPR 1 and 2), 800x600 and on a phone (390x844, DPR 3,
//     touch), before and after a resize: canvas backing size, layout and DPR,
//     a screenshot each; the wheel's direction; a touch swipe scrolls and a
//     finger-drawn digit is classified.
//  9. (layers.mjs) the model panel's layer list: Add layer, Delete, Up and a refused
//     kernel rewrite (or keep) net; locked while a run exists; at DPR 2 and on a phone.
// The last line is "N passed, M failed"; the exit status is 1 on any failure.
//   node tests/web/e2e.mjs [--site DIR] [--viewports-only] [--layers-only]   (after npm ci in tests/web)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { layerList } from './layers.mjs';
import { viewports } from './viewports.mjs';

import { pageSpeed } from '../../bench/web/page_speed.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const siteArg = process.argv.indexOf('--site');
const site = siteArg > 0 ? process.argv[siteArg + 1] : path.join(root, 'build-wasm', 'site');
const artifacts = path.join(root, 'artifacts');
// --viewports-only: part 7 alone, with the model an earlier full run saved (for layout work).
const viewportsOnly = process.argv.includes('--viewports-only');
const layersOnly = process.argv.includes('--layers-only');  // part 9 alone (needs no saved model)
const kMinAccuracy = 0.80;  // network.py on these 50,000 images: 81.9-90.7% after one epoch
// The page keeps drawing while it trains (a freeze would show as a few fps). The
// 30 fps target is a speed target, measured by bench/web/run.sh --page, not here:
// this shared 2-core machine's load moves the frame rate more than that.
const kMinFps = 10;
const kMB = 1 << 20;
const kCapBytes = 128 * kMB;  // Session::kMaxFileBytes
const kMaxHeapMB = 256;       // after a refused download

let passed = 0, failed = 0;
function check(ok, what) {
  if (ok) { passed++; console.log(`PASS ${what}`); } else { failed++; console.log(`FAIL ${what}`); }
}

// tools/serve with PORT=0 binds a free loopback port and prints the URL.
function startServer(extra = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(path.join(root, 'tools', 'serve'), [...extra, site], {
      env: { ...process.env, PORT: '0', SERVE_QUIET: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error('tools/serve printed no URL in 10 s')), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve({ proc, base: m[0] }); }
    });
    proc.on('exit', (code) => reject(new Error(`tools/serve exited with ${code}`)));
  });
}

// gzip of `bytes` zeros, made in 1 MB steps (about 1 KB per MB).
async function gzipOfZeros(bytes) {
  const gz = zlib.createGzip();
  const out = [];
  gz.on('data', (d) => out.push(d));
  const ended = new Promise((resolve) => gz.on('end', resolve));
  const zeros = Buffer.alloc(kMB);
  for (let i = 0; i < bytes / kMB; ++i)
    if (!gz.write(zeros)) await new Promise((resolve) => gz.once('drain', resolve));
  gz.end();
  await ended;
  return Buffer.concat(out);
}

// A hostile data server on 127.0.0.1 (a free port): GET /CASE/FILE serves the
// real MNIST FILE from realDir except train-images-idx3-ubyte.gz, which CASE
// makes hostile until real.add(CASE). Every response is bounded (bytes and 60 s),
// and counts per case what was sent and which connections are still open.
async function startHostile(realDir) {
  const bomb = await gzipOfZeros(4 * kCapBytes);
  const piece = Buffer.alloc(kMB, 0x5a);
  const stats = {};  // case -> {opened, open, sent}
  const real = new Set();
  const sockets = new Set();
  const pour = (res, st, total, size, delayMs) => {
    const t0 = Date.now();
    let sent = 0;
    const next = () => {
      while (sent < total && !res.destroyed && Date.now() - t0 < 60000) {
        const n = Math.min(size, total - sent);
        sent += n;
        st.sent += n;
        const room = res.write(piece.subarray(0, n));
        if (delayMs) { setTimeout(next, delayMs); return; }
        if (!room) { res.once('drain', next); return; }
      }
      res.end();
    };
    next();
  };
  const server = http.createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-store');
    if (req.method === 'OPTIONS') { res.writeHead(204, { 'Access-Control-Allow-Headers': '*' }); res.end(); return; }
    const [, name = '', file = ''] = new URL(req.url, 'http://x').pathname.split('/');
    if (real.has(name) || file !== 'train-images-idx3-ubyte.gz') {
      const p = path.join(realDir, path.basename(file));
      if (!file || !fs.existsSync(p)) { res.writeHead(404); res.end('not here'); return; }
      const body = fs.readFileSync(p);
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
      return;
    }
    const st = stats[name] ??= { opened: 0, open: 0, sent: 0 };
    st.opened++;
    st.open++;
    res.on('close', () => st.open--);
    const type = { 'Content-Type': 'application/octet-stream' };
    if (name === 'announced') {          // over the cap, and says so
      res.writeHead(200, { ...type, 'Content-Length': 2 * kCapBytes });
      pour(res, st, 2 * kCapBytes, kMB, 0);
    } else if (name === 'streamed') {    // over the cap, chunked: no Content-Length
      res.writeHead(200, type);
      pour(res, st, 2 * kCapBytes, kMB, 0);
    } else if (name === 'gzip') {        // small on the wire, 4x the cap decoded
      res.writeHead(200, { ...type, 'Content-Encoding': 'gzip', 'Content-Length': bomb.length });
      st.sent += bomb.length;
      res.end(bomb);
    } else if (name === 'slow') {        // 16 KB every 100 ms
      res.writeHead(200, { ...type, 'Content-Length': 10 * kMB });
      pour(res, st, 10 * kMB, 16 * 1024, 100);
    } else {
      res.writeHead(404);
      res.end('no such case');
    }
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}/`, stats, real, bombBytes: bomb.length,
    stop: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

async function status(page) {
  return JSON.parse(await page.evaluate(() => window.nnlabStatus()));
}

// Polls until the page's state is `state`; returns the ms it took (-1: not within `limit` ms).
// The page's status once done(status) holds, or the last one after ms.
async function waitFor(page, done, ms) {
  let st = await status(page);
  for (const t0 = Date.now(); !done(st) && Date.now() - t0 < ms;) {
    await page.waitForTimeout(200);
    st = await status(page);
  }
  return st;
}

async function waitState(page, state, limit = 5000) {
  const t0 = Date.now();
  while (Date.now() - t0 < limit) {
    if ((await status(page)).state === state) return Date.now() - t0;
    await page.waitForTimeout(5);
  }
  return -1;
}


async function main() {
  if (!fs.existsSync(path.join(site, 'index.html')) || !fs.existsSync(path.join(site, 'nnlab.wasm')))
    throw new Error(`${site} has no built page: run tools/build_web`);
  if (!fs.existsSync(path.join(site, 'data', 'mnist', 'train-images-idx3-ubyte.gz')))
    throw new Error(`${site}/data/mnist is missing: run tools/prepare_data, then tools/build_web`);
  fs.mkdirSync(artifacts, { recursive: true });
  const { proc, base } = await startServer();
  let hostile = null;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnlab-chromium-'));
  // One set of Chromium options for every browser the parts open (7 and 9 launch their own).
  const options = {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--enable-unsafe-swiftshader'],
  };
  const launch = () => chromium.launch(options);
  const browser = await chromium.launchPersistentContext(userDir, {
    ...options, viewport: { width: 1280, height: 800 } });
  try {
    if (viewportsOnly) {
      await viewports(base, { launch, check, status, artifacts });
      return;
    }
    if (layersOnly) {
      await layerList(base, { launch, check, status, artifacts });
      return;
    }
    // 1. The page's default run, network.py's; watch epoch 1. Its 30 epochs took ~8 s on
    // this 2-core VM (190k samples/s), which ended the run before the Pause check below.
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const url = `${base}?autostart=1&epochs=1000`;
    console.log(`open ${url}`);
    await page.goto(url);
    // Sample fps (a one-second window) every half second of training, from
    // the second second on, until epoch 1 is done and 8 samples are in.
    const fpsSamples = [];
    let st = await status(page);
    const t0 = Date.now();
    let trainingSince = -1;
    while (Date.now() - t0 < 180000) {
      await page.waitForTimeout(500);
      st = await status(page);
      if (st.state === 'training') {
        if (trainingSince < 0) trainingSince = Date.now();
        else if (Date.now() - trainingSince >= 1000) fpsSamples.push(st.fps);
      }
      if (st.testAccuracy.length >= 1 && fpsSamples.length >= 8) break;
      if (!['idle', 'loading', 'training'].includes(st.state)) break;
    }
    console.log(`status: ${JSON.stringify(st)}`);
    check(st.error === '' && ['training', 'done'].includes(st.state),
          `trains without error (state ${st.state}, error "${st.error}")`);
    const acc = st.testAccuracy[0];
    check(acc !== undefined && acc >= kMinAccuracy,
          `test accuracy after epoch 1 = ${acc} >= ${kMinAccuracy}`);
    check(st.trainer === 'thread' && await page.evaluate(() => self.crossOriginIsolated),
          `served with COOP/COEP, the run trains on its own thread (${st.trainer}: "${st.trainerNote}")`);
    const sorted = [...fpsSamples].sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
    const mean = fpsSamples.reduce((a, b) => a + b, 0) / Math.max(1, fpsSamples.length);
    console.log(`fps while training: ${fpsSamples.map((f) => f.toFixed(1)).join(' ')}`);
    check(fpsSamples.length >= 8 && median >= kMinFps,
          `the page keeps drawing while training: fps median ${median.toFixed(1)} (mean ${mean.toFixed(1)}, min ${(sorted[0] ?? 0).toFixed(1)}) >= ${kMinFps} over ${fpsSamples.length} samples`);
    // The quarter second that held epoch 1's test evaluation trained nothing: its point is 0, and
    // on a loaded machine the loop above can end right there. The next points must not be.
    let sps = st.samplesPerSec;
    for (let i = 0; i < 20 && !(sps > 0); ++i) {
      await page.waitForTimeout(250);
      sps = (await status(page)).samplesPerSec;
    }
    check(sps > 0, `samples/s reported (${Math.round(sps)})`);
    // Draw a "1" on the draw pad with the mouse: the live prediction follows. The pad's
    // place is read now, not seconds ago.
    st = await status(page);
    const pad = st.drawPad.rect;
    check(pad[2] > 50, `draw pad on screen at ${pad.map(Math.round)}`);
    const cx = pad[0] + pad[2] * 0.52;
    await page.mouse.move(cx, pad[1] + pad[3] * 0.15);
    await page.mouse.down();
    for (let i = 1; i <= 12; ++i) {
      await page.mouse.move(cx - i * 0.6, pad[1] + pad[3] * (0.15 + 0.7 * i / 12));
      await page.waitForTimeout(40);
    }
    await page.mouse.up();
    await page.waitForTimeout(500);
    st = await status(page);
    const probs = st.drawPad.probs;
    check(st.drawPad.predicted === 1,
          `draw pad: a drawn stroke is classified as 1 (got ${st.drawPad.predicted}, p=${probs.map((p) => p.toFixed(2)).join(' ')})`);
    await page.waitForTimeout(1000);
    const shot = path.join(artifacts, 'web_dashboard.png');
    await page.screenshot({ path: shot });
    const size = fs.statSync(shot).size;
    check(size > 20000, `screenshot ${shot} (${size} bytes)`);

    // Save model downloads a checkpoint; a corrupt one is refused with the model kept; a good one loads.
    check(await page.evaluate(() => nnlabCommand('pause')) === '', 'Pause');
    const pauseMs = await waitState(page, 'paused');
    check(pauseMs >= 0, `the run answers Pause (in ${pauseMs} ms, polled)`);
    const modelLabel = (await status(page)).model;
    check(/^(after epoch|at epoch \d+, batch)/.test(modelLabel), `the panels' model says which it is ("${modelLabel}")`);
    const save = async () => {
      const [download] = await Promise.all([page.waitForEvent('download'),
                                            page.evaluate(() => nnlabCommand('save'))]);
      return fs.readFileSync(await download.path());
    };
    const saved = await save();
    const modelPath = path.join(artifacts, 'e2e_model.nnlb');
    fs.writeFileSync(modelPath, saved);
    check(saved.subarray(0, 4).toString('latin1') === 'NNLB' && saved.length > 784 * 30 * 4,
          `Save model downloads a checkpoint (${saved.length} bytes, magic ${saved.subarray(0, 4).toString('latin1')})`);
    const load = async (file) => {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'),
                                           page.evaluate(() => nnlabCommand('load'))]);
      await chooser.setFiles(file);
      await page.waitForTimeout(500);
      return status(page);
    };
    const corrupt = Buffer.from(saved);
    corrupt[corrupt.length >> 1] ^= 0xff;
    const corruptPath = path.join(artifacts, 'e2e_corrupt.nnlb');
    fs.writeFileSync(corruptPath, corrupt);
    let ls = await load(corruptPath);
    check(ls.notice.includes('e2e_corrupt.nnlb') && ls.state === 'paused',
          `Load model refuses a corrupt file ("${ls.notice}")`);
    check(Buffer.compare(await save(), saved) === 0, 'the current model is kept after a refused load');
    ls = await load(modelPath);
    check(ls.notice === '' && ls.state === 'paused', `Load model accepts the saved file (notice "${ls.notice}")`);
    check(await page.evaluate(() => nnlabCommand('resume')) === '' && await waitState(page, 'training') >= 0,
          'Resume');
    const etaAnswer = await page.evaluate(() => nnlabCommand('eta=0.25'));
    const before = (await status(page)).batchesDone;
    // Batches follow within a moment; on a loaded 2-core machine the resumed run
    // thread can take over 500 ms for its first (seen: 0 batches in 500 ms).
    st = await waitFor(page, (x) => x.batchesDone > before, 5000);
    check(etaAnswer === '' && st.eta === 0.25 && st.state === 'training' && st.batchesDone > before,
          `eta changed while training (eta ${st.eta}, ${st.batchesDone - before} batches since)`);
    check(errors.length === 0, `no page errors${errors.length ? ': ' + errors.join('; ') : ''}`);
    await page.close();

    // 2. Full Fashion-MNIST (60k) trains one epoch within a 256 MB WASM heap.
    if (fs.existsSync(path.join(site, 'data', 'fashion', 'train-images-idx3-ubyte.gz'))) {
      const fp = await browser.newPage();
      await fp.goto(`${base}?data=fashion&epochs=1&output=softmax&cost=cross-entropy&init=scaled&eta=0.5&autostart=1`);
      let fsx = await status(fp);
      for (let i = 0; i < 240 && ['idle', 'loading', 'training'].includes(fsx.state); ++i) {
        await fp.waitForTimeout(500);
        fsx = await status(fp);
      }
      console.log(`fashion: state ${fsx.state}, ${fsx.trainCount} train images, accuracy ${fsx.testAccuracy}, heap ${fsx.heapMB} MB`);
      check(fsx.state === 'done' && fsx.trainCount === 60000 && fsx.testAccuracy.length === 1,
            `Fashion-MNIST 60k: one epoch done (state ${fsx.state}, error "${fsx.error}")`);
      check(fsx.heapMB > 0 && fsx.heapMB < 256, `WASM heap ${fsx.heapMB} MB < 256 MB on Fashion-MNIST`);
      await fp.close();
    } else {
      console.log('SKIP Fashion-MNIST memory check: data/fashion missing');
    }

    // 2b. Divergence (ReLU with an absurd eta) is shown as such, not as numbers.
    const dp = await browser.newPage();
    await dp.goto(`${base}?data=mnist&activation=relu&output=softmax&cost=cross-entropy&eta=1e20&epochs=5&autostart=1`);
    let ds = await status(dp);
    for (let i = 0; i < 60 && ['idle', 'loading', 'training'].includes(ds.state); ++i) {
      await dp.waitForTimeout(250);
      ds = await status(dp);
    }
    check(ds.state === 'diverged' && /NaN|Inf|diverg/i.test(ds.error),
          `eta=1e20 with ReLU: state ${ds.state}, error "${ds.error}"`);
    await dp.screenshot({ path: path.join(artifacts, 'web_diverged.png') });
    await dp.close();

    // 2c. A URL base holding raw (not gzipped) IDX files: .gz 404s, the raw files load.
    const zlib = await import('node:zlib');
    const rp = await browser.newPage();
    await rp.route('**/raw-only/**', (r) => {
      const u = r.request().url();
      if (u.endsWith('.gz')) return r.fulfill({ status: 404, body: 'not here' });
      const file = path.join(site, 'data', 'mnist', path.basename(u) + '.gz');
      return r.fulfill({ status: 200, body: zlib.gunzipSync(fs.readFileSync(file)) });
    });
    await rp.goto(`${base}?data=${encodeURIComponent(base + 'raw-only')}&autostart=1&epochs=1`);
    let rs = await status(rp);
    for (let i = 0; i < 120 && ['idle', 'loading'].includes(rs.state); ++i) {
      await rp.waitForTimeout(250);
      rs = await status(rp);
    }
    check(['training', 'done'].includes(rs.state) && rs.trainCount === 60000 && rs.testCount === 10000,
          `raw IDX files behind a custom URL base (state ${rs.state}, ${rs.trainCount}/${rs.testCount}, error "${rs.error}")`);
    await rp.close();

    // 2d. A bad URL parameter is an error naming the parameter.
    const pp = await browser.newPage();
    await pp.goto(`${base}?data=mnist&batch=zero&autostart=1`);
    await pp.waitForTimeout(1000);
    const ps = await status(pp);
    check(ps.state === 'error' && ps.error.includes('batch'), `bad parameter batch=zero: "${ps.error}"`);
    await pp.close();

    // 2e. A network over the page's memory (1.4 GB for 784-100000-10 in a 1 GB heap) is refused
    //     before it allocates, naming the bytes; the page keeps answering and rendering.
    const mp = await browser.newPage();
    await mp.goto(`${base}?data=mnist&sizes=784,100000,10&autostart=1`);
    let ms = await status(mp);
    for (let i = 0; i < 120 && ms.state !== 'error'; ++i) {
      await mp.waitForTimeout(250);
      ms = await status(mp);
    }
    await mp.waitForTimeout(500);
    const ms2 = await status(mp);
    check(ms.state === 'error' && /^memory: needs [0-9.]+ GB \([0-9,]+ bytes\) for 784-fc100000-sigmoid-fc10-sigmoid/.test(ms.error) &&
          ms2.state === 'error' && ms2.fps > 0,
          `sizes=784,100000,10 over the heap: state ${ms.state}, "${ms.error}", status still answers (fps ${ms2.fps})`);
    await mp.close();

    // 3. A data URL that 404s: state error, message naming the URL, page alive.
    const bad = await browser.newPage();
    const missing = `${base}no-such-data`;
    await bad.goto(`${base}?data=${encodeURIComponent(missing)}&autostart=1`);
    let bs = await status(bad);
    for (let i = 0; i < 40 && bs.state !== 'error'; ++i) {
      await bad.waitForTimeout(250);
      bs = await status(bad);
    }
    console.log(`404 status: state ${bs.state}, error "${bs.error}"`);
    check(bs.state === 'error', `missing data -> state error (got ${bs.state})`);
    check(bs.error.includes(missing) && bs.error.includes('404'),
          `error names the URL and the 404 ("${bs.error}")`);
    await bad.waitForTimeout(500);
    const after = await status(bad);
    check(after.fps > 0, `page keeps rendering after the error (fps ${after.fps.toFixed(1)})`);
    await bad.screenshot({ path: path.join(artifacts, 'web_error.png') });
    // Choosing another data source clears the failed one's error (and its files in the panel).
    const radio = after.widgets['data=mnist'];
    if (radio) await bad.mouse.click(radio[0] + radio[3] / 2, radio[1] + radio[3] / 2);
    await bad.waitForTimeout(500);
    const switched = await status(bad);
    check(radio && switched.state === 'idle' && switched.error === '' && switched.data === 'data/mnist',
          `choosing MNIST after the failure clears it (state ${switched.state}, error "${switched.error}", data ${switched.data})`);
    await bad.close();

    // 4. Other failures, each shown with the URL and the reason: corrupt gzip,
    //    a file that is not IDX, a network error; Retry recovers once the data is there.
    const cases = [
      ['corrupt-gz', (r) => r.fulfill({ status: 200, body: Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]) }), /gzip|inflate|corrupt|truncated/i],
      ['not-idx', (r) => r.fulfill({ status: 200, body: Buffer.from('this is not an IDX file at all') }), /magic|idx|header|truncated/i],
      ['net-fail', (r) => r.abort('connectionrefused'), /network/i],
    ];
    for (const [name, handler, reason] of cases) {
      const ep = await browser.newPage();
      await ep.route(`**/${name}/**`, handler);
      const target = `${base}${name}`;
      await ep.goto(`${base}?data=${encodeURIComponent(target)}&autostart=1`);
      let es = await status(ep);
      for (let i = 0; i < 40 && es.state !== 'error'; ++i) {
        await ep.waitForTimeout(250);
        es = await status(ep);
      }
      check(es.state === 'error' && es.error.includes(`${target}/`) && reason.test(es.error),
            `${name}: state ${es.state}, error names the URL and why ("${es.error}")`);
      if (name === 'net-fail') {
        // The network comes back: Retry fetches the real mnist files.
        await ep.unroute(`**/${name}/**`);
        await ep.route(`**/${name}/**`, (r) => r.continue({ url: r.request().url().replace(`/${name}/`, '/data/mnist/') }));
        check(await ep.evaluate(() => nnlabCommand('retry')) === '', 'Retry');
        for (let i = 0; i < 40 && es.trainCount !== 60000; ++i) {
          await ep.waitForTimeout(250);
          es = await status(ep);
        }
        check(es.state === 'idle' && es.trainCount === 60000 && es.error === '',
              `Retry after a network error loads the data (state ${es.state}, ${es.trainCount} images)`);
      }
      await ep.close();
    }

    // 5. A hostile data server: a file over the cap is refused (with or without
    //    Content-Length, or decoding past it), naming the URL, the cap and the bytes;
    //    the WASM heap stays small; Retry then loads the real MNIST. A slow download
    //    is replaced by Retry (one set in flight) and stopped by Cancel.
    hostile = await startHostile(path.join(site, 'data', 'mnist'));
    console.log(`hostile server ${hostile.base} (gzip bomb: ${hostile.bombBytes} bytes -> ${4 * kCapBytes} decoded)`);
    const loadsMnistAgain = async (page, name) => {
      hostile.real.add(name);
      const answer = await page.evaluate(() => nnlabCommand('retry'));
      const st = await waitFor(page, (x) => x.trainCount === 60000 || x.state === 'error', 30000);
      check(answer === '' && st.state === 'idle' && st.trainCount === 60000 && st.error === '',
            `${name}: Retry then loads the real MNIST (state ${st.state}, ${st.trainCount} images, heap ${st.heapMB} MB, error "${st.error}")`);
    };
    const refusals = [
      ['announced', /Content-Length says 268435456 bytes/],
      ['streamed', /\d+ bytes received/],
      ['gzip', /\d+ bytes received/],
    ];
    for (const [name, reason] of refusals) {
      const hp = await browser.newPage();
      const pageErrors = [];
      hp.on('pageerror', (e) => pageErrors.push(e.message));
      const target = `${hostile.base}${name}`;
      const t0 = Date.now();
      await hp.goto(`${base}?data=${encodeURIComponent(target)}&autostart=1`);
      const hs = await waitFor(hp, (x) => x.state !== 'loading' && x.state !== 'idle', 60000);
      const seconds = (Date.now() - t0) / 1000;
      const st = hostile.stats[name] ?? { sent: 0, open: -1 };
      console.log(`${name}: ${seconds.toFixed(1)} s, server sent ${(st.sent / kMB).toFixed(1)} MB, heap ${hs.heapMB} MB, error "${hs.error}"`);
      check(hs.state === 'error' && hs.error.includes(`${target}/train-images-idx3-ubyte.gz`) &&
            hs.error.includes(String(kCapBytes)) && reason.test(hs.error),
            `${name}: refused, naming the URL, the cap and the bytes ("${hs.error}")`);
      check(hs.heapMB > 0 && hs.heapMB < kMaxHeapMB, `${name}: WASM heap ${hs.heapMB} MB < ${kMaxHeapMB} MB`);
      if (name === 'announced')
        check(st.sent < kCapBytes / 2, `announced: refused at once (${(st.sent / kMB).toFixed(1)} MB of ${2 * kCapBytes / kMB} sent)`);
      await hp.waitForTimeout(300);
      check(st.open === 0, `${name}: the download was aborted (open connections ${st.open})`);
      await loadsMnistAgain(hp, name);
      check(pageErrors.length === 0, `${name}: no page errors${pageErrors.length ? ': ' + pageErrors.join('; ') : ''}`);
      await hp.close();
    }
    {
      const sp = await browser.newPage();
      const target = `${hostile.base}slow`;
      await sp.goto(`${base}?data=${encodeURIComponent(target)}&autostart=1`);
      const slow = () => hostile.stats.slow ?? { opened: 0, open: 0, sent: 0 };
      let ss = await waitFor(sp, () => slow().sent > 0, 10000);
      await sp.waitForTimeout(500);
      check(await sp.evaluate(() => nnlabCommand('retry')) === '', 'slow: Retry while loading');
      await sp.waitForTimeout(1000);
      ss = await status(sp);
      check(ss.state === 'loading' && slow().opened === 2 && slow().open === 1,
            `slow: Retry replaces the download (state ${ss.state}, error "${ss.error}", ${slow().opened} opened, ${slow().open} open)`);
      check(await sp.evaluate(() => nnlabCommand('cancel')) === '', 'slow: Cancel');
      ss = await status(sp);
      await sp.waitForTimeout(500);
      check(ss.state === 'idle' && ss.error === '' && /cancelled/.test(ss.notice) && slow().open === 0,
            `slow: cancelled (state ${ss.state}, notice "${ss.notice}", ${slow().open} open, heap ${ss.heapMB} MB)`);
      await sp.screenshot({ path: path.join(artifacts, 'web_cancelled.png') });
      await loadsMnistAgain(sp, 'slow');
      await sp.close();
    }

    // 6. The abort handler shows its message even with the boot note and the canvas gone.
    const ap = await browser.newPage();
    await ap.goto(base);
    await ap.waitForFunction(() => Module.calledRun, null, { timeout: 20000 });
    const shown = await ap.evaluate(() => {
      document.getElementById('canvas')?.remove();
      Module.onAbort('simulated abort');
      const box = document.getElementById('boot');
      return { text: box ? box.textContent : '', visible: !!box && box.offsetHeight > 0,
               state: JSON.parse(nnlabStatus()).state, command: nnlabCommand('retry') };
    });
    check(shown.visible && shown.text.includes('simulated abort') && shown.state === 'error' &&
          shown.command.includes('simulated abort'),
          `abort handler shows its message without the canvas ("${shown.text}", state ${shown.state})`);
    await ap.close();

    await viewports(base, { launch, check, status, artifacts });
    await layerList(base, { launch, check, status, artifacts });

    // 8. The page's own training speed and fps, on its own thread; then the fallback.
    // Where this browser validates relaxed SIMD the page loads its -rs build (fused
    // multiply-add kernels); ?simd=plain loads the SIMD128 one, measured beside it.
    const probe = await browser.newPage();
    const relaxed = await probe.evaluate(() => WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0,
      1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11])));
    await probe.close();
    const kernels = relaxed ? 'wasm relaxed-SIMD kernels' : 'wasm SIMD kernels';
    const speeds = [await pageSpeed(browser, base, 'sizes=784,30,10&batch=10&eta=3', 10),
                    await pageSpeed(browser, base, 'sizes=784,100,10&batch=100&eta=3', 100),
                    await pageSpeed(browser, base, 'sizes=784,100,10&batch=100&eta=3&simd=plain', 100)];
    for (const r of speeds)
      check(r.state === 'training' && r.trainer === 'thread' && r.samples_per_sec > 0 &&
            r.device.includes(r.query.includes('simd=plain') ? 'wasm SIMD kernels' : kernels),
            `${r.query}: ${r.samples_per_sec} samples/s on the page, fps median ${r.fps_median} (rest ${r.run_rest}; ${r.device})`);
    const plain = await startServer(['--no-isolation']);
    try {
      const fp = await browser.newPage();
      const fallbackErrors = [];
      fp.on('pageerror', (e) => fallbackErrors.push(e.message));
      await fp.goto(`${plain.base}?autostart=1&epochs=1&simd=plain`);
      let fs1 = await status(fp);
      for (let i = 0; i < 600 && fs1.state !== 'training'; ++i) {
        await fp.waitForTimeout(100);
        fs1 = await status(fp);
      }
      await fp.waitForTimeout(2000);
      const fs2 = await status(fp);
      const isolated = await fp.evaluate(() => self.crossOriginIsolated);
      check(!isolated && fs2.trainer === 'slices' && /cross-origin isolated/.test(fs2.trainerNote) &&
            fs2.batchesDone > fs1.batchesDone && fallbackErrors.length === 0 && fs2.device.includes('wasm SIMD kernels'),
            `without COOP/COEP: trains between frames and says why ("${fs2.trainerNote}", ${fs2.batchesDone - fs1.batchesDone} batches in 2 s, fps ${fs2.fps.toFixed(1)}; ${fs2.device})`);
      await fp.screenshot({ path: path.join(artifacts, 'web_no_threads.png') });
      await fp.close();
      for (const [query, batch] of [['sizes=784,30,10&batch=10&eta=3', 10], ['sizes=784,100,10&batch=100&eta=3', 100]]) {
        const r = await pageSpeed(browser, plain.base, query, batch);
        check(r.trainer === 'slices' && r.samples_per_sec > 0 && r.device.includes(kernels),
              `without COOP/COEP, ${query}: ${r.samples_per_sec} samples/s between frames (${r.device})`);
        speeds.push(r);
      }
    } finally {
      plain.proc.kill();
    }
    fs.writeFileSync(path.join(artifacts, 'web_page_speed.json'), JSON.stringify(speeds, null, 1));
  } finally {
    await browser.close();
    if (hostile) hostile.stop();
    proc.kill();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
}).finally(() => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
