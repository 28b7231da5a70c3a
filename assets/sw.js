// Ping'an Map's service worker (issue 10: the field mode opens and works with
// no network after one visit). Hand-written: three fetch strategies in under a
// hundred lines need no library or bundler (Workbox would add both).
//
// - the page (navigations): network first, the last copy when the network fails
//   or is slower than NET_WAIT_MS;
// - the app's own files (trunk's content-hashed .js/.wasm/.css and the icon):
//   cache first — a new build has new names;
// - the data the field mode reads (GET /data/*, /api/cases.bin, /api/live,
//   /api/session, /api/layers, /api/contacts/*, /api/photos/*): network first,
//   the stored copy offline. Each stored copy carries `x-pingan-stored-at`
//   (ms), which the app reads from the cache to show the data's age.
// Only the app's page is kept; a new build's files replace the old ones'. Nothing else is touched: writes, /ws and every other request go to the
// network as if there were no worker. Only answers of 200 are stored; signing
// out deletes the data cache (the app does it: it holds contacts).

const SHELL = 'pingan-shell-v1';
const DATA = 'pingan-data-v1';
const NET_WAIT_MS = 4000;
const DATA_PATHS = ['/api/cases.bin', '/api/live', '/api/session', '/api/layers'];

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== SHELL && name !== DATA) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function kind(request) {
  if (request.method !== 'GET') return null;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return null;
  const p = url.pathname;
  // The app's page only (any other page opened in a tab is not kept).
  if (request.mode === 'navigate') return p === '/' || p === '/index.html' ? 'page' : null;
  if (p.startsWith('/data/') || DATA_PATHS.includes(p) || p.startsWith('/api/contacts/')
      || p.startsWith('/api/photos/')) return 'data';
  if (p === '/sw.js') return null;
  if (/\.(wasm|js|css|svg)$/.test(p)) return 'shell';
  return null;
}

async function store(cacheName, key, response) {
  if (response.status !== 200) return;
  const headers = new Headers(response.headers);
  headers.set('x-pingan-stored-at', String(Date.now()));
  const body = await response.blob();
  const cache = await caches.open(cacheName);
  await cache.put(key, new Response(body, { status: 200, statusText: 'OK', headers }));
}

// The network's answer, or null when it fails or takes longer than NET_WAIT_MS
// (it is still stored when it comes).
function network(request, cacheName, key) {
  const fetched = fetch(request).then((response) => {
    const copy = response.clone();
    store(cacheName, key, copy).catch(() => {});
    return response;
  });
  const late = new Promise((resolve) => setTimeout(() => resolve(null), NET_WAIT_MS));
  return Promise.race([fetched.catch(() => null), late]).then((r) => ({ r, fetched }));
}

async function networkFirst(request, cacheName, key, matchOptions) {
  const { r, fetched } = await network(request, cacheName, key);
  if (r) return r;
  const cached = await caches.match(key, matchOptions);
  if (cached) return cached;
  // Nothing stored: wait for the network after all, or say it is unreachable.
  try {
    return await fetched;
  } catch (e) {
    return new Response(JSON.stringify({ error: 'offline', detail: 'no network and no stored copy' }),
      { status: 503, headers: { 'content-type': 'application/json' } });
  }
}

// A build's file stored, the same file of older builds goes (trunk names them
// name-<16 hex>.ext): the shell cache holds one version, not one per deploy.
const HASHED = /-[0-9a-f]{16}(?=(_bg)?\.[a-z]+$)/;
async function prune(url) {
  const u = new URL(url);
  if (!HASHED.test(u.pathname)) return;
  const family = u.pathname.replace(HASHED, '');
  const cache = await caches.open(SHELL);
  for (const old of await cache.keys()) {
    const o = new URL(old.url);
    if (o.pathname !== u.pathname && HASHED.test(o.pathname) && o.pathname.replace(HASHED, '') === family) {
      await cache.delete(old);
    }
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  store(SHELL, request, response.clone()).then(() => prune(request.url)).catch(() => {});
  return response;
}

self.addEventListener('fetch', (event) => {
  const k = kind(event.request);
  if (k === 'page') {
    // One copy of the page whatever its query (?mode=field&c=…).
    const url = new URL(event.request.url);
    const key = url.origin + url.pathname;
    event.respondWith(networkFirst(event.request, SHELL, key, { ignoreSearch: true }));
  } else if (k === 'shell') {
    event.respondWith(cacheFirst(event.request));
  } else if (k === 'data') {
    event.respondWith(networkFirst(event.request, DATA, event.request, undefined));
  }
});
