// Part 7 of the e2e test (tests/web/e2e.mjs runs it; --viewports-only alone):
// the page at desktop sizes and pixel densities and on an emulated phone with
// touch. It needs the model part 1 saved (artifacts/e2e_model.nnlb).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

// The share of a PNG's pixels that are bright (text, chart lines, images on a
// dark dashboard): near 0 when the font atlas is lost and only dark fills remain.
function brightShare(file) {
  const png = fs.readFileSync(file);
  let pos = 8, w = 0, h = 0, bpp = 0;
  const idat = [];
  while (pos < png.length) {
    const n = png.readUInt32BE(pos), kind = png.toString('latin1', pos + 4, pos + 8);
    const body = png.subarray(pos + 8, pos + 8 + n);
    if (kind === 'IHDR') {
      w = body.readUInt32BE(0);
      h = body.readUInt32BE(4);
      bpp = body[9] === 6 ? 4 : 3;  // 8-bit RGBA or RGB: what Chromium writes
    } else if (kind === 'IDAT') {
      idat.push(body);
    }
    pos += 12 + n;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat)), stride = w * bpp;
  let prev = Buffer.alloc(stride), bright = 0;
  for (let y = 0; y < h; ++y) {
    const f = raw[y * (stride + 1)], line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; ++i) {  // undo the PNG row filter
      const a = i >= bpp ? line[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      line[i] = (line[i] + [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][f]) & 255;
    }
    for (let i = 0; i < stride; i += bpp) if (Math.max(line[i], line[i + 1], line[i + 2]) > 170) ++bright;
    prev = line;
  }
  return bright / (w * h);
}

// 7. The page at four window sizes and pixel densities, each before and after a
//    resize: the canvas' backing store is CSS size x devicePixelRatio (never
//    letterboxed or upscaled), status reports the layout and the density, and a
//    screenshot of each is saved. The wheel scrolls down; on a phone (touch) a
//    finger dragged on the background scrolls, and a digit drawn with it on the
//    draw pad is classified by the model saved in 1.
export async function viewports(base, { launch, check, status, artifacts }) {
  const browser = await launch();
  const shot = async (page, name) => {
    const file = path.join(artifacts, `web_${name}.png`);
    await page.screenshot({ path: file });
    return file;
  };
  // Waits for the page to follow the window, then checks the DOM and nnlabStatus() agree with it.
  const follows = async (page, name, w, h, dpr, layout) => {
    const bw = Math.round(w * dpr), bh = Math.round(h * dpr);
    let st = await status(page);
    for (const t0 = Date.now(); (st.canvasWidth !== bw || st.canvasHeight !== bh || st.dpr !== dpr) && Date.now() - t0 < 5000;) {
      await page.waitForTimeout(100);
      st = await status(page);
    }
    await page.waitForTimeout(300);  // a few more frames, so the screenshot shows the new layout
    st = await status(page);
    const dom = await page.evaluate(() => ({
      w: Module.canvas.width, h: Module.canvas.height, cssW: Module.canvas.clientWidth,
      cssH: Module.canvas.clientHeight, innerW: innerWidth, innerH: innerHeight, dpr: devicePixelRatio }));
    const file = await shot(page, name);
    const bright = brightShare(file);
    check(bright > 0.01, `${name}: the screenshot shows text and lines (${(bright * 100).toFixed(1)}% bright pixels)`);
    check(dom.innerW === w && dom.innerH === h && dom.dpr === dpr && dom.cssW === w && dom.cssH === h &&
          dom.w === bw && dom.h === bh && st.canvasWidth === bw && st.canvasHeight === bh &&
          st.dpr === dpr && st.layout === layout,
          `${name}: ${w}x${h} CSS px at DPR ${dpr}: canvas ${dom.w}x${dom.h} shown at ${dom.cssW}x${dom.cssH} ` +
          `(want ${bw}x${bh} at ${w}x${h}), status ${st.canvasWidth}x${st.canvasHeight} dpr ${st.dpr} layout ${st.layout} (want ${layout}); ${file}`);
    return st;
  };
  // The data, then the model that part 1 saved: the insight panel then has
  // predictions to show and the draw pad a model to ask.
  const dataAndModel = async (page, name) => {
    const answer = await page.evaluate(() => nnlabCommand('retry'));
    let st = await status(page);
    for (let i = 0; i < 120 && st.trainCount !== 60000; ++i) {
      await page.waitForTimeout(250);
      st = await status(page);
    }
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'),
                                         page.evaluate(() => nnlabCommand('load'))]);
    await chooser.setFiles(path.join(artifacts, 'e2e_model.nnlb'));
    await page.waitForTimeout(500);
    st = await status(page);
    check(answer === '' && st.trainCount === 60000 && st.notice === '' && st.device !== '',
          `${name}: data and the saved model loaded (${st.trainCount} images, notice "${st.notice}", device "${st.device}")`);
  };
  try {
    // A desktop window: 1280x800 at DPR 1, then DPR 2 (a Retina screen; the font
    // is rasterised again), then resized to 800x600, where the panels stack.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}?data=mnist`);
    await page.waitForFunction(() => Module.calledRun, null, { timeout: 20000 });
    await dataAndModel(page, 'desktop');
    // A few seconds more of training (the loaded model goes on), then paused: the charts have data.
    check(await page.evaluate(() => nnlabCommand('start')) === '', 'desktop: Start trains the loaded model further');
    await page.waitForTimeout(3000);
    // Pause is a command to the run's thread: the state follows within a frame or
    // a few, so poll for it (a loaded CI machine took over one frame).
    const paused = await page.evaluate(() => nnlabCommand('pause')) === '';
    let pst = await status(page);
    for (let i = 0; i < 100 && pst.state !== 'paused'; ++i) {
      await page.waitForTimeout(20);
      pst = await status(page);
    }
    check(paused && pst.state === 'paused', `desktop: Pause (state "${pst.state}")`);
    await follows(page, '1280x800_dpr1', 1280, 800, 1, 'wide');
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 800, deviceScaleFactor: 2, mobile: false });
    await follows(page, '1280x800_dpr2', 1280, 800, 2, 'wide');
    // Back to Playwright's own emulation (DPR 1): its input events expect it.
    await cdp.send('Emulation.clearDeviceMetricsOverride');
    await page.setViewportSize({ width: 800, height: 600 });
    let st = await follows(page, '800x600', 800, 600, 1, 'narrow');
    // The wheel over the column: down scrolls down (the content moves up), up comes back.
    await page.mouse.move(400, 300);
    const top = st.scroll.nnlab;
    await page.mouse.wheel(0, 300);
    await page.waitForTimeout(400);
    const down = (await status(page)).scroll.nnlab;
    await page.mouse.wheel(0, -300);
    await page.waitForTimeout(400);
    const up = (await status(page)).scroll.nnlab;
    const after = await status(page);
    check(top === 0 && down > 100 && up < down,
          `the wheel scrolls the right way: scroll ${top} -> ${down} after wheel down, ${up} after wheel up (layout ${after.layout}, ${JSON.stringify(after.scroll)})`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await follows(page, '1280x800_dpr1_resized_back', 1280, 800, 1, 'wide');
    // Reset asks before it drops the trained model: Cancel keeps it, Discard drops it.
    const click = async (name) => {
      const r = (await status(page)).widgets[name];
      if (r) await page.mouse.click(r[0] + r[2] / 2, r[1] + r[3] / 2);
      await page.waitForTimeout(400);
      return !!r;
    };
    let ms = await status(page);
    const clicked = await click('Reset');
    ms = await status(page);
    check(clicked && ms.modal === 'Drop the trained model?' && ms.state === 'paused',
          `Reset with a trained model asks first (modal "${ms.modal}", state ${ms.state})`);
    await shot(page, 'discard_modal');
    await click('Cancel');
    ms = await status(page);
    check(ms.modal === '' && ms.state === 'paused' && ms.device !== '',
          `Cancel keeps the model (modal "${ms.modal}", state ${ms.state}, device "${ms.device}")`);
    await click('Reset');
    await click('Discard');
    ms = await status(page);
    check(ms.modal === '' && ms.state === 'idle' && ms.device === '',
          `Discard drops it (modal "${ms.modal}", state ${ms.state}, device "${ms.device}")`);
    check(errors.length === 0, `viewports: no page errors${errors.length ? ': ' + errors.join('; ') : ''}`);
    await ctx.close();

    // A phone: 390x844 CSS px at DPR 3, touch only; one column.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
    const pp = await phone.newPage();
    pp.on('pageerror', (e) => errors.push(e.message));
    await pp.goto(base);
    await pp.waitForFunction(() => Module.calledRun, null, { timeout: 20000 });
    await follows(pp, 'phone_390x844_dpr3', 390, 844, 3, 'narrow');
    await dataAndModel(pp, 'phone');
    st = await status(pp);
    const touch = await phone.newCDPSession(pp);
    const finger = async (points, stepMs) => {  // one finger along points [[x, y], ...]
      await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: points[0][0], y: points[0][1] }] });
      for (const [x, y] of points.slice(1)) {
        await pp.waitForTimeout(stepMs);
        await touch.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y }] });
      }
      await pp.waitForTimeout(stepMs);
      await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await pp.waitForTimeout(300);
    };
    // Typing: a tap on a text field opens the on-screen keyboard (#keys takes the focus); what
    // it types (input events without key codes) reaches the field once, as does a hardware
    // Backspace; a tap beside the fields closes it.
    const lambda = st.widgets.lambda;
    await finger([[lambda[0] + lambda[2] * 0.4, lambda[1] + lambda[3] / 2]], 30);
    await pp.waitForFunction(() => document.activeElement?.id === 'keys', null, { timeout: 5000 }).catch(() => {});
    const focused = await pp.evaluate(() => document.activeElement?.id);
    const moved = (await status(pp)).widgets.lambda;  // scrolled up, clear of the keyboard
    // Each step waits for the frame that applies it (a few frames/s at DPR 3 in SwiftShader).
    const lambdaBecomes = async (want) => {
      let v = '';
      for (const t0 = Date.now(); Date.now() - t0 < 5000; await pp.waitForTimeout(100))
        if ((v = (await status(pp)).params.lambda) === want) break;
      return v;
    };
    await pp.keyboard.insertText('25');  // replaces the selected 0
    const typed = await lambdaBecomes('25');
    await shot(pp, 'phone_typing');
    // ImGui 1.86 polls key states: a press must span a frame, as a finger's does.
    await pp.keyboard.down('Backspace');
    await pp.waitForTimeout(250);
    await pp.keyboard.up('Backspace');
    const erased = await lambdaBecomes('2');
    // An on-screen keyboard's Backspace is an edit with no key code (Android sends keyCode 229).
    await pp.keyboard.insertText('7');
    const added = await lambdaBecomes('27');
    await pp.evaluate(() => {
      const keys = document.getElementById('keys');
      keys.dispatchEvent(new KeyboardEvent('keydown', { keyCode: 229, bubbles: true }));
      keys.value = '';
      keys.dispatchEvent(new InputEvent('input', { inputType: 'deleteContentBackward', bubbles: true }));
    });
    const edited = await lambdaBecomes('2');
    await finger([[3, moved[1] + moved[3] / 2]], 30);
    await pp.waitForFunction(() => document.activeElement?.id !== 'keys', null, { timeout: 5000 }).catch(() => {});
    const blurred = await pp.evaluate(() => document.activeElement?.id);
    check(focused === 'keys' && moved[1] < 844 * 0.3 && typed === '25' && erased === '2' &&
          added === '27' && edited === '2' && blurred !== 'keys',
          `phone: a tapped text field takes the on-screen keyboard (focus "${focused}") and moves ` +
          `from y ${Math.round(lambda[1])} to ${Math.round(moved[1])}, typing 25 ` +
          `gives lambda ${typed}, Backspace ${erased}, 7 ${added}, the keyboard's delete ${edited}; ` +
          `a tap elsewhere closes it (focus "${blurred}")`);
    st = await status(pp);
    // Swipe up on the left margin (no widget there) until the draw pad and the
    // readout above it are on screen.
    const before = st.scroll.nnlab;
    for (let i = 0; i < 8; ++i) {
      st = await status(pp);
      const [, y, , h] = st.drawPad.rect;
      if (h > 0 && y > 200 && y + h < 844) break;
      const dy = Math.max(-600, Math.min(600, (y + h) - 820));
      const steps = Array.from({ length: 11 }, (_, k) => [3, 422 + dy / 2 - (dy * k) / 10]);
      await finger(steps, 30);
    }
    st = await status(pp);
    const pad = st.drawPad.rect;
    check(st.scroll.nnlab > before && pad[2] > 300 && pad[1] > 200 && pad[1] + pad[3] < 844,
          `phone: a swipe scrolls the column (scroll ${before} -> ${st.scroll.nnlab}); the draw pad is full width (${pad.map(Math.round)})`);
    // A "1" drawn with the finger, top to bottom.
    const cx = pad[0] + pad[2] * 0.52;
    await finger(Array.from({ length: 13 }, (_, i) => [cx - i * 1.2, pad[1] + pad[3] * (0.15 + 0.7 * i / 12)]), 40);
    await pp.waitForTimeout(500);
    st = await status(pp);
    check(st.drawPad.predicted === 1,
          `phone: a "1" drawn with a finger is classified as 1 (got ${st.drawPad.predicted}, p=${st.drawPad.probs.map((p) => p.toFixed(2)).join(' ')})`);
    await shot(pp, 'phone_drawn');
    // Turned sideways: 844x390, still narrow, same density.
    await pp.setViewportSize({ width: 844, height: 390 });
    await follows(pp, 'phone_landscape', 844, 390, 3, 'narrow');
    check(errors.length === 0, `phone: no page errors${errors.length ? ': ' + errors.join('; ') : ''}`);
    await phone.close();
  } finally {
    await browser.close();
  }
}
