// The page's own training speed, as its user sees it: opens the page with a
// query (autostart), skips the first second of training, then for `seconds`
// reads nnlabStatus() every half second. Returns the wall-clock rate (batches
// done x batch over the time, drawing included), the fps, where the run
// trains and the device. Used by tests/web/e2e.mjs (recorded) and
// bench/web/run.js --page (against the engine alone, in one Chromium run).
export async function pageSpeed(browser, base, query, batch, seconds = 6) {
  const page = await browser.newPage();
  const status = async () => JSON.parse(await page.evaluate(() => window.nnlabStatus()));
  // Long enough to outlast the measurement: the default 30 epochs of [784,30,10] at batch 10
  // take ~8 s on the page here, and a run that ends inside the window reads as slow.
  const epochs = /(^|&)epochs=/.test(query) ? '' : '&epochs=1000';
  try {
    await page.goto(`${base}?${query}${epochs}&autostart=1`);
    let st = await status();
    for (let i = 0; i < 1200 && st.state !== 'training' && st.state !== 'error'; ++i) {
      await page.waitForTimeout(100);
      st = await status();
    }
    await page.waitForTimeout(1000);
    const a = await status(), t0 = Date.now();
    const fps = [];
    for (let i = 0; i < 2 * seconds; ++i) {
      await page.waitForTimeout(500);
      fps.push((await status()).fps);
    }
    const b = await status(), t1 = Date.now();
    fps.sort((x, y) => x - y);
    const r = { kind: 'page', query: query + epochs, batch, trainer: b.trainer, device: b.device, state: b.state,
                error: b.error,
                samples_per_sec: Math.round((b.batchesDone - a.batchesDone) * batch / ((t1 - t0) / 1000)),
                trainer_samples_per_sec: Math.round(b.trainerSamplesPerSec),
                fps_median: Math.round(fps[fps.length >> 1] * 10) / 10, fps_min: Math.round(fps[0] * 10) / 10,
                run_rest: b.runRest };
    console.log(`page speed ${JSON.stringify(r)}`);
    return r;
  } finally {
    await page.close();
  }
}
