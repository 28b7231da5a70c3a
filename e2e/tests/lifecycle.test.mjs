// The app's lifecycle: mounted, it runs intervals, animation frames, window/document
// listeners and a WebSocket; unmounted (`__pingan.unmount()`), it leaves none of them
// running. An init script counts what is live by wrapping the browser's own functions. The
// desk, and the wall (?mode=wall) unmounted in the middle of a flight to an alarm.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TEST_TIMEOUT, apiKey, baseUrl, call, diagnostics, fetchJson, launch, newPage, openApp,
} from '../lib/pingan.mjs';

const BASE = baseUrl();
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// The listeners the app adds to window/document itself (Leptos's event delegation adds one
// global handler per event type, once per page, for the framework: not the app's to remove).
const APP_TYPES = ['resize', 'keydown', 'online', 'visibilitychange'];

function counters() {
  const c = { intervals: new Map(), timeouts: new Map(), raf: 0, listeners: [], sockets: [] };
  window.__lifecycle = c;
  const { setInterval: si, clearInterval: ci, setTimeout: st, clearTimeout: ct } = window;
  window.setInterval = function (fn, ms, ...rest) {
    const id = si.call(window, fn, ms, ...rest);
    c.intervals.set(id, ms);
    return id;
  };
  window.clearInterval = function (id) { c.intervals.delete(id); return ci.call(window, id); };
  window.setTimeout = function (fn, ms, ...rest) {
    let id;
    const wrapped = typeof fn === 'function'
      ? function (...a) { c.timeouts.delete(id); return fn.apply(this, a); }
      : fn;
    id = st.call(window, wrapped, ms, ...rest);
    c.timeouts.set(id, ms);
    return id;
  };
  window.clearTimeout = function (id) { c.timeouts.delete(id); return ct.call(window, id); };
  const raf = window.requestAnimationFrame;
  window.requestAnimationFrame = function (cb) { c.raf += 1; return raf.call(window, cb); };
  const capture = (o) => (typeof o === 'boolean' ? o : !!(o && o.capture));
  for (const [name, target] of [['window', window], ['document', document]]) {
    const add = target.addEventListener;
    const remove = target.removeEventListener;
    target.addEventListener = function (type, fn, opts) {
      c.listeners.push({ target: name, type, fn, capture: capture(opts) });
      return add.call(this, type, fn, opts);
    };
    target.removeEventListener = function (type, fn, opts) {
      const i = c.listeners.findIndex((l) => l.target === name && l.type === type && l.fn === fn
        && l.capture === capture(opts));
      if (i >= 0) c.listeners.splice(i, 1);
      return remove.call(this, type, fn, opts);
    };
  }
  const WS = window.WebSocket;
  window.WebSocket = class extends WS {
    constructor(...args) { super(...args); c.sockets.push(this); }
  };
}

const snapshot = (page, types) => page.evaluate((appTypes) => {
  const c = window.__lifecycle;
  const byType = {};
  for (const l of c.listeners) {
    const k = `${l.target}:${l.type}`;
    byType[k] = (byType[k] || 0) + 1;
  }
  return {
    intervals: [...c.intervals.values()],
    timeouts: [...c.timeouts.values()],
    raf: c.raf,
    appListeners: c.listeners.filter((l) => appTypes.includes(l.type)).map((l) => `${l.target}:${l.type}`),
    byType,
    sockets: c.sockets.map((s) => s.readyState),
  };
}, types);

// Something under way on the wall: an alarm on a sensor with no active alert, and the flight to it.
async function flightUnderWay(page) {
  const sensors = (await fetchJson(`${BASE}/data/sensors.geojson`)).features;
  const r = await call(BASE, 'GET', '/api/alerts');
  const active = new Set((await r.json()).alerts.filter((a) => a.cleared_at === null).map((a) => a.sensor));
  const s = sensors.find((f) => !active.has(f.properties.id));
  const post = await fetch(`${BASE}/api/readings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await apiKey(BASE)}` },
    body: JSON.stringify({ readings: [{ sensor: s.properties.id, value: Number(s.properties.alarm) * 1.5 }] }),
  });
  assert.ok(post.ok, `an alarm reading: HTTP ${post.status}`);
  await page.waitForFunction(() => window.__pingan.wall.focus()?.showing === 'focus', null, { timeout: 5_000 });
}

describe('lifecycle', () => {
  for (const [name, path] of [['desk', '/'], ['wall', '/?mode=wall&focus=5']]) {
    test(`${name}: unmounting leaves no interval, frame loop, listener or socket running`,
      { timeout: TEST_TIMEOUT }, async () => {
        const page = await newPage(browser);
        await page.addInitScript(counters);
        await openApp(page, BASE, path);
        await page.waitForFunction(() => window.__pingan.live.status() === 'live', null, { timeout: 30_000 });

        const live = await snapshot(page, APP_TYPES);
        assert.ok(live.intervals.length >= 3, `intervals while mounted: ${JSON.stringify(live.intervals)}`);
        assert.ok(live.raf > 0, 'animation frames were requested');
        for (const t of APP_TYPES) {
          assert.ok(live.appListeners.some((l) => l.endsWith(`:${t}`)), `a ${t} listener while mounted: ${live.appListeners}`);
        }
        assert.ok(live.sockets.includes(1), `an open WebSocket while mounted: ${live.sockets}`);

        // Something under way at unmount: a pending URL write and a camera move (desk), a flight
        // and a pulsing focus (wall).
        if (name === 'wall') await flightUnderWay(page);
        else await page.keyboard.press('ArrowLeft');
        const errorsBefore = page.errors.length;
        await page.evaluate(() => window.__pingan.unmount());
        await page.waitForTimeout(1_500);
        const gone = await snapshot(page, APP_TYPES);
        await page.waitForTimeout(1_000);
        const later = await snapshot(page, APP_TYPES);

        assert.equal(await page.locator('[data-testid=map-canvas]').count(), 0, 'the map is gone');
        assert.equal(await page.evaluate(() => typeof window.__pingan), 'undefined', 'the hooks are gone');
        assert.deepEqual(gone.intervals, [], 'no interval left');
        assert.deepEqual(later.timeouts, [], 'no timeout left');
        assert.equal(later.raf, gone.raf, 'no animation frame requested after unmount');
        assert.deepEqual(gone.appListeners, [], 'the app removed its window/document listeners');
        for (const [k, n] of Object.entries(gone.byType)) {
          assert.equal(n, 1, `${k}: only the framework's one delegated handler may stay (${n})`);
        }
        assert.ok(gone.sockets.length > 0 && gone.sockets.every((s) => s === 3),
          `every WebSocket closed: ${gone.sockets}`);
        assert.deepEqual(page.errors.slice(errorsBefore), [], `no error at or after unmount${diagnostics(page)}`);
        await page.context().close();
      });
  }
});
