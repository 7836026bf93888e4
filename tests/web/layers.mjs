// Part 9 of the e2e test (tests/web/e2e.mjs runs it; --layers-only alone): the
// model panel's layer list, clicked by the widget names in nnlabStatus().widgets
// as a user would. With the book's conv net (preset ch6-conv): Add layer, Delete,
// Up and a kind chosen in a row's combo rewrite `net`; a kernel larger than its map is refused and `net` stays;
// the list is locked while a run exists; at DPR 2 and on a phone (touch) a click
// or tap on Add layer works too. Screenshots: artifacts/web_layers_*.png.
import path from 'node:path';

const kBook = '784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc10-softmax';

export async function layerList(base, { launch, check, status, artifacts }) {
  const browser = await launch();
  // Waits (a few s at most) until the page's net is `want`; returns the net it has.
  const netBecomes = async (page, want) => {
    let net = '';
    for (const t0 = Date.now(); Date.now() - t0 < 5000; await page.waitForTimeout(50))
      if ((net = (await status(page)).params.net) === want) break;
    return net;
  };
  const open = async (ctx) => {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}?preset=ch6-conv`);
    await page.waitForFunction(() => Module.calledRun && JSON.parse(nnlabStatus()).widgets['Add layer'], null,
                               { timeout: 20000 });
    return { page, errors };
  };
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const { page, errors } = await open(ctx);
    const click = async (name) => {
      const r = (await status(page)).widgets[name];
      if (r) await page.mouse.click(r[0] + r[2] / 2, r[1] + r[3] / 2);
      await page.waitForTimeout(150);
      return !!r;
    };
    let st = await status(page);
    const w = st.widgets;
    const named = ['layer 1 kind', 'layer 1 filters', 'layer 1 kernel', 'layer 1 same', 'layer 3 size',
                   'layer 4 units', 'layer 5 up', 'layer 5 down', 'layer 5 delete', 'layer 7 kind', 'Add layer'];
    check(st.params.net === kBook && named.every((n) => w[n]) && !w['layer 6 units'] && !w['layer 6 delete'],
          `layers: a row per layer of ${st.params.net}, its widgets named (${named.filter((n) => !w[n]).join(', ') ||
           'all there'}), the output fc fixed (no "layer 6 units" or "layer 6 delete")`);

    const added = (await click('Add layer')) &&
                  await netBecomes(page, '784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc100-sigmoid-fc10-softmax');
    st = await status(page);
    check(added === '784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc100-sigmoid-fc10-softmax' &&
          st.params.sizes === '784,100,100,10',
          `layers: Add layer puts fc100 and its sigmoid before the output (net ${added}, sizes ${st.params.sizes})`);
    await page.screenshot({ path: path.join(artifacts, 'web_layers_added.png') });

    await click('layer 6 delete');  // the new sigmoid, then the new fc100 in its place
    await netBecomes(page, '784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc100-fc10-softmax');
    await click('layer 6 delete');
    const deleted = await netBecomes(page, kBook);
    check(deleted === kBook, `layers: Delete takes them out again (net ${deleted})`);

    // A 30x30 kernel on a 28x28 image: '3' is taken, then '30' is refused and the net stays.
    await click('layer 1 kernel');
    await page.keyboard.type('30', { delay: 150 });
    await page.waitForTimeout(400);
    const refused = await netBecomes(page, '784-conv20x3-sigmoid-pool2-fc100-sigmoid-fc10-softmax');
    await page.screenshot({ path: path.join(artifacts, 'web_layers_refused.png') });
    await page.keyboard.down('Enter');  // ImGui 1.86 polls keys: the press spans a frame
    await page.waitForTimeout(200);
    await page.keyboard.up('Enter');
    check(refused === '784-conv20x3-sigmoid-pool2-fc100-sigmoid-fc10-softmax',
          `layers: typing 30 into layer 1's kernel takes 3, refuses 30 (not on a 28x28 map) and keeps the net (${refused})`);

    await click('layer 3 up');
    const moved = await netBecomes(page, '784-conv20x3-pool2-sigmoid-fc100-sigmoid-fc10-softmax');
    check(moved === '784-conv20x3-pool2-sigmoid-fc100-sigmoid-fc10-softmax', `layers: Up swaps pool2 with the sigmoid above (${moved})`);
    // A kind from the row's combo: its items are named while it is open.
    await click('layer 3 kind');
    const listed = (await status(page)).widgets;
    await click('layer 3 kind relu');
    const relu = await netBecomes(page, '784-conv20x3-pool2-relu-fc100-sigmoid-fc10-softmax');
    check(['fc', 'conv', 'pool', 'dropout', 'sigmoid', 'tanh', 'relu'].every((k) => listed[`layer 3 kind ${k}`]) &&
          !listed['layer 3 kind softmax'] && relu === '784-conv20x3-pool2-relu-fc100-sigmoid-fc10-softmax',
          `layers: layer 3's kind combo offers every hidden kind (not softmax) and relu replaces the sigmoid (${relu})`);

    // At DPR 2 the widgets are where status says, in CSS pixels.
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 800, deviceScaleFactor: 2, mobile: false });
    for (let i = 0; i < 50 && (await status(page)).dpr !== 2; ++i) await page.waitForTimeout(100);
    await page.waitForTimeout(300);
    const dpr = (await status(page)).dpr;
    await click('Add layer');
    // The new layer takes the hidden activation, now the first one's: relu.
    const dpr2 = await netBecomes(page, '784-conv20x3-pool2-relu-fc100-sigmoid-fc100-relu-fc10-softmax');
    await page.screenshot({ path: path.join(artifacts, 'web_layers_dpr2.png') });
    check(dpr === 2 && dpr2 === '784-conv20x3-pool2-relu-fc100-sigmoid-fc100-relu-fc10-softmax',
          `layers: at DPR ${dpr} Add layer is clicked where status says (${dpr2})`);
    await cdp.send('Emulation.clearDeviceMetricsOverride');

    // A run locks the list as it locks the other settings.
    await page.evaluate(() => nnlabCommand('start'));
    let state = '';
    for (const t0 = Date.now(); Date.now() - t0 < 60000 && state !== 'training'; await page.waitForTimeout(100))
      state = (await status(page)).state;
    const before = (await status(page)).params.net;
    await click('Add layer');
    await click('layer 1 delete');
    const locked = (await status(page)).params.net;
    check(state === 'training' && locked === before, `layers: locked while a run exists (state ${state}, net ${locked})`);
    await page.screenshot({ path: path.join(artifacts, 'web_layers_locked.png') });
    check(errors.length === 0, `layers: no page errors${errors.length ? ': ' + errors.join('; ') : ''}`);
    await ctx.close();

    // A phone: 390x844 at DPR 3, a finger's tap on Add layer.
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
    const pp = await open(phone);
    const touch = await phone.newCDPSession(pp.page);
    const r = (await status(pp.page)).widgets['Add layer'];
    const at = [{ x: r[0] + r[2] / 2, y: r[1] + r[3] / 2 }];
    await touch.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at });
    await pp.page.waitForTimeout(100);
    await touch.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    const tapped = await netBecomes(pp.page, '784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc100-sigmoid-fc10-softmax');
    const pst = await status(pp.page);
    await pp.page.screenshot({ path: path.join(artifacts, 'web_layers_phone.png') });
    check(pst.layout === 'narrow' && r[1] + r[3] < 844 &&
          tapped === '784-conv20x5-sigmoid-pool2-fc100-sigmoid-fc100-sigmoid-fc10-softmax' && pp.errors.length === 0,
          `layers: on a phone (layout ${pst.layout}) a tap on Add layer at y ${Math.round(r[1])} adds one (${tapped})`);
    await phone.close();
  } finally {
    await browser.close();
  }
}
