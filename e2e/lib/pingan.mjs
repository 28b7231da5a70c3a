// Shared helpers of the browser tests and the benchmark: launching Debian's Chromium through
// playwright-core, signing in (a page, or node-side API calls, as one of the demo accounts),
// opening the app, waiting for its test contract's signals.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

// --- accounts -------------------------------------------------------------------------------
// The demo accounts a fresh store creates (README), by username.
export const PASSWORDS = {
  viewer: 'pingan-viewer',
  planner: 'pingan-planner',
  officer: 'pingan-officer',
  'officer-xixiang': 'pingan-officer',
  operator: 'pingan-operator',
  admin: 'pingan-admin',
};
export const SESSION_COOKIE = 'pingan_session';

// POST /api/session as `user`; returns the session cookie's value. Logins are rate-limited
// (per user and per address), so tests share one session per user and server (`session`).
export async function login(url, user, password = PASSWORDS[user]) {
  const r = await fetch(`${url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pingan-csrf': '1' },
    body: JSON.stringify({ username: user, password }),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`sign in as ${user} on ${url}: HTTP ${r.status} ${text}`);
  const cookies = r.headers.getSetCookie ? r.headers.getSetCookie() : [r.headers.get('set-cookie') || ''];
  for (const c of cookies) {
    const m = new RegExp(`(?:^|,\\s*)${SESSION_COOKIE}=([^;]+)`).exec(c);
    if (m) return m[1];
  }
  throw new Error(`sign in as ${user}: no ${SESSION_COOKIE} cookie in ${JSON.stringify(cookies)}`);
}

const sessions = new Map();
// Sessions are kept across the test files' processes too (target/test-logs/e2e-sessions.json):
// logins are rate-limited per account and address (5, then one per 20 s), and each file is a
// process of its own. A kept cookie is checked (GET /api/session) before it is used: another
// server on the same port, or a restarted one with a new store, means signing in again.
const SESSION_FILE = join(REPO_ROOT, 'target', 'test-logs', 'e2e-sessions.json');
function keptSessions() {
  try { return JSON.parse(readFileSync(SESSION_FILE, 'utf8')); } catch { return {}; }
}
async function keptOrLogin(url, user) {
  const k = `${url} ${user}`;
  const kept = keptSessions()[k];
  if (kept) {
    const r = await fetch(`${url}/api/session`, { headers: { cookie: `${SESSION_COOKIE}=${kept}` } }).catch(() => null);
    if (r && r.ok) return kept;
  }
  const value = await login(url, user);
  try {
    mkdirSync(dirname(SESSION_FILE), { recursive: true });
    writeFileSync(SESSION_FILE, JSON.stringify({ ...keptSessions(), [k]: value }));
  } catch { /* a cache only */ }
  return value;
}
// The shared session cookie of `user` on the server at `url` (signed in once).
export async function session(url, user) {
  const k = `${url} ${user}`;
  if (!sessions.has(k)) sessions.set(k, keptOrLogin(url, user));
  return sessions.get(k);
}

// A call to the API as `as` (a demo username; null: anonymous): cookie auth, with the CSRF
// header every cookie POST needs. Returns the Response.
export async function call(url, method, path, { as = 'viewer', body, headers = {} } = {}) {
  const h = { ...headers };
  if (as) h.cookie = `${SESSION_COOKIE}=${await session(url, as)}`;
  if (method !== 'GET' && method !== 'HEAD') h['x-pingan-csrf'] = '1';
  if (body !== undefined) h['content-type'] = 'application/json';
  return fetch(`${url}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
}

// GET of a whole URL (`http://host:port/data/…`) as `as` (default: a viewer).
export async function get(fullUrl, { as = 'viewer' } = {}) {
  const u = new URL(fullUrl);
  return call(u.origin, 'GET', u.pathname + u.search, { as });
}

// POST as `as`; throws with the server's answer unless 2xx; returns the parsed JSON.
export async function postJson(url, path, body, { as = 'operator' } = {}) {
  const r = await call(url, 'POST', path, { as, body });
  const text = await r.text();
  if (!r.ok) throw new Error(`POST ${path} as ${as} ${JSON.stringify(body)}: HTTP ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const keys = new Map();
// An API key with exactly `scopes` (created once per server by the admin), e.g. the sensor
// gateway's `readings:write`.
export async function apiKey(url, scopes = ['readings:write']) {
  const k = `${url} ${scopes.join(',')}`;
  if (!keys.has(k)) {
    keys.set(k, postJson(url, '/api/keys', { name: `e2e-${scopes.join('-')}`, scopes }, { as: 'admin' })
      .then((j) => j.key));
  }
  return keys.get(k);
}

// Signs the page's browser context in as `user` (the shared session's cookie: HttpOnly,
// SameSite=Strict, as the server sets it).
export async function signIn(page, url, user = 'viewer') {
  const value = await session(url, user);
  await page.context().addCookies([{ name: SESSION_COOKIE, value, url, httpOnly: true, sameSite: 'Strict' }]);
}

// Opens the app (path may carry the URL's view parameters) signed in as `as` (a viewer unless
// the test needs more; null: as the page already is) and waits until it is ready.
export async function openApp(page, url, path = '/', { as = 'viewer' } = {}) {
  if (as) await signIn(page, url, as);
  const response = await page.goto(url + path, { waitUntil: 'domcontentloaded' });
  if (!response || !response.ok()) {
    throw new Error(`GET ${url + path} answered ${response && response.status()}`);
  }
  await waitReady(page);
}

// GET a whole URL as `as` (default: a viewer) and parse its JSON.
export async function fetchJson(url, { as = 'viewer' } = {}) {
  const r = await get(url, { as });
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
