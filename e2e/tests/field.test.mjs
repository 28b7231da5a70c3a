// The field mode (issue 10) as an officer uses it on a phone: position from Playwright's
// geolocation, the nearest list checked against a brute-force geodesic search over the same
// data, the accuracy warning and the manual fallback, the tel: and navigation links (their
// coordinates converted independently here), reports made offline and delivered exactly once
// (also when the first attempt's answer is dropped), the app reopened with no network, and
// screenshots at 390×844 and 844×390.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  baseUrl, launch, diagnostics, signIn, waitReady, call, fetchJson, haversine, ensureScreenshotDir,
  TEST_TIMEOUT,
} from '../lib/pingan.mjs';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';

const BASE = baseUrl();
let browser;
let hazards; // [{id, lonlat, rectified}]

before(async () => {
  browser = await launch();
  const gj = await fetchJson(`${BASE}/data/hazards.geojson`, { as: 'officer' });
  const live = await fetchJson(`${BASE}/api/live`, { as: 'officer' });
  const status = new Map(live.hazards.map((h) => [h.id, h.status]));
  hazards = gj.features.filter((f) => f.geometry).map((f) => ({
    id: f.id ?? f.properties.id,
    lonlat: f.geometry.coordinates,
    status: status.get(f.id ?? f.properties.id) ?? f.properties.status,
    rectified: (status.get(f.id ?? f.properties.id) ?? f.properties.status) === 'rectified',
    type: f.properties.type,
  }));
});
after(async () => { await browser?.close(); });

// The expected nearest hazard: open and rectifying before rectified, then by great-circle distance.
function bruteNearest(at) {
  let best = null;
  for (const h of hazards) {
    const d = haversine(at, h.lonlat);
    const k = [h.rectified ? 1 : 0, d];
    if (!best || k[0] < best.k[0] || (k[0] === best.k[0] && k[1] < best.k[1])) best = { h, k };
  }
  return { id: best.h.id, metres: best.k[1] };
}

async function fieldPage({ at, accuracy = 8, permissions = ['geolocation'], viewport = { width: 390, height: 844 },
  serviceWorkers = 'allow' } = {}) {
  const context = await browser.newContext({
    viewport, deviceScaleFactor: 2, hasTouch: true, isMobile: true, serviceWorkers,
    permissions, geolocation: at ? { longitude: at[0], latitude: at[1], accuracy } : undefined,
    locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  await signIn(page, BASE, 'officer');
  await page.goto(`${BASE}/?mode=field`, { waitUntil: 'domcontentloaded' });
  await waitReady(page);
  return { context, page };
}

async function firstRow(page, layer = 'hazards') {
  const row = page.locator(`[data-testid=near-${layer}] [data-testid=near-row]`).first();
  await row.waitFor();
  return { id: await row.getAttribute('data-id'), metres: Number(await row.getAttribute('data-metres')) };
}

async function waitFirstRow(page, id, layer = 'hazards', timeout = 10_000) {
  const t0 = Date.now();
  let last;
  while (Date.now() - t0 < timeout) {
    last = await firstRow(page, layer).catch(() => null);
    if (last && last.id === id) return last;
    await page.waitForTimeout(100);
  }
  throw new Error(`first ${layer} row never ${id}; last ${JSON.stringify(last)}`);
}

test('the nearest list is the true nearest by geodesic distance, and follows the position',
  { timeout: TEST_TIMEOUT }, async () => {
    // Two places 30 m beside two hazards some kilometres apart.
    const a = hazards[Math.floor(hazards.length / 3)].lonlat;
    const b = hazards[Math.floor((2 * hazards.length) / 3)].lonlat;
    const p1 = [a[0] + 0.0003, a[1] + 0.0001];
    const p2 = [b[0] - 0.0002, b[1] - 0.0002];
    const { context, page } = await fieldPage({ at: p1 });
    try {
      const want1 = bruteNearest(p1);
      const got1 = await waitFirstRow(page, want1.id);
      assert.ok(Math.abs(got1.metres - want1.metres) < 0.5, `${got1.metres} m vs ${want1.metres} m`);
      // The whole section is sorted (rectified last, then by distance).
      const metres = await page.locator('[data-testid=near-hazards] [data-testid=near-row]:not(.done)')
        .evaluateAll((rows) => rows.map((r) => Number(r.dataset.metres)));
      assert.ok(metres.length >= 5, `only ${metres.length} rows`);
      for (let i = 1; i < metres.length; i++) assert.ok(metres[i] >= metres[i - 1], `unsorted ${metres}`);
      // A direction and distance as read in the street.
      const heading = await page.locator('[data-testid=near-hazards] [data-testid=near-heading]').first().innerText();
      assert.match(heading, /^(北|东北|东|东南|南|西南|西|西北) \d+ 米$|^这里$/);
      // Where I am: the grid, community and subdistrict.
      assert.match(await page.locator('[data-testid=place]').innerText(), /街道 · .+ · .+/);
      // Moving: the list follows.
      await context.setGeolocation({ longitude: p2[0], latitude: p2[1], accuracy: 8 });
      const want2 = bruteNearest(p2);
      assert.notEqual(want2.id, want1.id);
      const got2 = await waitFirstRow(page, want2.id);
      assert.ok(Math.abs(got2.metres - want2.metres) < 0.5);
      assert.deepEqual(page.errors, [], diagnostics(page));
    } finally {
      await context.close();
    }
  });

test('walking in small steps several times a second, the list keeps up', { timeout: TEST_TIMEOUT }, async () => {
  // From one open hazard to another 200–400 m away, so what is nearest changes on the way.
  const open = hazards.filter((h) => !h.rectified);
  const from = open[Math.floor(open.length / 5)];
  const to = open.find((h) => h !== from && haversine(from.lonlat, h.lonlat) > 200 && haversine(from.lonlat, h.lonlat) < 400);
  const a = [from.lonlat[0] + 0.00002, from.lonlat[1]];
  const { context, page } = await fieldPage({ at: a });
  try {
    await firstRow(page);
    // 60 fixes four a second (a brisk walk: 4–7 m each, a GPS fix every 250 ms).
    let p = a;
    for (let i = 1; i <= 60; i++) {
      p = [a[0] + (to.lonlat[0] - a[0]) * i / 60, a[1] + (to.lonlat[1] - a[1]) * i / 60];
      await context.setGeolocation({ longitude: p[0], latitude: p[1], accuracy: 6 });
      await page.waitForTimeout(250);
    }
    const want = bruteNearest(p);
    // Past the tracker's throttle (a recompute at most once a second).
    await page.waitForTimeout(1500);
    const got = await waitFirstRow(page, want.id, 'hazards', 4_000);
    // The list is computed again after each move of 10 m (the tracker's rule; 6 m accuracy):
    // its distances are at most that old.
    assert.ok(Math.abs(got.metres - want.metres) <= 10.5, `${got.metres} m listed, ${want.metres} m true`);
    // The walk changed what is nearest (a list frozen at the start would fail above).
    assert.notEqual(want.id, bruteNearest(a).id);
  } finally {
    await context.close();
  }
});

test('the mode is for officers: a viewer is told so', { timeout: TEST_TIMEOUT }, async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  try {
    await signIn(page, BASE, 'viewer');
    await page.goto(`${BASE}/?mode=field`, { waitUntil: 'domcontentloaded' });
    const refused = page.locator('[data-testid=field-refused]');
    await refused.waitFor();
    assert.match(await refused.innerText(), /网格员或民警账号/);
    assert.equal(await page.locator('[data-testid=sheet]').count(), 0);
  } finally {
    await context.close();
  }
});

test('poor accuracy warns; without permission the officer taps the map to set the position',
  { timeout: TEST_TIMEOUT }, async () => {
    const at = hazards[100].lonlat;
    {
      const { context, page } = await fieldPage({ at, accuracy: 400 });
      try {
        await page.locator('[data-testid=position-warning]').waitFor();
        assert.match(await page.locator('[data-testid=position-warning]').innerText(), /精度差/);
        assert.equal(await page.locator('[data-testid=accuracy]').getAttribute('data-state'), 'poor');
        assert.match(await page.locator('[data-testid=accuracy]').innerText(), /精度 400 米/);
      } finally {
        await context.close();
      }
    }
    const { context, page } = await fieldPage({ at: null, permissions: [] });
    try {
      const warning = page.locator('[data-testid=position-warning]');
      await warning.waitFor();
      assert.match(await warning.innerText(), /权限|无法定位/);
      assert.equal(await page.locator('[data-testid=near-row]').count(), 0);
      await page.locator('[data-testid=pick-position]').click();
      // Tap the middle of the map above the sheet: the list appears from there.
      const box = await page.locator('[data-testid=map-canvas]').boundingBox();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height * 0.25);
      await page.locator('[data-testid=near-hazards] [data-testid=near-row]').first().waitFor();
      assert.equal(await page.locator('[data-testid=accuracy]').getAttribute('data-state'), 'manual');
      await warning.waitFor({ state: 'detached' });
    } finally {
      await context.close();
    }
  });

// GCJ-02 as published (the widely used "eviltransform" formulas), written out independently of the app.
function gcj02(lon, lat) {
  const a = 6378245.0; const ee = 0.00669342162296594323;
  const x = lon - 105.0; const y = lat - 35.0;
  let dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  dLat += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  dLat += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
  dLat += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
  let dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  dLon += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
  dLon += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
  dLon += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
  const radLat = lat / 180.0 * Math.PI;
  let magic = Math.sin(radLat); magic = 1 - ee * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * Math.PI);
  dLon = (dLon * 180.0) / (a / sqrtMagic * Math.cos(radLat) * Math.PI);
  return [lon + dLon, lat + dLat];
}
function bd09(lon, lat) {
  const [x, y] = gcj02(lon, lat);
  const xPi = Math.PI * 3000.0 / 180.0;
  const z = Math.sqrt(x * x + y * y) + 0.00002 * Math.sin(y * xPi);
  const t = Math.atan2(y, x) + 0.000003 * Math.cos(x * xPi);
  return [z * Math.cos(t) + 0.0065, z * Math.sin(t) + 0.006];
}

test('a hazard opens with its contacts as tel: links and hand-offs with converted coordinates',
  { timeout: TEST_TIMEOUT }, async () => {
    // A waterlogging point (they carry four contacts), standing 10 m from it.
    const hz = hazards.find((x) => x.type === 'waterlogging' && x.status === 'open');
    const at = [hz.lonlat[0] + 0.0001, hz.lonlat[1]];
    const { context, page } = await fieldPage({ at });
    try {
      await firstRow(page);
      await page.locator('[data-testid=hazard-filter] [data-code=waterlogging]').click();
      await waitFirstRow(page, hz.id);
      await page.locator('[data-testid=near-hazards] [data-testid=near-row]').first().click();
      const id = hz.id;
      await page.locator('[data-testid=item]').waitFor();
      // Contacts: exactly what the API gives the officer (unmasked), as tel: links.
      const r = await call(BASE, 'GET', `/api/contacts/hazards/${encodeURIComponent(id)}`, { as: 'officer' });
      assert.equal(r.status, 200);
      const want = (await r.json()).contacts.map((c) => `tel:${c.phone.replace(/[^0-9+-]/g, '')}`);
      await page.locator('[data-testid=contact]').first().waitFor();
      const hrefs = await page.locator('[data-testid=contact]').evaluateAll((a) => a.map((x) => x.getAttribute('href')));
      assert.deepEqual(hrefs, want);
      assert.ok(want.length >= 1 && want.every((t) => /^tel:\+?\d[\d-]{6,}$/.test(t)), JSON.stringify(want));
      // Navigation: geo: in WGS84, Amap in GCJ-02, Baidu in BD-09.
      const geo = await page.locator('[data-testid=nav-geo]').getAttribute('href');
      const m = /^geo:(-?[\d.]+),(-?[\d.]+)\?q=/.exec(geo);
      assert.ok(m, geo);
      assert.ok(Math.abs(Number(m[1]) - hz.lonlat[1]) < 2e-6 && Math.abs(Number(m[2]) - hz.lonlat[0]) < 2e-6, geo);
      const amap = new URL(await page.locator('[data-testid=nav-amap]').getAttribute('href'));
      const [gl, gb] = amap.searchParams.get('to').split(',').map(Number);
      const [wl, wb] = gcj02(...hz.lonlat);
      assert.ok(Math.abs(gl - wl) < 2e-6 && Math.abs(gb - wb) < 2e-6, `${gl},${gb} vs ${wl},${wb}`);
      assert.ok(haversine([gl, gb], hz.lonlat) > 100, 'GCJ-02 differs from WGS84 by hundreds of metres here');
      const baidu = new URL(await page.locator('[data-testid=nav-baidu]').getAttribute('href'));
      const dest = /latlng:(-?[\d.]+),(-?[\d.]+)/.exec(baidu.searchParams.get('destination'));
      const [bl, bb] = bd09(...hz.lonlat);
      assert.ok(Math.abs(Number(dest[2]) - bl) < 2e-6 && Math.abs(Number(dest[1]) - bb) < 2e-6, baidu.href);
      assert.equal(baidu.searchParams.get('coord_type'), 'bd09ll');
      // Marking it rectifying, with a note: through the outbox, stored once, seen by the server.
      const note = `e2e 整改 ${Date.now()}`;
      await page.locator('[data-testid=status-note]').fill(note);
      await page.locator('[data-testid=set-rectifying]').click();
      await page.locator('[data-testid=status-sent]').waitFor();
      const t0 = Date.now();
      let state;
      while (Date.now() - t0 < 20_000) {
        const live = await fetchJson(`${BASE}/api/live`, { as: 'officer' });
        state = live.hazards.find((x) => x.id === id);
        if (state && state.note === note) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(state?.status, 'rectifying', JSON.stringify(state));
      assert.equal(state?.note, note);
    } finally {
      await context.close();
    }
  });

async function casesWith(text) {
  const since = Math.floor(Date.now() / 1000) - 3600;
  const r = await call(BASE, 'GET', `/api/cases?limit=10000&since=${since}`, { as: 'operator' });
  assert.equal(r.status, 200);
  const j = await r.json();
  return j.features.filter((c) => c.properties.description === text);
}

async function report(page, text) {
  await page.locator('[data-testid=report]').click();
  await page.locator('[data-testid=category][data-code=safety_hazard]').click();
  await page.locator('[data-testid=description]').fill(text);
  await page.locator('[data-testid=send]').click();
  await page.locator('[data-testid=outbox]').waitFor();
}

async function waitCount(text, n, timeout = 20_000) {
  const t0 = Date.now();
  let got = [];
  while (Date.now() - t0 < timeout) {
    got = await casesWith(text);
    if (got.length >= n) return got;
    await new Promise((r) => setTimeout(r, 250));
  }
  return got;
}

test('a report made with the first answer dropped is stored exactly once', { timeout: TEST_TIMEOUT }, async () => {
  const at = hazards[300].lonlat;
  const { context, page } = await fieldPage({ at, serviceWorkers: 'block' });
  try {
    await firstRow(page);
    const text = `e2e 答复丢失 ${Date.now()}`;
    let dropped = 0;
    await page.route('**/api/cases', async (route) => {
      if (route.request().method() === 'POST' && dropped === 0) {
        dropped += 1;
        // The request reaches the server (the case is stored) and only the answer is lost.
        const resp = await route.fetch();
        assert.equal(resp.status(), 201);
        await route.abort('connectionreset');
        return;
      }
      await route.fallback();
    });
    await report(page, text);
    const item = page.locator('[data-testid=outbox-item]').first();
    await page.waitForFunction(() => document.querySelector('[data-testid=outbox-item]')?.dataset.state === 'sent',
      null, { timeout: 30_000 });
    assert.equal(dropped, 1);
    const stored = await waitCount(text, 1);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await casesWith(text)).length, 1, 'stored exactly once');
    // The confirmation names the departments the server routed it to.
    assert.match(await item.innerText(), /已送达 AJ\d{8} · 派至 .+/);
    assert.equal(stored.length, 1);
  } finally {
    await context.close();
  }
});

test('offline: the mode reopens with no network; a report made offline is stored once when back',
  { timeout: TEST_TIMEOUT }, async () => {
    const at = hazards[400].lonlat;
    const { context, page } = await fieldPage({ at });
    try {
      await firstRow(page);
      // The worker controls the page once installed; the data it read is stored.
      await page.waitForFunction(async () => {
        const reg = await navigator.serviceWorker.getRegistration();
        if (!reg || !reg.active) return false;
        const c = await caches.open('pingan-data-v1');
        return !!(await c.match(`${location.origin}/data/hazards.geojson`));
      }, null, { timeout: 30_000, polling: 250 });
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitReady(page);
      // No network for the page nor for its worker.
      await context.setOffline(true);
      await context.route('**/*', (route) => (route.request().serviceWorker() ? route.abort('internetdisconnected') : route.fallback()));
      await page.reload({ waitUntil: 'domcontentloaded' });
      await waitReady(page);
      const want = bruteNearest(at);
      await waitFirstRow(page, want.id);
      // Offline, with the age of the data the worker stored (CST).
      assert.match(await page.locator('[data-testid=network]').innerText(), /^离线 · 数据 \d\d-\d\d \d\d:\d\d$/);
      // An offline report waits in the outbox.
      const text = `e2e 离线上报 ${Date.now()}`;
      await report(page, text);
      await page.waitForTimeout(1500);
      assert.equal(await page.locator('[data-testid=outbox-item]').first().getAttribute('data-state'), 'queued');
      assert.equal((await casesWith(text)).length, 0);
      // Back online: sent once.
      await context.unrouteAll({ behavior: 'ignoreErrors' });
      await context.setOffline(false);
      await page.waitForFunction(() => document.querySelector('[data-testid=outbox-item]')?.dataset.state === 'sent',
        null, { timeout: 30_000 });
      await waitCount(text, 1);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await casesWith(text)).length, 1);
      // The live stream resumes.
      await page.waitForFunction(() => document.querySelector('[data-testid=network]')?.dataset.state === 'live',
        null, { timeout: 45_000 });
    } finally {
      await context.close();
    }
  });

test('screenshots at 390×844 portrait and 844×390 landscape', { timeout: TEST_TIMEOUT }, async () => {
  const dir = ensureScreenshotDir();
  const at = hazards[500].lonlat;
  for (const [w, h, name] of [[390, 844, 'portrait'], [844, 390, 'landscape']]) {
    const { context, page } = await fieldPage({ at, viewport: { width: w, height: h } });
    try {
      await firstRow(page);
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(dir, `field-${name}.png`) });
      // Every control a thumb uses is at least 44 px.
      const small = await page.locator('.field button, .field a.btn, .field a.call').evaluateAll((els) => els
        .filter((e) => e.offsetParent !== null)
        .map((e) => [e.dataset.testid || e.className, e.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && (r.height < 44 || r.width < 44))
        .map(([n, r]) => `${n} ${Math.round(r.width)}×${Math.round(r.height)}`));
      assert.deepEqual(small, []);
    } finally {
      await context.close();
    }
  }
});

// A small PNG (solid colour), made here: the browser re-encodes it as JPEG before sending.
function png(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x80)]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a report with a photo: shrunk in the browser, stored once, served to an officer', { timeout: TEST_TIMEOUT }, async () => {
  const at = hazards[600].lonlat;
  const { context, page } = await fieldPage({ at, serviceWorkers: 'block' });
  try {
    await firstRow(page);
    const text = `e2e 照片 ${Date.now()}`;
    await page.locator('[data-testid=report]').click();
    await page.locator('[data-testid=category][data-code=city_appearance]').click();
    await page.locator('[data-testid=description]').fill(text);
    await page.locator('[data-testid=photo-input]').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: png(3000, 2000) });
    await page.locator('[data-testid=photo-info]').waitFor();
    assert.match(await page.locator('[data-testid=photo-info]').innerText(), /^1280×853 · \d+ KB$/);
    await page.locator('[data-testid=send]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=outbox-item]')?.dataset.state === 'sent',
      null, { timeout: 30_000 });
    const [c] = await waitCount(text, 1);
    assert.ok(c, 'the case is stored');
    const r = await call(BASE, 'GET', `/api/cases/${c.properties.id}`, { as: 'officer' });
    const detail = await r.json();
    const sha = detail.case?.photo ?? detail.photo;
    assert.match(String(sha), /^[0-9a-f]{64}$/, JSON.stringify(detail).slice(0, 300));
    const img = await call(BASE, 'GET', `/api/photos/${sha}`, { as: 'officer' });
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await img.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sha);
    assert.equal((await call(BASE, 'GET', `/api/photos/${sha}`, { as: 'viewer' })).status, 403);
  } finally {
    await context.close();
  }
});
