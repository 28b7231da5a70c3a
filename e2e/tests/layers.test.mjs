// The layer panel against the server's manifest, layer toggling, the URL view state and
// the loading indicator.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LAYER_IDS, TEST_TIMEOUT, baseUrl, diagnostics, get, launch, manifest, newPage, openApp, settledView,
  signIn, urlLayers, view, waitReady, waitUrl,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;
let layers; // the good server's manifest rows

before(async () => {
  browser = await launch();
  layers = (await manifest(BASE)).layers;
});
after(async () => { await browser?.close(); });

// With a live API the app loads cases from GET /api/cases.bin (the live store's last 30 days),
// not the manifest's data/cases_recent.bin: the record count from that file's header, or null.
async function liveCaseCount() {
  const r = await get(`${BASE}/api/cases.bin`);
  if (!r.ok || !r.headers.get('x-pingan-seq')) return null;
  const buf = Buffer.from(await r.arrayBuffer());
  return buf.length >= 32 && buf.toString('latin1', 0, 4) === 'PACS' ? buf.readUInt32LE(8) : null;
}

describe('layer panel', () => {
  test('the manifest lists every catalogue layer, all loaded without error', { timeout: TEST_TIMEOUT }, () => {
    assert.deepEqual(layers.map((l) => l.id).sort(), [...LAYER_IDS].sort());
    for (const l of layers) {
      assert.equal(l.error, null, `layer ${l.id} has a server-side error: ${l.error}`);
      assert.ok(Number.isInteger(l.count) && l.count > 0, `layer ${l.id} count ${l.count}`);
      assert.match(l.url, /^\/data\/[^/]+$/, `layer ${l.id} url`);
    }
  });

  test('every layer count in the panel equals the manifest count, no layer shows an error', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      const liveBefore = await liveCaseCount();
      await openApp(page, BASE);
      const liveAfter = await liveCaseCount();
      const ff = await page.evaluate(() => window.__pingan.firstFrameMs);
      assert.ok(typeof ff === 'number' && ff > 0, `__pingan.firstFrameMs = ${ff}`);
      for (const l of layers) {
        const row = page.locator(`[data-testid=layer-${l.id}]`);
        assert.equal(await row.count(), 1, `panel row for layer ${l.id}`);
        const err = page.locator(`[data-testid=layer-error-${l.id}]`);
        if (await err.count()) assert.fail(`layer ${l.id} shows an error: ${await err.first().textContent()}`);
        const text = (await page.locator(`[data-testid=layer-count-${l.id}]`).textContent()).trim();
        assert.match(text, /^\d+$/, `layer ${l.id} count text ${JSON.stringify(text)} is not a plain integer`);
        if (l.id === 'cases' && liveBefore !== null) {
          // Live: between the live file's counts before and after loading (cases may arrive meanwhile).
          assert.ok(Number(text) >= liveBefore && Number(text) <= liveAfter,
            `cases: panel says ${text}, api/cases.bin held ${liveBefore}…${liveAfter}`);
        } else {
          assert.equal(Number(text), l.count, `layer ${l.id}: panel says ${text}, manifest says ${l.count}`);
        }
        assert.equal(await page.locator(`[data-testid=layer-toggle-${l.id}]`).count(), 1, `toggle for ${l.id}`);
      }
      assert.deepEqual(page.errors.filter((e) => !/favicon/i.test(e)), [], `browser errors on a clean load${diagnostics(page)}`);
    } finally {
      await page.close();
    }
  });

  test('toggling a layer off hides it and drops it from the URL; on again restores it', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE);
      const visible = await page.evaluate(() => window.__pingan.visibleLayers());
      const drawnNow = {};
      for (const id of visible) drawnNow[id] = await page.evaluate((i) => window.__pingan.drawn(i), id);
      const drawnLayers = visible.filter((id) => drawnNow[id] > 0);
      assert.ok(drawnLayers.includes('hazards'), `hazards should be visible and drawn at the default view: ${JSON.stringify(drawnNow)}`);
      assert.ok(drawnLayers.length >= 3, `at least 3 layers drawn at the default view: ${JSON.stringify(drawnNow)}`);
      for (const id of drawnLayers) {
        const toggle = page.locator(`[data-testid=layer-toggle-${id}]`);
        assert.equal(await toggle.isChecked(), true, `${id} checkbox checked while visible`);
        await toggle.click();
        await page.waitForFunction((i) => window.__pingan.drawn(i) === 0, id, { timeout: 5_000 })
          .catch(() => { throw new Error(`drawn(${id}) did not drop to 0 after toggling it off`); });
        assert.equal(await toggle.isChecked(), false, `${id} checkbox unchecked after click`);
        assert.ok(!(await page.evaluate(() => window.__pingan.visibleLayers())).includes(id), `${id} left visibleLayers()`);
        await waitUrl(page, (u) => !(u.searchParams.get('l') || '').split(',').includes(id), `dropped ${id} from l`);
        await toggle.click();
        await page.waitForFunction((i) => window.__pingan.drawn(i) > 0, id, { timeout: 5_000 })
          .catch(() => { throw new Error(`drawn(${id}) stayed 0 after toggling it on again`); });
        assert.equal(await page.evaluate((i) => window.__pingan.drawn(i), id), drawnNow[id], `${id} draws as before`);
        await waitUrl(page, (u) => (u.searchParams.get('l') || '').split(',').includes(id), `regained ${id} in l`);
      }
      // A layer hidden by default can be switched on (and is then in the URL).
      const hidden = LAYER_IDS.filter((id) => !visible.includes(id));
      assert.ok(hidden.length > 0, 'some layer is hidden by default');
      const id = hidden[0];
      await page.locator(`[data-testid=layer-toggle-${id}]`).click();
      await waitUrl(page, (u) => (u.searchParams.get('l') || '').split(',').includes(id), `gained ${id} in l`);
      assert.ok((await page.evaluate(() => window.__pingan.visibleLayers())).includes(id), `${id} in visibleLayers()`);
    } finally {
      await page.close();
    }
  });

  test('the URL restores the view, layers and language, and follows view changes', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.86000,22.58000&z=14.00&l=district,hazards&lang=en');
      const v = await view(page);
      assert.ok(Math.abs(v.lon - 113.86) < 1e-4 && Math.abs(v.lat - 22.58) < 1e-4 && Math.abs(v.zoom - 14) < 1e-6,
        `view from the URL: ${JSON.stringify(v)}`);
      assert.deepEqual((await page.evaluate(() => window.__pingan.visibleLayers())).sort(), ['district', 'hazards']);
      assert.equal(await page.evaluate(() => window.__pingan.drawn('grids')), 0, 'grids not in l: not drawn');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
      assert.deepEqual(urlLayers(page).sort(), ['district', 'hazards']);

      await page.evaluate(() => window.__pingan.setView(113.8, 22.7, 13));
      const v2 = await settledView(page);
      assert.ok(Math.abs(v2.lon - 113.8) < 1e-4 && Math.abs(v2.lat - 22.7) < 1e-4 && Math.abs(v2.zoom - 13) < 1e-6,
        `view after setView: ${JSON.stringify(v2)}`);
      await waitUrl(page, (u) => {
        const c = (u.searchParams.get('c') || '').split(',').map(Number);
        return Math.abs(c[0] - 113.8) < 1e-3 && Math.abs(c[1] - 22.7) < 1e-3 && Math.abs(Number(u.searchParams.get('z')) - 13) < 0.01;
      }, 'followed setView(113.8, 22.7, 13)');

      // Reloading the URL shows the same view.
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitReady(page);
      const v3 = await view(page);
      assert.ok(Math.abs(v3.lon - 113.8) < 1e-3 && Math.abs(v3.lat - 22.7) < 1e-3 && Math.abs(v3.zoom - 13) < 0.01,
        `view after reload: ${JSON.stringify(v3)}`);
      assert.deepEqual((await page.evaluate(() => window.__pingan.visibleLayers())).sort(), ['district', 'hazards']);
    } finally {
      await page.close();
    }
  });

  test('a progress indicator shows while the layers load, and goes once ready', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      // Hold every layer file back for a moment so that loading is observable.
      await page.route('**/data/**', async (route) => {
        await new Promise((r) => setTimeout(r, 1500));
        await route.continue();
      });
      await signIn(page, BASE, 'viewer');
      await page.goto(BASE + '/', { waitUntil: 'domcontentloaded' });
      await page.locator('[data-testid=progress]').waitFor({ state: 'visible', timeout: 20_000 });
      assert.notEqual(await page.evaluate(() => document.documentElement.dataset.ready), 'true', 'not ready while layers are held back');
      await waitReady(page);
      await page.locator('[data-testid=progress]').waitFor({ state: 'hidden', timeout: 10_000 });
    } finally {
      await page.close();
    }
  });
});
