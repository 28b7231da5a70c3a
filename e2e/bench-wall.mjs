// The wall's speed at 4K (issue 9, "Speed"): a benchmark, not a test (it measures and prints;
// it fails only when the app does not work). Run by scripts/bench.sh against a server without
// the simulator (so that the only events are the ones posted here); by hand:
//   PINGAN_URL=http://127.0.0.1:8080 node e2e/bench-wall.mjs
// In headless Chromium (software rendering, no GPU), at 3840×2160 (device scale 1), for the
// desk and for ?mode=wall:
//   - the first complete frame (__pingan.firstFrameMs: ms since navigation), BENCH_LOADS fresh
//     loads each (a new browser context: cold HTTP cache);
//   - flights: a camera driven once per animation frame through __pingan.setView, as the wall's
//     clock-driven focus and tour do (camera = f(time)): district overview → a point at z 16 →
//     back, each leg BENCH_FLIGHT_MS ms with ease in-out, BENCH_FLIGHTS round trips; then the
//     app's own flight (a click on a case in the list: map::flight, 0.6 s);
//   - pulses: BENCH_PULSES cases reported and alarm readings posted through the API while the
//     map rests at the overview; every frame drawn until the last pulse has faded;
//   - idle: frames drawn in 10 s with nothing changing (must be 0);
// and for each, the app's own work per frame (__pingan.frameTimes(): live batch + draw) as
// p50 / p95 / max, the frames drawn, the surfaces re-rendered (__pingan.surfaceRenders()) and
// the animation-frame intervals the page saw (what the compositor managed, for reference).
// BENCH_MODES=desk,wall picks the modes; BENCH_JSON=path also writes the numbers as JSON.
import { writeFileSync } from 'node:fs';
import {
  apiKey, baseUrl, call, fetchJson, launch, newPage, openApp, postJson,
} from './lib/pingan.mjs';

const BASE = baseUrl();
const LOADS = Number(process.env.BENCH_LOADS || 3);
const FLIGHTS = Number(process.env.BENCH_FLIGHTS || 3);
const FLIGHT_MS = Number(process.env.BENCH_FLIGHT_MS || 1500);
const PULSES = Number(process.env.BENCH_PULSES || 12);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS || 10_000);
const MODES = (process.env.BENCH_MODES || 'desk,wall').split(',').filter(Boolean);
const [W, H] = [3840, 2160];
// Where the flights go: Xixiang's centre, dense with cases, sensors and hazards.
const TARGET = { lon: 113.883, lat: 22.57, zoom: 16 };

const quantile = (xs, q) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const stats = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), max: xs.length ? Math.max(...xs) : NaN });

// The page's counters; frameTimes keeps the last 1,000 frames, so a window's frames are the
// last (frames() − frames before) entries.
const counters = (page) => page.evaluate(() => ({
  frames: window.__pingan.frames(),
  renders: window.__pingan.surfaceRenders(),
}));
async function framesSince(page, c0) {
  return page.evaluate((n0) => {
    const n = window.__pingan.frames() - n0;
    const t = window.__pingan.frameTimes();
    return n > 0 ? t.slice(-Math.min(n, t.length)) : [];
  }, c0.frames);
}
// Records animation-frame intervals in the page until stopIntervals().
const startIntervals = (page) => page.evaluate(() => {
  window.__benchIv = { on: true, last: 0, xs: [] };
  const loop = (t) => {
    const b = window.__benchIv;
    if (!b.on) return;
    if (b.last) b.xs.push(t - b.last);
    b.last = t;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
});
const stopIntervals = (page) => page.evaluate(() => { window.__benchIv.on = false; return window.__benchIv.xs; });

// Waits until no frame has been drawn for `quiet` ms (at most `timeout`).
async function quiet(page, quietMs = 1000, timeout = 15_000) {
  const t0 = Date.now();
  let last = await page.evaluate(() => window.__pingan.frames());
  let since = Date.now();
  while (Date.now() - t0 < timeout) {
    await page.waitForTimeout(100);
    const n = await page.evaluate(() => window.__pingan.frames());
    if (n !== last) { last = n; since = Date.now(); } else if (Date.now() - since >= quietMs) return true;
  }
  return false;
}

async function open4k(browser, path) {
  const page = await newPage(browser, { viewport: { width: W, height: H }, deviceScaleFactor: 1 });
  await openApp(page, BASE, path);
  return page;
}

async function firstFrames(browser, mode) {
  const out = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await open4k(browser, mode === 'wall' ? '/?mode=wall' : '/');
    out.push(await page.evaluate(() => window.__pingan.firstFrameMs));
    await page.context().close();
  }
  return out;
}

// Camera flights driven from the page, one setView per animation frame (camera = f(t)).
async function flights(page) {
  await quiet(page);
  const from = await page.evaluate(() => window.__pingan.view());
  const c0 = await counters(page);
  await startIntervals(page);
  await page.evaluate(async ({ from, to, legMs, n }) => {
    const ease = (u) => (u < 0.5 ? 2 * u * u : 1 - (-2 * u + 2) ** 2 / 2);
    const leg = (a, b) => new Promise((resolve) => {
      const t0 = performance.now();
      const step = (t) => {
        const u = Math.min(1, (t - t0) / legMs);
        const e = ease(u);
        // Web Mercator y is not linear in latitude, but a flight need not be either.
        window.__pingan.setView(a.lon + (b.lon - a.lon) * e, a.lat + (b.lat - a.lat) * e, a.zoom + (b.zoom - a.zoom) * e);
        if (u < 1) requestAnimationFrame(step); else resolve();
      };
      requestAnimationFrame(step);
    });
    for (let i = 0; i < n; i++) {
      await leg(from, to);
      await leg(to, from);
    }
  }, { from, to: TARGET, legMs: FLIGHT_MS, n: FLIGHTS });
  // The frames after the last step until the map rests belong to the flight too.
  await quiet(page, 500);
  const iv = await stopIntervals(page);
  const c1 = await counters(page);
  return { work: await framesSince(page, c0), intervals: iv, renders: diff(c1.renders, c0.renders), frames: c1.frames - c0.frames };
}

// The app's own flight: a click on a case in the list flies to it (0.6 s) and selects it.
async function appFlight(page) {
  const row = page.locator('[data-testid=case-item]').first();
  if (!(await row.count())) return null;
  await quiet(page);
  const c0 = await counters(page);
  await startIntervals(page);
  await row.click();
  await page.waitForTimeout(700);
  await quiet(page, 500);
  const iv = await stopIntervals(page);
  const c1 = await counters(page);
  return { work: await framesSince(page, c0), intervals: iv, renders: diff(c1.renders, c0.renders), frames: c1.frames - c0.frames };
}

const diff = (a, b) => a.map((x, i) => x - b[i]);

// A point well inside grid `i` (the vertex average of its outer ring, nudged toward a vertex).
function inRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function interiorPoint(f) {
  const ring = (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates[0])[0];
  const n = ring.length - 1;
  const c = [0, 0];
  for (let k = 0; k < n; k++) { c[0] += ring[k][0] / n; c[1] += ring[k][1] / n; }
  for (let t = 0; t < 1; t += 0.1) {
    const p = [c[0] + (ring[0][0] - c[0]) * t, c[1] + (ring[0][1] - c[1]) * t];
    if (inRing(p, ring)) return [Number(p[0].toFixed(6)), Number(p[1].toFixed(6))];
  }
  return null;
}

// Cases and alarms posted while the map rests: every frame until the pulses have faded.
async function pulses(page, grids, sensors) {
  await quiet(page);
  const key = await apiKey(BASE);
  const c0 = await counters(page);
  await startIntervals(page);
  const posted = [];
  let g = 50 + Math.floor(Math.random() * 2000);
  for (let i = 0; i < PULSES; i++) {
    if (i % 3 === 2 && sensors.length) {
      const s = sensors[(g + i) % sensors.length];
      const id = s.properties.id ?? s.id;
      posted.push(id);
      await fetch(`${BASE}/api/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ readings: [{ sensor: id, value: Number(s.properties.alarm) * 1.5 }] }),
      });
    } else {
      let p = null;
      while (!p) { g = (g + 37) % grids.length; p = interiorPoint(grids[g]); }
      await postJson(BASE, '/api/cases', { category: 'dispute', lon: p[0], lat: p[1], description: '基准测试：脉冲', reporter: 'bench' });
    }
    await page.waitForTimeout(150);
  }
  // Pulses last 2.6 s; then the map rests.
  await page.waitForTimeout(2800);
  await quiet(page, 500);
  const iv = await stopIntervals(page);
  const c1 = await counters(page);
  const live = await page.evaluate(() => window.__pingan.liveFrameMs());
  // Back to normal, so that reruns raise alarms again.
  for (const id of posted) {
    await fetch(`${BASE}/api/readings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ readings: [{ sensor: id, value: 0 }] }),
    });
  }
  return {
    work: await framesSince(page, c0), intervals: iv, renders: diff(c1.renders, c0.renders),
    frames: c1.frames - c0.frames, eventFrames: live.slice(-Math.min(PULSES, live.length)),
  };
}

// Idle: with nothing changing. On a wall the alarms the pulses raised hold the focus (the
// focused alarm pulses for as long as it lasts, by design); they are acknowledged first and the
// wall is back at its overview before the count starts.
async function idle(page, mode) {
  if (mode === 'wall') {
    const r = await call(BASE, 'GET', '/api/alerts');
    for (const a of r.ok ? (await r.json()).alerts : []) {
      if (a.cleared_at === null && a.acked_at === null) {
        await postJson(BASE, `/api/alerts/${a.id}/ack`, {}, { as: 'operator' });
      }
    }
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000) {
      const f = await page.evaluate(() => window.__pingan.wall?.focus?.() ?? null);
      if (!f || (f.showing === 'overview' && !f.flying)) break;
      await page.waitForTimeout(100);
    }
  }
  await quiet(page, 1500, 20_000);
  const n0 = await page.evaluate(() => window.__pingan.frames());
  await page.waitForTimeout(IDLE_MS);
  return (await page.evaluate(() => window.__pingan.frames())) - n0;
}

async function pan(page) {
  await quiet(page);
  const c0 = await counters(page);
  await startIntervals(page);
  const [cx, cy] = [W / 2, H / 2];
  for (let d = 0; d < 2; d++) {
    const dir = d % 2 === 0 ? 1 : -1;
    await page.mouse.move(cx - dir * 700, cy - dir * 350);
    await page.mouse.down();
    for (let i = 1; i <= 60; i++) await page.mouse.move(cx - dir * 700 + dir * 1400 * i / 60, cy - dir * 350 + dir * 700 * i / 60, { steps: 2 });
    await page.mouse.up();
  }
  await quiet(page, 500);
  const iv = await stopIntervals(page);
  const c1 = await counters(page);
  return { work: await framesSince(page, c0), intervals: iv, renders: diff(c1.renders, c0.renders), frames: c1.frames - c0.frames };
}

const browser = await launch();
const results = { url: BASE, when: new Date().toISOString(), size: [W, H], renderer: 'headless Chromium, software (no GPU)', modes: {} };
try {
  const grids = (await fetchJson(`${BASE}/data/grids.geojson`)).features;
  const sensors = (await fetchJson(`${BASE}/data/sensors.geojson`)).features;
  // Warm the server's file cache.
  { const p = await open4k(browser, '/'); await p.context().close(); }
  for (const mode of MODES) {
    const r = {};
    r.firstFrame = await firstFrames(browser, mode);
    const page = await open4k(browser, mode === 'wall' ? '/?mode=wall' : '/');
    try {
      await page.waitForFunction(() => window.__pingan.live.status() === 'live', null, { timeout: 15_000 }).catch(() => {});
      r.flight = await flights(page);
      r.pulses = await pulses(page, grids, sensors);
      r.idle = await idle(page, mode);
      r.appFlight = await appFlight(page);
      r.pan = await pan(page);
      r.errors = page.errors.filter((e) => !/favicon/i.test(e));
    } finally {
      await page.context().close();
    }
    results.modes[mode] = r;
  }
} finally {
  await browser.close();
}

console.log(`\nPing'an Map at ${W}×${H} — ${BASE}, headless Chromium, software rendering (no GPU), ${results.when}`);
console.log('app work per frame = __pingan.frameTimes() (live batch + draw), ms; intervals = the page\'s animation-frame intervals, ms\n');
const rows = [['mode', 'measure', 'frames', 'p50', 'p95', 'max', 'renders [base, points]', 'interval p50 / p95']];
for (const [mode, r] of Object.entries(results.modes)) {
  const ff = stats(r.firstFrame);
  rows.push([mode, `first complete frame (${r.firstFrame.map((x) => x.toFixed(0)).join(', ')})`, r.firstFrame.length, ms(ff.p50), '', ms(ff.max), '', '']);
  for (const [name, m] of [['flight (setView per frame)', r.flight], ['flight (app, list click)', r.appFlight], ['pulses (cases + alarms)', r.pulses], ['pan (drag)', r.pan]]) {
    if (!m) continue;
    const s = stats(m.work);
    const iv = stats(m.intervals);
    rows.push([mode, name, m.frames, ms(s.p50), ms(s.p95), ms(s.max), JSON.stringify(m.renders), `${ms(iv.p50)} / ${ms(iv.p95)}`]);
  }
  if (r.pulses?.eventFrames?.length) {
    const s = stats(r.pulses.eventFrames);
    rows.push([mode, '  of which: frames applying events', s.n, ms(s.p50), ms(s.p95), ms(s.max), '', '']);
  }
  rows.push([mode, `idle: frames drawn in ${IDLE_MS / 1000} s`, r.idle, '', '', '', '', '']);
  if (r.errors?.length) rows.push([mode, `browser errors: ${r.errors.slice(0, 3).join(' | ')}`, '', '', '', '', '', '']);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
for (const [k, r] of rows.entries()) {
  console.log(r.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '));
  if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 1));
