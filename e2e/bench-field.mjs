// The field mode's speed and battery on a mid-range phone (issue 10, "Speed" and "Battery"): a
// benchmark, not a test (it measures and prints; it fails only when the app does not work). Run
// by scripts/bench.sh against a server without the simulator (so that nothing changes unless
// this script changes it); by hand:
//   PINGAN_URL=http://127.0.0.1:8080 node e2e/bench-field.mjs
// In headless Chromium (software rendering, no GPU) with the main thread's CPU throttled
// BENCH_THROTTLE× (4) through CDP, as a phone: 390×844 CSS px, device scale 3, mobile, touch,
// signed in as the demo `officer`, geolocation granted at Xixiang (113.883, 22.57, ±10 m):
//   1. the first complete frame (__pingan.firstFrameMs: ms since navigation; data-ready) on a
//      warm cache — one load in a context (the service worker controlling, the HTTP cache
//      filled), then BENCH_LOADS (5) reloads at device scale 3, BENCH_DPR2_LOADS (3) at 2; the
//      canvases' backing store at each; on a cold cache
//      (BENCH_COLD_LOADS, 2, fresh contexts) for reference; the desk (`/`) warm as the peer;
//   2. the nearest list (__pingan.field.timeNearest(n): the whole list — sections, titles, the
//      place — from the current position, ms each) at 5 positions, BENCH_NEAR_N (200) runs each;
//      the peer: a brute-force JavaScript scan in the same page (haversine over every hazard and
//      sensor, filtered, sorted, k = 20; and the same with the ~82,000 cases of /api/cases.bin);
//   3. following the position: fixes BENCH_STEP_M (3) m apart every BENCH_STEP_MS (250) ms
//      along a BENCH_WALK_M (600) m walk, follow-me on; the app's own work per frame
//      (__pingan.frameTimes(): live batch + draw) p50 / p95 / max, the frames; the main thread's
//      whole time (CDP Performance: the browser's work for the frames too — in software
//      rendering a moved canvas layer is copied whole at each commit), long tasks, address
//      rewrites;
//   4. battery at rest: BENCH_REST_MS (60,000) ms with the position fixed and nothing posted —
//      frames drawn, animation-frame / timer / interval callbacks that fired in the page (an init
//      script wraps requestAnimationFrame, setTimeout, setInterval, requestIdleCallback),
//      WebSocket frames received, CPU time (CDP Performance TaskDuration, ScriptDuration) — for
//      the field mode and the desk side by side (run at the same time, each in its own page);
//      whether __pingan.field.still() became true (after 2 minutes: BENCH_REST_MS ≥ 150000).
// BENCH_JSON=path also writes the numbers as JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { baseUrl, fetchJson, get, haversine, launch, signIn, waitReady } from './lib/pingan.mjs';

const BASE = baseUrl();
const LOADS = Number(process.env.BENCH_LOADS || 5);
// (dpr 2 is a second look at the same target: fewer reloads keep the run short.)
const DPR2_LOADS = Number(process.env.BENCH_DPR2_LOADS || 3);
const COLD_LOADS = Number(process.env.BENCH_COLD_LOADS || 2);
const NEAR_N = Number(process.env.BENCH_NEAR_N || 200);
const WALK_M = Number(process.env.BENCH_WALK_M || 600);
const STEP_M = Number(process.env.BENCH_STEP_M || 3);
const STEP_MS = Number(process.env.BENCH_STEP_MS || 250);
const REST_MS = Number(process.env.BENCH_REST_MS || 60_000);
const THROTTLE = Number(process.env.BENCH_THROTTLE || 4);
const [W, H] = [390, 844];
const HOME = { longitude: 113.883, latitude: 22.57, accuracy: 10 };
// Where the nearest list is timed: Xixiang and around it (all on land, within the district).
const NEAR_AT = [
  [113.883, 22.57], [113.895, 22.577], [113.874, 22.586], [113.905, 22.561], [113.889, 22.596],
];
const TARGETS = { firstFrameMs: 3000, nearestMs: 2, followFrameMs: 16 };

// --- helpers ---------------------------------------------------------------------------------

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const stats = (xs) => ({
  n: xs.length, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95),
  min: xs.length ? Math.min(...xs) : NaN, max: xs.length ? Math.max(...xs) : NaN,
});
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');

// Counts the callbacks that fire in the page (not the ones asked for and cancelled), and long
// tasks. In every document of the context, before the app's script.
const COUNTERS = `(() => {
  const c = { raf: 0, timeout: 0, interval: 0, idle: 0, timeoutDelays: {}, intervalDelays: {}, long: 0, longMs: 0, replaceState: 0 };
  const reset = () => {
    c.raf = 0; c.timeout = 0; c.interval = 0; c.idle = 0; c.long = 0; c.longMs = 0; c.replaceState = 0;
    c.timeoutDelays = {}; c.intervalDelays = {};
  };
  Object.defineProperty(window, '__benchCounts', { value: c });
  Object.defineProperty(window, '__benchReset', { value: reset });
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = function (cb) {
    return raf(function (t) { c.raf++; return cb(t); });
  };
  const st = window.setTimeout.bind(window);
  window.setTimeout = function (cb, ms, ...args) {
    if (typeof cb !== 'function') return st(cb, ms, ...args);
    const d = String(Math.round(Number(ms) || 0));
    return st(function (...a) { c.timeout++; c.timeoutDelays[d] = (c.timeoutDelays[d] || 0) + 1; return cb.apply(this, a); }, ms, ...args);
  };
  const si = window.setInterval.bind(window);
  window.setInterval = function (cb, ms, ...args) {
    if (typeof cb !== 'function') return si(cb, ms, ...args);
    const d = String(Math.round(Number(ms) || 0));
    return si(function (...a) { c.interval++; c.intervalDelays[d] = (c.intervalDelays[d] || 0) + 1; return cb.apply(this, a); }, ms, ...args);
  };
  if (window.requestIdleCallback) {
    const ric = window.requestIdleCallback.bind(window);
    window.requestIdleCallback = function (cb, o) { return ric(function (d) { c.idle++; return cb(d); }, o); };
  }
  const rs = history.replaceState.bind(history);
  history.replaceState = function (...a) { c.replaceState++; return rs(...a); };
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) { c.long++; c.longMs += e.duration; } })
      .observe({ type: 'longtask', buffered: false });
  } catch (e) { /* no long-task timing */ }
})();`;

// A phone: its own context (cache, service worker, cookies), the officer signed in, the position
// granted at HOME, the CPU throttled (unless `throttle: false`: set it later with `throttle()`).
async function phone(browser, { dpr = 3, throttle = true } = {}) {
  const context = await browser.newContext({
    viewport: { width: W, height: H }, deviceScaleFactor: dpr, isMobile: true, hasTouch: true,
    geolocation: HOME, permissions: ['geolocation'], serviceWorkers: 'allow',
  });
  context.setDefaultTimeout(30_000);
  await context.addInitScript(COUNTERS);
  await context.setGeolocation(HOME);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(`console.error: ${m.text()}`); });
  await signIn(page, BASE, 'officer');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const p = { context, page, cdp, at: [HOME.longitude, HOME.latitude], throttle: (rate = THROTTLE) => cdp.send('Emulation.setCPUThrottlingRate', { rate }) };
  if (throttle) await p.throttle();
  return p;
}

async function goto(page, path) {
  const r = await page.goto(BASE + path, { waitUntil: 'domcontentloaded' });
  if (!r || !r.ok()) throw new Error(`GET ${path} answered ${r && r.status()}`);
  await waitReady(page);
}
async function reload(page) {
  await page.reload({ waitUntil: 'domcontentloaded' });
  await waitReady(page);
}
// The page's canvases: device pixels and MB of backing store (4 bytes a pixel).
const canvases = (page) => page.evaluate(() => {
  const cs = [...document.querySelectorAll('canvas')].map((c) => [c.width, c.height]);
  const px = cs.reduce((a, [w, h]) => a + w * h, 0);
  return { sizes: cs, megapixels: px / 1e6, mb: (px * 4) / 2 ** 20 };
});
const firstFrameMs = (page) => page.evaluate(() => window.__pingan.firstFrameMs);

// A fixed piece of JavaScript (ms): the throttle's check.
const spin = (page) => page.evaluate(() => {
  const t0 = performance.now();
  let x = 0;
  for (let i = 0; i < 3e6; i++) x += Math.sqrt(i) * 1e-9;
  window.__benchSink = x;
  return performance.now() - t0;
});

// Warm: one load (the worker registers and takes control; the HTTP cache fills), then `LOADS`
// reloads, throttled, each read.
async function warmLoads(browser, path, { dpr = 3, field = true, keep = false, calibrate = false, loads = LOADS } = {}) {
  const p = await phone(browser, { dpr, throttle: false });
  await goto(p.page, path);
  if (field) {
    await p.page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 })
      .catch(() => { throw new Error(`${path}: no service worker took control of the page`); });
  }
  const out = { ms: [], calibration: null };
  if (calibrate) {
    await spin(p.page);
    out.calibration = { unthrottled: await spin(p.page) };
  }
  await p.throttle();
  if (calibrate) out.calibration.throttled = await spin(p.page);
  for (let i = 0; i < loads; i++) {
    await reload(p.page);
    out.ms.push(await firstFrameMs(p.page));
  }
  if (calibrate) out.calibration.afterReloads = await spin(p.page);
  if (field) out.controlled = await p.page.evaluate(() => !!navigator.serviceWorker.controller);
  out.canvases = await canvases(p.page);
  out.errors = p.page.errors;
  if (keep) return { ...out, phone: p };
  await p.context.close();
  return out;
}

async function coldLoads(browser, path) {
  const ms = [];
  for (let i = 0; i < COLD_LOADS; i++) {
    const p = await phone(browser);
    await goto(p.page, path);
    ms.push(await firstFrameMs(p.page));
    await p.context.close();
  }
  return ms;
}

// Waits until no frame has been drawn for `quietMs` (at most `timeout`).
async function quiet(page, quietMs = 1000, timeout = 15_000) {
  const t0 = Date.now();
  let last = await page.evaluate(() => window.__pingan.frames());
  let since = Date.now();
  while (Date.now() - t0 < timeout) {
    await sleep(100);
    const n = await page.evaluate(() => window.__pingan.frames());
    if (n !== last) { last = n; since = Date.now(); } else if (Date.now() - since >= quietMs) return true;
  }
  return false;
}

const rows = (page) => page.evaluate(() => window.__pingan.field.rows());

// Sets the position and waits until the nearest list has changed from `before` (and is not
// empty). Returns the new rows' JSON.
// (Staying where it is, it waits only for a list that is not empty.)
async function moveTo(p, [lon, lat], before, timeout = 15_000) {
  const same = p.at && p.at[0] === lon && p.at[1] === lat;
  await p.context.setGeolocation({ longitude: lon, latitude: lat, accuracy: HOME.accuracy });
  p.at = [lon, lat];
  const t0 = Date.now();
  while (Date.now() - t0 < timeout) {
    const r = await rows(p.page);
    if ((same || r !== before) && JSON.parse(r).length) return r;
    await sleep(100);
  }
  throw new Error(`the nearest list did not change within ${timeout} ms after a move to ${lon}, ${lat}`);
}

// --- 2. the nearest list ---------------------------------------------------------------------

// The peer's data, from the same files the app reads: hazards (tier 1 = rectified), sensors
// (kept in warning or alarm by their file values), cases of /api/cases.bin (kept open).
async function peerData() {
  const hz = (await fetchJson(`${BASE}/data/hazards.geojson`, { as: 'officer' })).features;
  const se = (await fetchJson(`${BASE}/data/sensors.geojson`, { as: 'officer' })).features;
  const hazards = { lon: [], lat: [], keep: [], tier: [] };
  const hazardAt = new Map();
  for (const f of hz) {
    hazardAt.set(String(f.id ?? f.properties.id), f.geometry.coordinates);
    hazards.lon.push(f.geometry.coordinates[0]);
    hazards.lat.push(f.geometry.coordinates[1]);
    hazards.keep.push(1);
    hazards.tier.push(f.properties.status === 'rectified' ? 1 : 0);
  }
  const sensors = { lon: [], lat: [], keep: [], tier: [] };
  for (const f of se) {
    const pr = f.properties;
    sensors.lon.push(f.geometry.coordinates[0]);
    sensors.lat.push(f.geometry.coordinates[1]);
    sensors.keep.push(Number(pr.value) >= Number(pr.warn) ? 1 : 0);
    sensors.tier.push(0);
  }
  const r = await get(`${BASE}/api/cases.bin`, { as: 'officer' });
  if (!r.ok) throw new Error(`GET /api/cases.bin: HTTP ${r.status}`);
  const b = Buffer.from(await r.arrayBuffer());
  if (b.toString('latin1', 0, 4) !== 'PACS') throw new Error('/api/cases.bin is not PACS');
  const count = b.readUInt32LE(8);
  const size = b.readUInt16LE(6);
  const cases = { lon: [], lat: [], keep: [], tier: [] };
  for (let i = 0; i < count; i++) {
    const o = 32 + i * size;
    const status = b.readUInt8(o + 19);
    cases.lon.push(b.readInt32LE(o + 8) / 1e6);
    cases.lat.push(b.readInt32LE(o + 12) / 1e6);
    cases.keep.push(status === 4 || status === 5 ? 0 : 1); // resolved, archived: closed
    cases.tier.push(0);
  }
  return { hazards, sensors, cases, hazardAt };
}

// Installs the brute-force scan in the page (typed arrays, latitudes' radians and cosines made
// once, outside the timing).
const installPeer = (page, data) => page.evaluate((d) => {
  const rad = Math.PI / 180;
  const layer = (l) => {
    const n = l.lon.length;
    const lon = new Float64Array(n); const lat = new Float64Array(n); const cos = new Float64Array(n);
    for (let i = 0; i < n; i++) { lon[i] = l.lon[i] * rad; lat[i] = l.lat[i] * rad; cos[i] = Math.cos(lat[i]); }
    return { n, lon, lat, cos, keep: Uint8Array.from(l.keep), tier: Uint8Array.from(l.tier) };
  };
  const layers = { hazards: layer(d.hazards), sensors: layer(d.sensors), cases: layer(d.cases) };
  const R = 6_371_008.8;
  const nearest = (L, lon0, lat0, k, maxM) => {
    const cos0 = Math.cos(lat0);
    const found = [];
    for (let i = 0; i < L.n; i++) {
      if (!L.keep[i]) continue;
      const s1 = Math.sin((L.lat[i] - lat0) / 2);
      const s2 = Math.sin((L.lon[i] - lon0) / 2);
      const m = 2 * R * Math.asin(Math.min(1, Math.sqrt(s1 * s1 + cos0 * L.cos[i] * s2 * s2)));
      if (m <= maxM) found.push({ i, m, t: L.tier[i] });
    }
    found.sort((a, b) => a.t - b.t || a.m - b.m || a.i - b.i);
    return found.slice(0, k);
  };
  // ms per list of `names`' sections from (lon, lat): at most n runs or ~1.5 s, at least 5.
  window.__benchPeer = (names, lon, lat, n) => {
    const [lon0, lat0] = [lon * rad, lat * rad];
    let runs = 0; let sink = 0;
    const t0 = performance.now();
    while (runs < n && (runs < 5 || performance.now() - t0 < 1500)) {
      for (const name of names) sink += nearest(layers[name], lon0, lat0, 20, 5000).length;
      runs++;
    }
    window.__benchSink = sink;
    return { ms: (performance.now() - t0) / runs, runs, rows: sink / runs };
  };
}, data);

async function nearest(p, data) {
  const { hazardAt, ...peer } = data;
  await installPeer(p.page, peer);
  const out = [];
  // The scan's first runs compile it: a few before any timing.
  await p.page.evaluate(() => window.__benchPeer(['hazards', 'sensors', 'cases'], 113.883, 22.57, 5));
  let before = await rows(p.page);
  for (const at of NEAR_AT) {
    before = await moveTo(p, at, before);
    const n = JSON.parse(before).length;
    const app = await p.page.evaluate((k) => window.__pingan.field.timeNearest(k), NEAR_N);
    const nearMs = await p.page.evaluate(() => window.__pingan.field.nearMs());
    const peer = await p.page.evaluate(([lon, lat, k]) => window.__benchPeer(['hazards', 'sensors'], lon, lat, k), [...at, NEAR_N]);
    const peerAll = await p.page.evaluate(([lon, lat, k]) => window.__benchPeer(['hazards', 'sensors', 'cases'], lon, lat, k), [...at, NEAR_N]);
    out.push({ at, rows: n, appMs: app, appLastRecomputeMs: nearMs, peerMs: peer.ms, peerRows: peer.rows, peerAllMs: peerAll.ms, peerAllRuns: peerAll.runs, peerAllRows: peerAll.rows });
  }
  return out;
}

// --- 3. following the position ---------------------------------------------------------------

// The point `m` metres from (lon, lat) on bearing `deg` (a sphere; plenty for 600 m).
function along([lon, lat], deg, m) {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  const b = deg * rad;
  const d = m / R;
  const la1 = lat * rad;
  const la2 = Math.asin(Math.sin(la1) * Math.cos(d) + Math.cos(la1) * Math.sin(d) * Math.cos(b));
  const lo2 = lon * rad + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(la1), Math.cos(d) - Math.sin(la1) * Math.sin(la2));
  return [Number((lo2 / rad).toFixed(7)), Number((la2 / rad).toFixed(7))];
}

const metrics = async (cdp) => {
  const { metrics: m } = await cdp.send('Performance.getMetrics');
  const v = Object.fromEntries(m.map((x) => [x.name, x.value]));
  return { task: v.TaskDuration * 1000, script: v.ScriptDuration * 1000, layout: (v.LayoutDuration + v.RecalcStyleDuration) * 1000 };
};
const cpuDelta = (a, b) => ({ taskMs: b.task - a.task, scriptMs: b.script - a.script, layoutMs: b.layout - a.layout });

// How far the listed hazards' distances are from the truth at `at` (m, the worst row): a list
// that follows the position is off by at most the last move under the recompute threshold.
function listLag(rowsJson, at, hazardAt) {
  let worst = 0;
  for (const r of JSON.parse(rowsJson)) {
    const ll = r.layer === 'hazards' && hazardAt.get(String(r.id));
    if (ll) worst = Math.max(worst, Math.abs(haversine(at, ll) - r.metres));
  }
  return worst;
}

async function walk(p, hazardAt) {
  const { page, context, cdp } = p;
  const start = [HOME.longitude, HOME.latitude];
  const before = await rows(page);
  await moveTo(p, start, before);
  await quiet(page, 1500);
  const follow0 = await page.evaluate(() => window.__pingan.view());
  const c0 = await page.evaluate(() => ({ frames: window.__pingan.frames(), renders: window.__pingan.surfaceRenders() }));
  const rows0 = await rows(page);
  await page.evaluate(() => window.__benchReset());
  const m0 = await metrics(cdp);
  const steps = Math.round(WALK_M / STEP_M);
  const t0 = Date.now();
  const nearMs = new Set();
  let listChanges = 0;
  let lastRows = rows0;
  let late = 0;
  for (let i = 1; i <= steps; i++) {
    const wait = t0 + i * STEP_MS - Date.now();
    if (wait > 0) await sleep(wait); else late++;
    const [lon, lat] = along(start, 40, i * STEP_M);
    await context.setGeolocation({ longitude: lon, latitude: lat, accuracy: HOME.accuracy });
    if (i % 4 === 0) {
      const s = await page.evaluate(() => [window.__pingan.field.nearMs(), window.__pingan.field.rows()]);
      nearMs.add(s[0]);
      if (s[1] !== lastRows) { listChanges++; lastRows = s[1]; }
    }
  }
  const walkS = (Date.now() - t0) / 1000;
  const lagWalking = listLag(await rows(page), along(start, 40, steps * STEP_M), hazardAt);
  await quiet(page, 1000);
  const m1 = await metrics(cdp);
  const end = along(start, 40, steps * STEP_M);
  const r = await page.evaluate(({ n0, end }) => {
    const n = window.__pingan.frames() - n0;
    const t = window.__pingan.frameTimes();
    return {
      frames: n, work: n > 0 ? t.slice(-Math.min(n, t.length)) : [], renders: window.__pingan.surfaceRenders(),
      view: window.__pingan.view(), projected: window.__pingan.project(end[0], end[1]),
      counts: JSON.parse(JSON.stringify(window.__benchCounts)),
    };
  }, { n0: c0.frames, end });
  // A recompute may still be due (at most a second after the last move).
  await sleep(1500);
  const lagAfter = listLag(await rows(page), end, hazardAt);
  return {
    steps, walkS, late, frames: r.frames, work: r.work, renders: r.renders.map((x, i) => x - c0.renders[i]),
    cpu: cpuDelta(m0, m1), longTasks: r.counts.long, longTaskMs: r.counts.longMs, replaceState: r.counts.replaceState,
    listChanges, nearMs: [...nearMs].filter((x) => x > 0), followedFrom: follow0, viewAfter: r.view,
    endOnScreen: r.projected, end, lagWalking, lagAfter,
  };
}

// --- 4. at rest ------------------------------------------------------------------------------

async function rest(p, field) {
  const { page, cdp } = p;
  await quiet(page, 2000, 30_000);
  // A list recompute may still be due (at most a second after the last move).
  await sleep(1500);
  let ws = 0;
  const onWs = () => { ws++; };
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketFrameReceived', onWs);
  const n0 = await page.evaluate(() => { window.__benchReset(); return window.__pingan.frames(); });
  const m0 = await metrics(cdp);
  const t0 = Date.now();
  await sleep(REST_MS);
  const m1 = await metrics(cdp);
  const r = await page.evaluate((isField) => ({
    frames: window.__pingan.frames(),
    counts: JSON.parse(JSON.stringify(window.__benchCounts)),
    still: isField ? window.__pingan.field.still() : null,
  }), field);
  const s = (Date.now() - t0) / 1000;
  cdp.off('Network.webSocketFrameReceived', onWs);
  return { seconds: s, frames: r.frames - n0, counts: r.counts, wsFrames: ws, cpu: cpuDelta(m0, m1), still: r.still };
}

// --- the run ---------------------------------------------------------------------------------

const started = Date.now();
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
// Progress on stderr (the numbers go to stdout at the end).
const phase = (what) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${what}\n`);
const browser = await launch();
const results = {
  url: BASE, when: new Date().toISOString(), renderer: 'headless Chromium, software rendering (no GPU)',
  phone: { viewport: [W, H], dpr: 3, isMobile: true, hasTouch: true, cpuThrottle: THROTTLE, account: 'officer', geolocation: HOME },
  targets: TARGETS, loadBefore: loadavg(), cores: availableParallelism(),
};
let field; let desk;
try {
  phase('the peer\'s data');
  const data = await peerData();
  results.counts = { hazards: data.hazards.lon.length, sensors: data.sensors.lon.length, cases: data.cases.lon.length };
  // (The first, unthrottled load of the warm context also warms the server's file cache.)
  phase(`first frames: field, warm, dpr 3 (1 + ${LOADS} loads)`);
  const w3 = await warmLoads(browser, '/?mode=field', { dpr: 3, keep: true, calibrate: true });
  field = w3.phone;
  results.firstFrame = { fieldWarmDpr3: w3.ms, calibration: w3.calibration, controlled: w3.controlled };
  results.canvases = { field: w3.canvases };
  phase('first frames: field, warm, dpr 2');
  results.firstFrame.fieldWarmDpr2 = (await warmLoads(browser, '/?mode=field', { dpr: 2, loads: DPR2_LOADS })).ms;
  phase(`first frames: field, cold (${COLD_LOADS} contexts)`);
  results.firstFrame.fieldCold = await coldLoads(browser, '/?mode=field');
  phase('first frames: desk, warm');
  const wd = await warmLoads(browser, '/', { dpr: 3, field: false, keep: true });
  desk = wd.phone;
  results.firstFrame.deskWarm = wd.ms;
  results.canvases.desk = wd.canvases;

  await field.page.waitForFunction(() => window.__pingan.field && JSON.parse(window.__pingan.field.rows()).length > 0, null, { timeout: 30_000 })
    .catch(() => { throw new Error('the field mode listed nothing near Xixiang (window.__pingan.field.rows())'); });
  phase('the nearest list at 5 positions');
  results.nearest = await nearest(field, data);
  phase(`following a ${WALK_M} m walk`);
  results.follow = await walk(field, data.hazardAt);
  phase(`at rest for ${REST_MS / 1000} s (field and desk at once)`);
  const [fr, dr] = await Promise.all([rest(field, true), rest(desk, false)]);
  results.rest = { field: fr, desk: dr };
  results.errors = { field: field.page.errors, desk: desk.page.errors };
} finally {
  await browser.close();
}
results.totalS = (Date.now() - started) / 1000;
results.loadAfter = loadavg();

// --- the report ------------------------------------------------------------------------------

const ff = results.firstFrame;
const cal = ff.calibration;
console.log(`\nPing'an Map, field mode on a phone — ${BASE}, ${results.when}`);
console.log(`headless Chromium, software rendering (no GPU); CPU throttled ${THROTTLE}× (CDP Emulation.setCPUThrottlingRate); ` +
  `${W}×${H} @${3}x, isMobile, touch; officer; geolocation ${HOME.longitude}, ${HOME.latitude} ±${HOME.accuracy} m`);
console.log(`throttle check (a fixed loop): ${f1(cal.unthrottled)} ms unthrottled, ${f1(cal.throttled)} ms throttled ` +
  `(${f1(cal.throttled / cal.unthrottled)}×), ${f1(cal.afterReloads)} ms after the reloads`);
console.log(`machine: ${results.cores} cores, load ${results.loadBefore} before, ${results.loadAfter} after (1/5/15 min)`);
console.log('app work per frame = __pingan.frameTimes() (live batch + draw); main thread = CDP Performance TaskDuration: the ' +
  'browser\'s work too (in software rendering a canvas layer moved by CSS is copied whole at each commit; a GPU does not)');
console.log(`data: ${results.counts.hazards} hazards, ${results.counts.sensors} sensors, ${results.counts.cases} cases (30 days)\n`);

const verdict = (x, t) => (Number.isFinite(x) ? (x <= t ? 'meets' : 'MISSES') : 'n/a');
const table = [['measure', 'measured', 'target', '']];
const ffRow = (name, xs, target) => {
  const s = stats(xs);
  table.push([`${name} (${xs.map((x) => f0(x)).join(', ')})`, `p50 ${f0(s.p50)} ms, min ${f0(s.min)}, max ${f0(s.max)}`,
    target ? `≤ ${target} ms (p50)` : '', target ? verdict(s.p50, target) : '']);
};
ffRow(`1. first complete frame, field, warm, dpr 3, ${LOADS} reloads`, ff.fieldWarmDpr3, TARGETS.firstFrameMs);
ffRow(`   first complete frame, field, warm, dpr 2, ${DPR2_LOADS} reloads`, ff.fieldWarmDpr2, TARGETS.firstFrameMs);
ffRow(`   first complete frame, field, cold, dpr 3 (reference)`, ff.fieldCold, null);
ffRow(`   first complete frame, desk (/), warm, dpr 3 (peer)`, ff.deskWarm, null);
if (!ff.controlled) table.push(['   (the service worker did not control the reloaded page)', '', '', '']);

const nr = results.nearest;
const appNear = stats(nr.map((x) => x.appMs));
for (const [name, c] of Object.entries(results.canvases)) {
  table.push([`   ${name}: canvases at dpr 3 (device px)`, `${c.sizes.map(([w, h]) => `${w}×${h}`).join(', ')}: ${f1(c.megapixels)} Mpx, ${f0(c.mb)} MB`, '', '']);
}
table.push([`2. nearest list, app (timeNearest(${NEAR_N}), 5 positions: ${nr.map((x) => f2(x.appMs)).join(', ')})`,
  `p50 ${f2(appNear.p50)} ms, max ${f2(appNear.max)}`, `≤ ${TARGETS.nearestMs} ms (worst position)`, verdict(appNear.max, TARGETS.nearestMs)]);
const pn = stats(nr.map((x) => x.peerMs));
table.push([`   peer: brute-force JS, hazards + sensors (${nr.map((x) => f2(x.peerMs)).join(', ')})`,
  `p50 ${f2(pn.p50)} ms, max ${f2(pn.max)}`, '', '']);
const pa = stats(nr.map((x) => x.peerAllMs));
table.push([`   peer: brute-force JS, + ${results.counts.cases} cases (${nr.map((x) => f1(x.peerAllMs)).join(', ')})`,
  `p50 ${f2(pa.p50)} ms, max ${f2(pa.max)}`, '', '']);
table.push([`   rows listed at each position (app; peer with cases)`, `${nr.map((x) => x.rows).join(', ')}; ${nr.map((x) => f0(x.peerAllRows)).join(', ')}`, '', '']);

const fo = results.follow;
const fw = stats(fo.work);
table.push([`3. following: app work per frame (${fo.steps} fixes, ${STEP_M} m every ${STEP_MS} ms, ${fo.walkS.toFixed(0)} s)`,
  `p50 ${f1(fw.p50)} ms, p95 ${f1(fw.p95)}, max ${f1(fw.max)}; ${fo.frames} frames`, `≤ ${TARGETS.followFrameMs} ms (p95)`, verdict(fw.p95, TARGETS.followFrameMs)]);
table.push(['   while walking: main thread (CDP task / script / style+layout), long tasks',
  `${f0(fo.cpu.taskMs / fo.walkS)} / ${f0(fo.cpu.scriptMs / fo.walkS)} / ${f0(fo.cpu.layoutMs / fo.walkS)} ms per s; ${fo.longTasks} long (${f0(fo.longTaskMs)} ms)`, '', '']);
table.push(['   while walking: main-thread time per frame drawn (all of it: the browser\'s too)',
  `${f1(fo.frames ? fo.cpu.taskMs / fo.frames : NaN)} ms; address rewritten ${fo.replaceState}×`, '', '']);
table.push(['   surfaces re-rendered [base, points]; list changes seen; list recompute (nearMs)',
  `${JSON.stringify(fo.renders)}; ${fo.listChanges}; ${fo.nearMs.length ? `${f2(Math.min(...fo.nearMs))}–${f2(Math.max(...fo.nearMs))} ms` : 'n/a'}`, '', '']);
table.push(['   the last position on screen at (canvas px)', `${f0(fo.endOnScreen[0])}, ${f0(fo.endOnScreen[1])}`, '', '']);
table.push(['   the list behind the position: listed vs true hazard metres, worst row (end of walk; 1.5 s later)',
  `${f0(fo.lagWalking)} m; ${f0(fo.lagAfter)} m`, '≤ 10 m', fo.lagAfter <= 10 ? 'follows' : 'STUCK']);

for (const [name, r] of [['field', results.rest.field], ['desk (peer)', results.rest.desk]]) {
  const c = r.counts;
  const delays = (o) => Object.entries(o).map(([d, n]) => `${n}×${d}ms`).join(' ') || '-';
  // The targets are the field mode's (docs/field.md, "Battery"); the desk shows a clock.
  const isField = name === 'field';
  table.push([`4. at rest ${f0(r.seconds)} s, ${name}: frames drawn`, String(r.frames), isField ? '0' : '', isField ? (r.frames === 0 ? 'meets' : 'MISSES') : '']);
  const fired = c.raf + c.timeout + c.interval + c.idle;
  table.push([`   ${name}: callbacks fired: animation frames / timeouts / intervals / idle`, `${c.raf} / ${c.timeout} / ${c.interval} / ${c.idle}`, isField ? '0' : '', isField ? (fired === 0 ? 'meets' : 'MISSES') : '']);
  if (c.timeout || c.interval) table.push([`   ${name}: timer delays`, `timeouts ${delays(c.timeoutDelays)}; intervals ${delays(c.intervalDelays)}`, '', '']);
  table.push([`   ${name}: CPU over the rest (task / script), WebSocket frames received`,
    `${f0(r.cpu.taskMs)} / ${f0(r.cpu.scriptMs)} ms (${f2(r.cpu.taskMs / r.seconds / 10)} % of a core); ${r.wsFrames} ws frames`, '', '']);
}
table.push([`   field: still() at the end (true after 2 min still; BENCH_REST_MS ≥ 150000)`, String(results.rest.field.still), '', '']);

const widths = table[0].map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
for (const [k, r] of table.entries()) {
  console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd());
  if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
for (const [name, errs] of Object.entries(results.errors)) {
  const e = errs.filter((x) => !/favicon/i.test(x));
  if (e.length) console.log(`\n${name}: browser errors: ${e.slice(0, 5).join(' | ')}`);
}
console.log(`\n(${results.totalS.toFixed(0)} s in all)`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 1));
