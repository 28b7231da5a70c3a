// Screenshots at desktop, phone and 4K sizes (target/screenshots/), checking on each that the
// map canvas fills its part of the page, features are drawn and the panel fits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  TEST_TIMEOUT, baseUrl, diagnostics, ensureScreenshotDir, launch, newPage, openApp,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;
let dir;

before(async () => {
  browser = await launch();
  dir = ensureScreenshotDir();
});
after(async () => { await browser?.close(); });

const SIZES = [
  { name: 'overview', width: 1920, height: 1080, options: {} },
  { name: 'phone', width: 390, height: 844, options: { deviceScaleFactor: 3, isMobile: true, hasTouch: true } },
  { name: '4k', width: 3840, height: 2160, options: {} },
];

describe('screenshots', () => {
  for (const s of SIZES) {
    test(`${s.name} ${s.width}×${s.height}: the map fills the page and is drawn`, { timeout: TEST_TIMEOUT }, async () => {
      const page = await newPage(browser, { viewport: { width: s.width, height: s.height }, ...s.options });
      try {
        await openApp(page, BASE);
        const box = await page.locator('[data-testid=map-canvas]').boundingBox();
        assert.ok(box, 'map canvas present');
        assert.ok(box.width >= s.width * 0.5 && box.height >= s.height * 0.5,
          `the canvas (${box.width}×${box.height}) fills at least half the page in each direction`);
        assert.ok(box.x >= -1 && box.y >= -1 && box.x + box.width <= s.width + 1 && box.y + box.height <= s.height + 1,
          `the canvas ${JSON.stringify(box)} lies inside the viewport`);
        // The backing store follows devicePixelRatio (crisp on phones and 4K).
        const backing = await page.evaluate(() => {
          const c = document.querySelector('[data-testid=map-canvas]');
          return { w: c.width, h: c.height, css: c.getBoundingClientRect().width, dpr: devicePixelRatio };
        });
        assert.ok(Math.abs(backing.w - backing.css * backing.dpr) <= 2,
          `canvas backing store ${backing.w} px for ${backing.css} CSS px at dpr ${backing.dpr}`);
        for (const id of ['district', 'hazards']) {
          assert.ok(await page.evaluate((i) => window.__pingan.drawn(i), id) > 0, `${id} drawn at ${s.name} size`);
        }
        // Nothing overflows the page horizontally.
        const scrollW = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(scrollW <= s.width + 1, `page is ${scrollW} px wide in a ${s.width} px viewport`);
        const file = join(dir, `${s.name}.png`);
        await page.screenshot({ path: file });
        assert.ok(statSync(file).size > 20_000, `${file} is suspiciously small`);
        assert.deepEqual(page.errors.filter((e) => !/favicon/i.test(e)), [], `browser errors${diagnostics(page)}`);
      } finally {
        await page.close();
      }
    });
  }
});
