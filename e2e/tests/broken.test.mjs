// A server whose data dir has one deliberately broken layer (scripts/test.sh truncates
// PINGAN_BROKEN_LAYER's file): that layer's row shows an error naming the problem, every
// other layer still loads and shows its count, and the map still works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LAYER_IDS, TEST_TIMEOUT, baseUrl, get, launch, manifest, newPage, openApp,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
const BROKEN_URL = baseUrl('PINGAN_BROKEN_URL');
const BROKEN = process.env.PINGAN_BROKEN_LAYER || 'sentinels';
// Words an error about a truncated GeoJSON file would use.
const PROBLEM = /json|pars|eof|end of|invalid|unexpected|syntax|truncat|malformed|decode|解析|格式|无效|损坏/i;
let browser;
let good;

// The record count of GET <url>/api/cases.bin when the server has a live API, else null.
async function liveCaseCount(url) {
  const r = await get(`${url}/api/cases.bin`);
  if (!r.ok || !r.headers.get('x-pingan-seq')) return null;
  const buf = Buffer.from(await r.arrayBuffer());
  return buf.length >= 32 && buf.toString('latin1', 0, 4) === 'PACS' ? buf.readUInt32LE(8) : null;
}

before(async () => {
  browser = await launch();
  good = Object.fromEntries((await manifest(BASE)).layers.map((l) => [l.id, l]));
});
after(async () => { await browser?.close(); });

describe(`broken layer (${BROKEN})`, () => {
  test('the manifest reports the broken layer and only it', { timeout: TEST_TIMEOUT }, async () => {
    const m = Object.fromEntries((await manifest(BROKEN_URL)).layers.map((l) => [l.id, l]));
    assert.deepEqual(Object.keys(m).sort(), [...LAYER_IDS].sort());
    for (const id of LAYER_IDS) {
      if (id === BROKEN) continue;
      assert.equal(m[id].error, null, `${id} error on the broken server: ${m[id].error}`);
      assert.equal(m[id].count, good[id].count, `${id} count`);
    }
    assert.ok(typeof m[BROKEN].error === 'string' && m[BROKEN].error.length > 0,
      `${BROKEN} should carry an error in the manifest: ${JSON.stringify(m[BROKEN])}`);
    assert.match(m[BROKEN].error, PROBLEM, `the manifest's error names the problem: ${m[BROKEN].error}`);
    assert.equal(m[BROKEN].count, null, `${BROKEN} count`);
  });

  test('the panel shows the error for the broken layer and counts for all others', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      // Shown whether or not the broken layer is visible: ask for it explicitly as well.
      await openApp(page, BROKEN_URL, `/?l=hazards,district,${BROKEN}`);
      const err = page.locator(`[data-testid=layer-error-${BROKEN}]`);
      assert.equal(await err.count(), 1, `layer-error-${BROKEN} present`);
      assert.ok(await err.isVisible(), `layer-error-${BROKEN} visible`);
      const text = (await err.textContent()).trim();
      assert.match(text, PROBLEM, `the error text names the problem: ${JSON.stringify(text)}`);
      const count = page.locator(`[data-testid=layer-count-${BROKEN}]`);
      if (await count.count()) {
        assert.doesNotMatch((await count.textContent()).trim(), /^\d+$/, `${BROKEN} shows no feature count`);
      }
      assert.equal(await page.evaluate((id) => window.__pingan.drawn(id), BROKEN), 0, `${BROKEN} draws nothing`);
      for (const id of LAYER_IDS) {
        if (id === BROKEN) continue;
        assert.equal(await page.locator(`[data-testid=layer-error-${id}]`).count(), 0, `${id} shows no error`);
        const t = (await page.locator(`[data-testid=layer-count-${id}]`).textContent()).trim();
        // With a live API, cases come from the store's api/cases.bin, not the manifest's file.
        const live = id === 'cases' ? await liveCaseCount(BROKEN_URL) : null;
        if (live !== null) {
          assert.ok(Number(t) >= live, `cases count on the broken server: ${t}, api/cases.bin ${live}`);
        } else {
          assert.equal(t, String(good[id].count), `${id} count on the broken server`);
        }
      }
      // The rest of the map works.
      assert.ok(await page.evaluate(() => window.__pingan.drawn('hazards')) > 0, 'hazards still drawn');
      assert.ok(await page.evaluate(() => window.__pingan.firstFrameMs) > 0, 'first frame drawn');
    } finally {
      await page.close();
    }
  });
});
