// Zoom buttons and keys, arrow-key panning, and the scale bar following the zoom.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TEST_TIMEOUT, baseUrl, launch, newPage, openApp, scaleMetres, settledView, waitView,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const scaleText = async (page) => (await page.locator('[data-testid=scale-bar]').textContent()).trim();

// Waits for the scale bar to settle after a zoom (it may redraw a frame later).
async function settledScale(page) {
  let last = await scaleText(page);
  for (let i = 0; i < 10; i++) {
    await page.waitForTimeout(100);
    const t = await scaleText(page);
    if (t === last) return t;
    last = t;
  }
  return last;
}

describe('zoom and pan', () => {
  test('the scale bar reads like "500 m" or "2 km" and matches the ground resolution', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.85,22.65&z=14');
      const text = await scaleText(page);
      assert.match(text, /^\d+(\.\d+)?\s?(m|km)$/, `scale bar text ${JSON.stringify(text)}`);
      // The bar's ground length must be plausible for the zoom: Web-Mercator metres per pixel
      // at z14 and 22.65°N is ~8.8 m; a scale bar is between ~40 and ~300 px wide.
      const mpp = (156543.034 * Math.cos((22.65 * Math.PI) / 180)) / 2 ** 14;
      const m = scaleMetres(text);
      assert.ok(m >= 40 * mpp && m <= 300 * mpp, `${text} at z14 (${mpp.toFixed(2)} m/px)`);
      // Same units in both languages.
      await page.locator('[data-testid=lang-toggle]').click();
      await page.waitForTimeout(300);
      assert.equal(await scaleText(page), text, 'scale bar text is the same in the other language');
    } finally {
      await page.close();
    }
  });

  test('zoom-in/zoom-out buttons change the zoom and the scale bar, and zoom out restores them', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.85,22.65&z=13');
      const v0 = await settledView(page);
      const s0 = await settledScale(page);
      await page.locator('[data-testid=zoom-in]').click();
      const v1 = await waitView(page, (v) => v.zoom > v0.zoom + 0.2, 'zoomed in after clicking zoom-in');
      const s1 = await settledScale(page);
      assert.ok(scaleMetres(s1) < scaleMetres(s0), `scale bar went from ${s0} to ${s1} on zooming in`);
      assert.ok(Math.abs(v1.lon - v0.lon) < 1e-6 && Math.abs(v1.lat - v0.lat) < 1e-6, 'button zoom keeps the centre');

      await page.locator('[data-testid=zoom-in]').click();
      const v2 = await waitView(page, (v) => v.zoom > v1.zoom + 0.2, 'zoomed in again');
      const s2 = await settledScale(page);
      assert.ok(scaleMetres(s2) <= scaleMetres(s1), `scale bar ${s1} → ${s2}`);

      await page.locator('[data-testid=zoom-out]').click();
      await waitView(page, (v) => Math.abs(v.zoom - v1.zoom) < 1e-6, `back at zoom ${v1.zoom}`);
      assert.equal(await settledScale(page), s1);
      await page.locator('[data-testid=zoom-out]').click();
      const back = await waitView(page, (v) => Math.abs(v.zoom - v0.zoom) < 1e-6, `back at zoom ${v0.zoom}`);
      assert.equal(await settledScale(page), s0, 'zooming out restores the scale bar');
      assert.ok(Math.abs(back.lon - v0.lon) < 1e-6 && Math.abs(back.lat - v0.lat) < 1e-6, 'and the centre');
      const z = Number(new URL(page.url()).searchParams.get('z'));
      assert.ok(Math.abs(z - v0.zoom) < 0.01, `URL z=${z} follows the zoom`);
    } finally {
      await page.close();
    }
  });

  test('keys + and - zoom, arrow keys pan', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.85,22.65&z=13');
      const v0 = await settledView(page);
      const s0 = await settledScale(page);
      await page.locator('body').focus().catch(() => {});
      await page.keyboard.press('+');
      const v1 = await waitView(page, (v) => v.zoom > v0.zoom + 0.2, "zoomed in after pressing '+'");
      assert.ok(scaleMetres(await settledScale(page)) < scaleMetres(s0), 'the scale bar shrinks');
      await page.keyboard.press('-');
      await waitView(page, (v) => Math.abs(v.zoom - v0.zoom) < 1e-6, "back after pressing '-'");
      assert.equal(await settledScale(page), s0);
      assert.ok(v1.zoom - v0.zoom <= 2, `one key press zooms at most 2 levels (${v0.zoom} → ${v1.zoom})`);

      const a = await settledView(page);
      await page.keyboard.press('ArrowRight');
      const b = await waitView(page, (v) => v.lon > a.lon + 1e-5, 'moved east on ArrowRight');
      assert.ok(Math.abs(b.lat - a.lat) < 1e-6 && b.zoom === a.zoom, 'ArrowRight pans only east');
      await page.keyboard.press('ArrowLeft');
      await waitView(page, (v) => Math.abs(v.lon - a.lon) < 1e-6, 'back west on ArrowLeft');
      await page.keyboard.press('ArrowUp');
      const c = await waitView(page, (v) => v.lat > a.lat + 1e-5, 'moved north on ArrowUp');
      await page.keyboard.press('ArrowDown');
      await waitView(page, (v) => Math.abs(v.lat - a.lat) < 1e-6, 'back south on ArrowDown');
      assert.ok(c.lat > a.lat);
    } finally {
      await page.close();
    }
  });

  test('dragging the map pans it with the pointer', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.85,22.65&z=13');
      const v0 = await settledView(page);
      const box = await page.locator('[data-testid=map-canvas]').boundingBox();
      const [x0, y0] = [box.x + box.width * 0.6, box.y + box.height * 0.5];
      const before = await page.evaluate(([a, b]) => window.__pingan.project(a, b), [v0.lon, v0.lat]);
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      await page.mouse.move(x0 - 200, y0 + 100, { steps: 10 });
      await page.waitForTimeout(100);
      // Measured before releasing: the point under the pointer stays under it.
      const after = await page.evaluate(([a, b]) => window.__pingan.project(a, b), [v0.lon, v0.lat]);
      await page.mouse.up();
      const v1 = await settledView(page);
      assert.ok(v1.lon > v0.lon && v1.lat > v0.lat, `dragging left/down moves the view east/north: ${JSON.stringify([v0, v1])}`);
      assert.equal(await page.locator('[data-testid=details]').isVisible(), false, 'a drag is not a click');
      assert.ok(Math.abs(after[0] - before[0] + 200) < 3 && Math.abs(after[1] - before[1] - 100) < 3,
        `the map moved with the pointer: ${before} → ${after}`);
    } finally {
      await page.close();
    }
  });
});
