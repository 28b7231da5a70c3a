// Shared helpers of the browser tests and the benchmark: launching Debian's Chromium through
// playwright-core, opening the app, waiting for its test contract's signals.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'target', 'screenshots');

export const READY_TIMEOUT = 60_000;
export const TEST_TIMEOUT = 120_000;

// The catalogue's layer ids (GET /api/layers).
export const LAYER_IDS = [
  'grids', 'greenspace', 'parks', 'areas', 'communities', 'subdistricts', 'district',
  'sentinels', 'sensors', 'hazards', 'cases',
];

export function baseUrl(name = 'PINGAN_URL') {
  const url = process.env[name];
  if (!url) {
    throw new Error(`${name} is not set: run the browser tests through scripts/test.sh ` +
      `(or set ${name}=http://127.0.0.1:PORT of a running pingan-server)`);
  }
  return url.replace(/\/+$/, '');
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-quic',
    ],
  });
}

// A fresh page (own context) with the default 1920×1080 viewport, collecting console errors
// and uncaught exceptions so that a failing test can show them.
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, ...options });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(`console.error: ${m.text()}`);
  });
  return page;
}

export function diagnostics(page) {
  return page.errors && page.errors.length ? `\nbrowser errors:\n  ${page.errors.slice(0, 20).join('\n  ')}` : '';
}

// Waits for the contract's `data-ready="true"` (every layer settled, a complete frame drawn).
export async function waitReady(page, timeout = READY_TIMEOUT) {
  try {
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout });
  } catch (e) {
    const state = await page.evaluate(() => ({
      ready: document.documentElement.dataset.ready,
      hasApi: typeof window.__pingan === 'object' && window.__pingan !== null,
      title: document.title,
      body: (document.body?.innerText || '').slice(0, 300),
    })).catch((err) => ({ evaluateError: String(err) }));
    throw new Error(`app not ready within ${timeout} ms: ${JSON.stringify(state)}${diagnostics(page)}`);
  }
}

// Opens the app (path may carry the URL's view parameters) and waits until it is ready.
export async function openApp(page, url, path = '/') {
  const response = await page.goto(url + path, { waitUntil: 'domcontentloaded' });
  if (!response || !response.ok()) {
    throw new Error(`GET ${url + path} answered ${response && response.status()}`);
  }
  await waitReady(page);
}

export async function fetchJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r.json();
}

export async function manifest(url) {
  const m = await fetchJson(`${url}/api/layers`);
  if (!m || !Array.isArray(m.layers)) throw new Error(`${url}/api/layers has no "layers" array`);
  return m;
}

export async function view(page) {
  return page.evaluate(() => window.__pingan.view());
}

// Polls view() until it stops changing (zoom/pan animations), returns the settled view.
export async function settledView(page, { timeout = 10_000, quiet = 300 } = {}) {
  const t0 = Date.now();
  let last = await view(page);
  let since = Date.now();
  while (Date.now() - t0 < timeout) {
    await page.waitForTimeout(60);
    const v = await view(page);
    if (v.lon !== last.lon || v.lat !== last.lat || v.zoom !== last.zoom) {
      last = v;
      since = Date.now();
    } else if (Date.now() - since >= quiet) {
      return v;
    }
  }
  return last;
}

// Waits until `predicate(view)` holds, then returns the settled view.
export async function waitView(page, predicate, what, timeout = 10_000) {
  const t0 = Date.now();
  let v;
  while (Date.now() - t0 < timeout) {
    v = await view(page);
    if (predicate(v)) return settledView(page);
    await page.waitForTimeout(50);
  }
  throw new Error(`view never ${what}; last view ${JSON.stringify(v)}`);
}

// Page coordinates of a lon/lat (project() is relative to the canvas's top-left).
export async function pagePoint(page, lon, lat) {
  const box = await page.locator('[data-testid=map-canvas]').boundingBox();
  if (!box) throw new Error('map canvas has no bounding box');
  const [x, y] = await page.evaluate(([a, b]) => window.__pingan.project(a, b), [lon, lat]);
  return { x: box.x + x, y: box.y + y, box };
}

export function urlParams(page) {
  return new URL(page.url()).searchParams;
}

export function urlLayers(page) {
  const l = urlParams(page).get('l');
  return l ? l.split(',').filter(Boolean) : [];
}

// Waits until the page URL satisfies predicate(URL) (the app updates it with replaceState).
export async function waitUrl(page, predicate, what, timeout = 5_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeout) {
    if (predicate(new URL(page.url()))) return;
    await page.waitForTimeout(50);
  }
  throw new Error(`URL never ${what}: ${page.url()}`);
}

export function ensureScreenshotDir() {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return SCREENSHOT_DIR;
}

// Great-circle distance in metres.
export function haversine([lon1, lat1], [lon2, lat2]) {
  const r = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.min(1, Math.sqrt(a)));
}

// A feature's id: GeoJSON's top-level id, else the usual property names.
export function featureId(f) {
  const p = f.properties || {};
  return f.id ?? p.id ?? p.code ?? p.ID ?? null;
}

// Parses a scale-bar text like "500 m" or "2 km" into metres.
export function scaleMetres(text) {
  const m = /([\d.,]+)\s*(km|m)\b/i.exec(text.replace(/\u00a0/g, ' '));
  if (!m) throw new Error(`scale bar text ${JSON.stringify(text)} is not like "500 m" or "2 km"`);
  const n = Number(m[1].replace(/,/g, ''));
  return m[2].toLowerCase() === 'km' ? n * 1000 : n;
}
