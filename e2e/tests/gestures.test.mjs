// Wheel zoom anchored at the pointer, and touch: one-finger pan and two-finger pinch, driven
// through the DevTools protocol's multi-touch input (as a phone would send them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, baseUrl, launch, newPage, openApp } from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const view = (page) => page.evaluate(() => window.__pingan.view());
const project = (page, lon, lat) => page.evaluate(([a, b]) => window.__pingan.project(a, b), [lon, lat]);
const settle = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

describe('gestures', () => {
  test('wheel zooms in and out, keeping the point under the pointer fixed', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.88000,22.60000&z=13');
      const [lon, lat] = [113.86, 22.61];
      const [x, y] = await project(page, lon, lat);
      await page.mouse.move(x, y);
      const z0 = (await view(page)).zoom;
      for (let i = 0; i < 3; i++) await page.mouse.wheel(0, -120);
      await settle(page);
      const z1 = (await view(page)).zoom;
      assert.ok(z1 > z0 + 0.5, `wheel up zooms in (${z0} → ${z1})`);
      const [x1, y1] = await project(page, lon, lat);
      assert.ok(Math.hypot(x1 - x, y1 - y) < 2, `the point under the pointer stays put (moved ${Math.hypot(x1 - x, y1 - y).toFixed(2)} px)`);
      for (let i = 0; i < 3; i++) await page.mouse.wheel(0, 120);
      await settle(page);
      assert.ok(Math.abs((await view(page)).zoom - z0) < 1e-6, 'wheel down by as much zooms back out');
    } finally {
      await page.close();
    }
  });

  test('touch: one finger pans, two fingers pinch-zoom', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser, { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true, isMobile: true });
    try {
      await openApp(page, BASE, '/?c=113.88000,22.60000&z=13');
      const cdp = await page.context().newCDPSession(page);
      const touch = (type, points) => cdp.send('Input.dispatchTouchEvent', {
        type, touchPoints: points.map(([x, y], id) => ({ x, y, id, radiusX: 5, radiusY: 5, force: 1 })),
      });
      // One finger: the ground under it follows it.
      const [lon, lat] = [113.88, 22.60];
      const [sx, sy] = await project(page, lon, lat);
      await touch('touchStart', [[sx, sy]]);
      for (let i = 1; i <= 10; i++) await touch('touchMove', [[sx - i * 8, sy + i * 5]]);
      await touch('touchEnd', []);
      await settle(page);
      const [px, py] = await project(page, lon, lat);
      assert.ok(Math.abs(px - (sx - 80)) < 3 && Math.abs(py - (sy + 50)) < 3,
        `one-finger pan moved the map with the finger: (${sx.toFixed(0)},${sy.toFixed(0)}) → (${px.toFixed(1)},${py.toFixed(1)})`);
      assert.equal(await page.locator('[data-testid=details]').count(), 0, 'a pan is not a tap');

      // Two fingers spreading from 100 px apart to 200 px: one zoom level in.
      const z0 = (await view(page)).zoom;
      const [cx, cy] = [195, 420];
      await touch('touchStart', [[cx - 50, cy], [cx + 50, cy]]);
      for (let i = 1; i <= 10; i++) await touch('touchMove', [[cx - 50 - i * 5, cy], [cx + 50 + i * 5, cy]]);
      await touch('touchEnd', []);
      await settle(page);
      const z1 = (await view(page)).zoom;
      assert.ok(Math.abs(z1 - (z0 + 1)) < 0.15, `pinch out doubling the finger distance zooms in one level (${z0} → ${z1})`);
    } finally {
      await page.close();
    }
  });
});
