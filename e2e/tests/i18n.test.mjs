// The language toggle: 中文 ↔ English for the visible text, <html lang> and the URL's lang.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TEST_TIMEOUT, baseUrl, fetchJson, launch, manifest, newPage, openApp, waitReady, waitUrl,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;
let layers;

before(async () => {
  browser = await launch();
  layers = (await manifest(BASE)).layers;
});
after(async () => { await browser?.close(); });

const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);
const rowText = async (page, id) => (await page.locator(`[data-testid=layer-${id}]`).innerText()).trim();

// urlToo: the URL must carry the language (after a change; a fresh page may have a bare URL,
// though if it has a lang parameter that must match).
async function expectLanguage(page, lang, urlToo = true) {
  await page.waitForFunction((l) => document.documentElement.lang === l, lang, { timeout: 5_000 })
    .catch(async () => { throw new Error(`<html lang> is ${await htmlLang(page)}, expected ${lang}`); });
  const zh = lang === 'zh-CN';
  for (const l of layers) {
    const text = await rowText(page, l.id);
    const [want, notWant] = zh ? [l.name, l.name_en] : [l.name_en, l.name];
    assert.ok(text.includes(want), `layer ${l.id} row ${JSON.stringify(text)} should say ${JSON.stringify(want)}`);
    assert.ok(!text.includes(notWant), `layer ${l.id} row ${JSON.stringify(text)} should not say ${JSON.stringify(notWant)}`);
  }
  const code = zh ? 'zh' : 'en';
  if (urlToo) {
    await waitUrl(page, (u) => u.searchParams.get('lang') === code, `has lang=${code}`);
  } else {
    const l = new URL(page.url()).searchParams.get('lang');
    assert.ok(l === null || l === code, `URL lang=${l} while the page is in ${lang}`);
  }
}

describe('language', () => {
  test('Chinese by default; the toggle switches the text, <html lang> and the URL, and back', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE);
      assert.ok(layers.some((l) => l.id === 'hazards' && l.name === '隐患点' && l.name_en === 'Hazard sites'),
        'the manifest names hazards 隐患点 / Hazard sites');
      await expectLanguage(page, 'zh-CN', false);
      const toggle = page.locator('[data-testid=lang-toggle]');
      await toggle.click();
      await expectLanguage(page, 'en');
      const body = await page.locator('body').innerText();
      assert.ok(body.includes('Hazard sites') && !body.includes('隐患点'), 'the page says Hazard sites, not 隐患点');
      await toggle.click();
      await expectLanguage(page, 'zh-CN');
      assert.ok((await page.locator('body').innerText()).includes('隐患点'));
    } finally {
      await page.close();
    }
  });

  test('lang=en in the URL opens in English, and the choice survives a reload', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?lang=en');
      await expectLanguage(page, 'en');
      await page.locator('[data-testid=lang-toggle]').click();
      await expectLanguage(page, 'zh-CN');
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitReady(page);
      await expectLanguage(page, 'zh-CN');
    } finally {
      await page.close();
    }
  });

  test('details labels follow the language', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      // Open a hazard's details through the contract's hooks, then switch languages.
      const hazards = (await fetchJson(`${BASE}/data/hazards.geojson`)).features;
      const [lon, lat] = hazards[0].geometry.coordinates;
      await openApp(page, BASE, `/?c=${lon},${lat}&z=19&l=hazards&lang=zh`);
      const box = await page.locator('[data-testid=map-canvas]').boundingBox();
      const [x, y] = await page.evaluate(([a, b]) => window.__pingan.project(a, b), [lon, lat]);
      await page.mouse.click(box.x + x, box.y + y);
      const details = page.locator('[data-testid=details]');
      await details.waitFor({ state: 'visible', timeout: 5_000 });
      const zh = await details.innerText();
      assert.match(zh, /[\u4e00-\u9fff]/, 'Chinese details have Chinese labels');
      await page.locator('[data-testid=lang-toggle]').click();
      await expectLanguage(page, 'en');
      await page.waitForTimeout(200);
      const en = await details.innerText();
      assert.notEqual(en, zh, 'the details change language');
      const idRow = (await details.locator('[data-testid=details-id]').textContent()).trim();
      assert.ok(idRow.length > 0 && en.includes(idRow), 'the id stays');
    } finally {
      await page.close();
    }
  });
});
