// The address bar as the user typed it: loading the page (and fitting the district on the first
// canvas size) does not rewrite it; a real change of the view does, with the mode kept.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_TIMEOUT, baseUrl, launch, newPage, openApp, waitUrl } from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

describe('url', () => {
  for (const path of ['/', '/?mode=bogus&z=abc&l=nope,parks&lang=fr', '/?c=113.85,22.60&z=14&l=hazards,district']) {
    test(`opening ${path} leaves the address as typed until the view changes`, { timeout: TEST_TIMEOUT }, async () => {
      const page = await newPage(browser);
      try {
        await openApp(page, BASE, path);
        // The URL write is debounced by 250 ms: wait well past it.
        await page.waitForTimeout(1000);
        const u = new URL(page.url());
        assert.equal(u.pathname + u.search, path === '/' ? '/' : path, 'the URL is not rewritten at load');
        await page.locator('[data-testid=zoom-in]').click();
        await waitUrl(page, (u) => u.searchParams.get('z') !== null && !Number.isNaN(Number(u.searchParams.get('z'))), 'a zoom writes the view');
      } finally {
        await page.close();
      }
    });
  }

  test('a mode other than desk is kept when the view is written', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      // plan still shows the desk's layout (the wall has its own, and its address is never
      // rewritten: e2e/tests/wall.test.mjs).
      await openApp(page, BASE, '/?mode=plan');
      await page.locator('[data-testid=zoom-in]').click();
      await waitUrl(page, (u) => u.searchParams.get('z') !== null, 'a zoom writes the view');
      assert.equal(new URL(page.url()).searchParams.get('mode'), 'plan');
    } finally {
      await page.close();
    }
  });
});
