// Pointer interaction on the map: clicking a known hazard opens its details, hovering shows a
// tooltip, the coordinates readout follows the pointer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TEST_TIMEOUT, baseUrl, diagnostics, featureId, fetchJson, get, haversine, launch, newPage,
  openApp, pagePoint,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
const CLEARANCE_M = 60;
let browser;
let target; // { id, lon, lat, feature, clearance }

// Case locations from the compact `PACS` file (see model/src/cases.rs).
function caseLocations(buf) {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.subarray(0, 4).toString() !== 'PACS') throw new Error('cases file: bad magic');
  const recSize = dv.getUint16(6, true);
  const count = dv.getUint32(8, true);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const o = 32 + i * recSize;
    out[i] = [dv.getInt32(o + 8, true) / 1e6, dv.getInt32(o + 12, true) / 1e6];
  }
  return out;
}

// A grid of points in ~0.001° buckets for nearest-neighbour distance queries.
function bucketIndex(points) {
  const cell = 0.001;
  const m = new Map();
  for (const p of points) {
    const k = `${Math.floor(p[0] / cell)},${Math.floor(p[1] / cell)}`;
    (m.get(k) || m.set(k, []).get(k)).push(p);
  }
  return (q, radius, skip) => {
    let best = Infinity;
    const r = Math.ceil(radius / 100) + 1; // 0.001° ≥ ~100 m in lon/lat at 22.6°N
    const cx = Math.floor(q[0] / cell);
    const cy = Math.floor(q[1] / cell);
    for (let dx = -r; dx <= r; dx++) {
      for (let dy = -r; dy <= r; dy++) {
        for (const p of m.get(`${cx + dx},${cy + dy}`) || []) {
          if (p === skip) continue;
          best = Math.min(best, haversine(q, p));
        }
      }
    }
    return best;
  };
}

before(async () => {
  browser = await launch();
  const hazards = (await fetchJson(`${BASE}/data/hazards.geojson`)).features;
  assert.ok(hazards.length > 0, 'hazards.geojson has features');
  const pts = (fc) => fc.features.filter((f) => f.geometry?.type === 'Point').map((f) => f.geometry.coordinates.slice(0, 2));
  const others = [
    ...pts(await fetchJson(`${BASE}/data/sensors.geojson`)),
    ...pts(await fetchJson(`${BASE}/data/sentinels.geojson`)),
  ];
  const r = await get(`${BASE}/data/cases_recent.bin`);
  const cases = r.ok ? caseLocations(Buffer.from(await r.arrayBuffer())) : [];
  const hazardPts = hazards.map((f) => f.geometry.coordinates.slice(0, 2));
  const nearHazard = bucketIndex(hazardPts);
  const nearOther = bucketIndex([...others, ...cases]);
  // The hazard farthest from any other point feature, among those > 60 m from other hazards.
  let best = null;
  hazards.forEach((f, i) => {
    const p = hazardPts[i];
    if (nearHazard(p, CLEARANCE_M, hazardPts[i]) <= CLEARANCE_M) return;
    const clearance = Math.min(nearOther(p, 300, null), 300);
    if (!best || clearance > best.clearance) best = { id: String(featureId(f)), lon: p[0], lat: p[1], feature: f, clearance };
  });
  assert.ok(best, `no hazard is more than ${CLEARANCE_M} m from every other hazard`);
  target = best;
});
after(async () => { await browser?.close(); });

describe('map interaction', () => {
  test('clicking a known hazard opens its details', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, `/?c=${target.lon},${target.lat}&z=17`);
      const { x, y } = await pagePoint(page, target.lon, target.lat);
      await page.mouse.move(x, y);
      await page.mouse.click(x, y);
      const details = page.locator('[data-testid=details]');
      await details.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {
        throw new Error(`no details panel after clicking hazard ${target.id} at (${x.toFixed(1)}, ${y.toFixed(1)})${diagnostics(page)}`);
      });
      assert.equal((await details.locator('[data-testid=details-id]').textContent()).trim(), target.id);
      const rows = details.locator('[data-testid^=details-row-]');
      assert.ok(await rows.count() >= 1, 'details has rows');
      const keys = Object.keys(target.feature.properties || {}).filter((k) => k !== 'id');
      const shown = [];
      for (const k of keys) {
        if (await details.locator(`[data-testid="details-row-${k}"]`).count()) shown.push(k);
      }
      assert.ok(keys.length === 0 || shown.length > 0,
        `details shows none of the hazard's properties ${JSON.stringify(keys)}`);
    } finally {
      await page.close();
    }
  });

  test('on a phone the zoom buttons stay clear of the details sheet', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await openApp(page, BASE, `/?c=${target.lon},${target.lat}&z=17`);
      const { x, y } = await pagePoint(page, target.lon, target.lat);
      await page.touchscreen.tap(x, y);
      const details = page.locator('[data-testid=details]');
      await details.waitFor({ state: 'visible', timeout: 5_000 });
      const sheet = await details.boundingBox();
      const buttons = await page.locator('.controls').boundingBox();
      assert.ok(buttons.y + buttons.height <= sheet.y,
        `zoom buttons (bottom ${buttons.y + buttons.height}) overlap the details sheet (top ${sheet.y})`);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.context().close();
    }
  });

  test('clicking empty map does not show a hazard', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, `/?c=${target.lon},${target.lat}&z=17`);
      const { x, y } = await pagePoint(page, target.lon, target.lat);
      // 40 px ≈ 45 m away at z17: nothing within the clearance there but polygons.
      await page.mouse.click(x + 40, y);
      await page.waitForTimeout(500);
      const id = page.locator('[data-testid=details-id]');
      if (await id.count()) {
        assert.notEqual((await id.first().textContent()).trim(), target.id, 'the hazard is not hit 45 m away');
      }
    } finally {
      await page.close();
    }
  });

  test('hovering a hazard shows a tooltip', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, `/?c=${target.lon},${target.lat}&z=17`);
      const { x, y } = await pagePoint(page, target.lon, target.lat);
      await page.mouse.move(x - 30, y - 30);
      await page.mouse.move(x, y, { steps: 5 });
      const tip = page.locator('[data-testid=tooltip]');
      await tip.waitFor({ state: 'visible', timeout: 5_000 });
      assert.ok((await tip.textContent()).trim().length > 0, 'tooltip has text');
    } finally {
      await page.close();
    }
  });

  test('the coordinates readout follows the pointer', { timeout: TEST_TIMEOUT }, async () => {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE, '/?c=113.85,22.65&z=13');
      for (const [lon, lat] of [[113.82, 22.63], [113.88, 22.68]]) {
        const { x, y } = await pagePoint(page, lon, lat);
        await page.mouse.move(x, y, { steps: 3 });
        await page.waitForTimeout(150);
        const text = await page.locator('[data-testid=coords]').textContent();
        const nums = (text.match(/-?\d+\.\d+/g) || []).map(Number);
        const shownLon = nums.find((n) => n > 100 && n < 130);
        const shownLat = nums.find((n) => n > 15 && n < 30);
        assert.ok(shownLon !== undefined && shownLat !== undefined, `coords text ${JSON.stringify(text)} has no lon/lat`);
        // A pixel at z13 is ~17 m, i.e. ~0.0002°; the readout may be rounded to 4 decimals.
        assert.ok(Math.abs(shownLon - lon) < 0.001 && Math.abs(shownLat - lat) < 0.001,
          `pointer at ${lon}, ${lat} but coords show ${JSON.stringify(text)}`);
      }
    } finally {
      await page.close();
    }
  });
});
