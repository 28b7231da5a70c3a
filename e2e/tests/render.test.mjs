// The rendering invariants of ARCHITECTURE.md, observed through window.__pingan:
// a pan within the surfaces' margin re-renders neither cached surface (it only moves them), a
// change to a point layer re-renders the points surface but never the polygon surface, and a
// zoom re-renders both once the camera rests. A camera moving frame after frame (a flight, the
// wall's clock-driven camera) shows the last pictures scaled and re-renders nothing until it
// rests, then each surface once; with nothing changing no frame is drawn. A map that redrew
// 4,000 grid cells per pan or flight frame would fail here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, baseUrl, launch, newPage, openApp } from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const renders = (page) => page.evaluate(() => window.__pingan.surfaceRenders());
const frames = (page) => page.evaluate(() => window.__pingan.frames());
// Frames by kind: [overlay drawn in full, in part, not at all, moving (pictures placed)].
const composed = (page) => page.evaluate(() => window.__pingan.composed());

async function settle(page) {
  // Two animation frames: whatever was requested has been drawn.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

describe('rendering', () => {
  test('panning blits; point changes re-render points only; zoom re-renders both', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.88300,22.57000&z=15.5&l=grids,parks,communities,subdistricts,hazards,cases');
      await settle(page);
      const [base0, points0] = await renders(page);
      const f0 = await frames(page);
      assert.ok(base0 >= 1 && points0 >= 1, `surfaces rendered at least once: ${base0}, ${points0}`);

      // A drag of 150 px in small steps: many frames, no surface re-render.
      await page.mouse.move(900, 500);
      await page.mouse.down();
      for (let i = 1; i <= 30; i++) await page.mouse.move(900 - i * 5, 500 - i * 2);
      await page.mouse.up();
      await settle(page);
      const [base1, points1] = await renders(page);
      const f1 = await frames(page);
      assert.ok(f1 - f0 >= 10, `the drag drew frames (${f1 - f0})`);
      assert.equal(base1, base0, 'a pan within the margin must not re-render the polygon surface');
      assert.equal(points1, points0, 'a pan within the margin must not re-render the points surface');

      // Hiding a point layer: the points surface is re-rendered, the polygons are not.
      await page.locator('[data-testid=layer-toggle-cases]').click();
      await settle(page);
      const [base2, points2] = await renders(page);
      assert.equal(base2, base1, 'a point-layer change must not re-render the polygon surface');
      assert.ok(points2 > points1, 'a point-layer change re-renders the points surface');
      assert.equal(await page.evaluate(() => window.__pingan.drawn('cases')), 0, 'hidden cases are not drawn');

      // Zoom: both surfaces follow.
      await page.locator('[data-testid=zoom-out]').click();
      await settle(page);
      const [base3, points3] = await renders(page);
      assert.ok(base3 > base2 && points3 > points2, `zoom re-renders both (${base2}→${base3}, ${points2}→${points3})`);

      // A long pan (beyond the 320 px margin) re-renders, and the map keeps drawing hazards.
      await page.mouse.move(1400, 500);
      await page.mouse.down();
      for (let i = 1; i <= 40; i++) await page.mouse.move(1400 - i * 20, 500);
      await page.mouse.up();
      await settle(page);
      const [base4] = await renders(page);
      assert.ok(base4 > base3, 'panning past the margin re-renders the polygon surface');
      assert.ok(await page.evaluate(() => window.__pingan.drawn('hazards')) > 0, 'hazards drawn after the pan');
    } finally {
      await page.close();
    }
  });

  test('a moving camera renders no surface until it rests, then each once; nothing changing draws nothing', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.88300,22.57000&z=14&l=grids,parks,communities,subdistricts,hazards,sensors');
      await settle(page);
      // A flight driven one camera per animation frame (as the wall's clock drives it): 1.5
      // levels in and 0.01° east over 30 frames. The counters are read in the page, in each
      // frame before the app draws it (a read from here could come after the settling frame).
      const during = await page.evaluate(async () => {
        const seen = [];
        const read = () => [window.__pingan.frames(), ...window.__pingan.surfaceRenders(), window.__pingan.composed()[3]];
        seen.push(read());
        for (let i = 1; i <= 30; i++) {
          window.__pingan.setView(113.883 + 0.01 * i / 30, 22.57, 14 + 1.5 * i / 30);
          await new Promise((r) => requestAnimationFrame(r));
          seen.push(read());
        }
        return seen;
      });
      const [f0, base0, points0, moving0] = during[0];
      const [f1, , , moving1] = during.at(-1);
      assert.ok(f1 - f0 >= 10, `the flight drew frames (${f1 - f0})`);
      assert.ok(moving1 - moving0 >= 10, `its frames showed the pictures placed (${moving1 - moving0})`);
      for (const [, b, p] of during) {
        assert.deepEqual([b, p], [base0, points0], `no surface re-rendered while the camera moved: ${JSON.stringify(during)}`);
      }
      await settle(page);
      await settle(page);
      assert.deepEqual(await renders(page), [base0 + 1, points0 + 1], 'at rest, each surface rendered once');
      const v = await page.evaluate(() => window.__pingan.view());
      assert.ok(Math.abs(v.zoom - 15.5) < 1e-9, `the flight ended where it was sent: ${JSON.stringify(v)}`);
      assert.ok(await page.evaluate(() => window.__pingan.drawn('hazards')) > 0, 'hazards drawn at rest');

      // Idle: nothing changes, no frame is drawn.
      await page.waitForTimeout(300);
      const idle0 = await frames(page);
      await page.waitForTimeout(2000);
      assert.equal((await frames(page)) - idle0, 0, 'no frame drawn while nothing changes');
    } finally {
      await page.close();
    }
  });
});
