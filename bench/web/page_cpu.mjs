// Where the page's CPU goes: opens the page (served by tools/serve) in headless
// Chromium at 1280x800, and for each state (idle, training, paused) prints the
// cores used by every Chromium thread (from /proc), the page's fps and runRest.
// On a machine without a GPU, Chromium draws in software (SwiftShader): this
// shows how much of the machine the drawing takes before any training. First, the
// floor under any WebGL page: a blank 1280x800 WebGL2 canvas cleared every frame.
//
//   tools/serve &   # prints the URL
//   node bench/web/page_cpu.mjs http://127.0.0.1:8080/ [query, default sizes=784,30,10&batch=10]
//
// Linux only (reads /proc). Run bench/web/run.sh once first (npm ci here).
import { chromium } from 'playwright-core';
import fs from 'fs';

const base = process.argv[2], query = process.argv[3] || 'sizes=784,30,10&batch=10';
if (!base) throw new Error('usage: node bench/web/page_cpu.mjs URL [query]');
const marker = `--nnlab-page-cpu=${process.pid}`;  // finds this browser's processes
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--no-first-run', '--enable-unsafe-swiftshader', marker] });

// Every thread of this browser's process tree: "process-type:thread-name" -> CPU ticks.
function ticks() {
  const procs = fs.readdirSync('/proc').filter(d => /^\d+$/.test(d));
  const parent = {}, cmd = {};
  for (const p of procs) {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      parent[p] = st.slice(st.lastIndexOf(')') + 2).split(' ')[1];
      cmd[p] = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
    } catch { /* gone */ }
  }
  const tree = new Set(procs.filter(p => cmd[p] && cmd[p].includes(marker)));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!tree.has(p) && tree.has(parent[p])) { tree.add(p); grew = true; }
  }
  const out = {};
  for (const p of tree) {
    const type = (cmd[p].match(/--type=([a-z-]+)/) || [, 'browser'])[1];
    let tids = [];
    try { tids = fs.readdirSync(`/proc/${p}/task`); } catch { continue; }
    for (const t of tids) {
      try {
        const st = fs.readFileSync(`/proc/${p}/task/${t}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        const name = `${type}:${st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'))}`;
        out[`${p}/${t}`] = { name, ticks: Number(f[11]) + Number(f[12]) };  // utime + stime
      } catch { /* gone */ }
    }
  }
  return out;
}

const hz = 100;  // USER_HZ
async function measure(label, page, seconds) {
  const status = async () => JSON.parse(await page.evaluate(() => window.nnlabStatus()));
  const a = ticks(), s0 = await status(), t0 = Date.now();
  await page.waitForTimeout(seconds * 1000);
  const b = ticks(), s1 = await status(), dt = (Date.now() - t0) / 1000;
  const by = {};
  for (const k in b) by[b[k].name] = (by[b[k].name] || 0) + b[k].ticks - (a[k] ? a[k].ticks : 0);
  const total = Object.values(by).reduce((x, y) => x + y, 0) / hz / dt;
  const top = Object.entries(by).sort((x, y) => y[1] - x[1]).slice(0, 8)
    .map(([n, v]) => `${n} ${(v / hz / dt).toFixed(2)}`);
  const r = { state: label, cores: +total.toFixed(2), fps: +(s1.fps || 0).toFixed(1), run_rest: s1.runRest,
              batches: (s1.batchesDone || 0) - (s0.batchesDone || 0), threads: top };
  console.log(JSON.stringify(r));
  return r;
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // The floor: what a WebGL2 canvas the page's size costs when it only clears each frame.
  await page.setContent(`<body style="margin:0"><canvas id="c" width="1280" height="800"></canvas><script>
    const gl = document.getElementById('c').getContext('webgl2', { alpha: false, depth: false, stencil: false, antialias: false });
    let n = 0, t0 = performance.now(), fps = 0;
    window.nnlabStatus = () => JSON.stringify({ fps });  // what measure() reads of the page
    (function frame(t) {
      gl.clearColor((n++ % 60) / 60, 0.2, 0.3, 1); gl.clear(gl.COLOR_BUFFER_BIT);
      if (t - t0 > 1000) { fps = n * 1000 / (t - t0); n = 0; t0 = t; }
      requestAnimationFrame(frame);
    })(t0);</script></body>`);
  await page.waitForTimeout(3000);
  await measure('blank WebGL2 canvas', page, 6);
  await page.goto(`${base}?${query}`);
  await page.waitForTimeout(4000);
  await measure('idle', page, 6);
  await page.goto(`${base}?${query}&autostart=1&epochs=1000`);
  for (let i = 0; i < 600; ++i) {
    const st = JSON.parse(await page.evaluate(() => window.nnlabStatus()));
    if (st.state === 'training' || st.state === 'error') break;
    await page.waitForTimeout(100);
  }
  await page.waitForTimeout(1500);
  await measure('training', page, 8);
  await page.evaluate(() => window.nnlabCommand('pause'));
  await page.waitForTimeout(1000);
  await measure('paused', page, 6);
} finally {
  await browser.close();
}
