// Front-end benchmark of Ping'an Map (not a test: it measures and prints, it asserts nothing
// beyond the app working). Run by scripts/bench.sh against a server it starts; by hand:
//   PINGAN_URL=http://127.0.0.1:8080 node e2e/bench.mjs
// Measures, in headless Chromium (software rendering, so absolute numbers are pessimistic):
//   - time to the first complete frame after navigation (__pingan.firstFrameMs), median of 5
//     fresh page loads (each in a new browser context, i.e. a cold HTTP cache);
//   - frame intervals while panning continuously (requestAnimationFrame loop injected into
//     the page), at full extent and zoomed in (z 15): median and 95th percentile;
//   - the app's own draw cost per frame (__pingan.frameTimes()) of the frames drawn during
//     the same drags;
//   - the gzipped size of the .wasm in dist/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT, baseUrl, launch, newPage, openApp, waitReady } from './lib/pingan.mjs';

const BASE = baseUrl();
const LOADS = Number(process.env.BENCH_LOADS || 5);
const DRAGS = Number(process.env.BENCH_DRAGS || 4);
const MOVES = Number(process.env.BENCH_MOVES || 120);

const quantile = (xs, q) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
};
const median = (xs) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
// The entries of `after` that came after `before`, for a recent-frames window that may
// have dropped its oldest entries in between.
function newEntries(before, after) {
  for (let k = 0; k <= before.length; k++) {
    const n = before.length - k;
    if (n > after.length) continue;
    let same = true;
    for (let i = 0; i < n && same; i++) same = before[k + i] === after[i];
    if (same) return after.slice(n);
  }
  return after;
}
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a');

async function firstFrame(browser) {
  const times = [];
  for (let i = 0; i < LOADS; i++) {
    const page = await newPage(browser);
    try {
      await openApp(page, BASE);
      times.push(await page.evaluate(() => window.__pingan.firstFrameMs));
    } finally {
      await page.context().close();
    }
  }
  return times;
}

// Continuous drags over the map while a rAF loop records frame intervals.
async function pan(browser, path, label) {
  const page = await newPage(browser);
  try {
    await openApp(page, BASE, path);
    const box = await page.locator('[data-testid=map-canvas]').boundingBox();
    await page.evaluate(() => {
      window.__bench = { intervals: [], recording: false, last: 0 };
      const loop = (t) => {
        const b = window.__bench;
        if (b.recording && b.last) b.intervals.push(t - b.last);
        b.last = t;
        requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
    });
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const span = Math.min(box.width, box.height) * 0.35;
    const draws = [];
    for (let d = 0; d < DRAGS; d++) {
      // Alternate directions so that the view stays over the district.
      const dir = d % 2 === 0 ? 1 : -1;
      const [x0, y0] = [cx - dir * span, cy - dir * span * 0.5];
      const [x1, y1] = [cx + dir * span, cy + dir * span * 0.5];
      await page.mouse.move(x0, y0);
      await page.waitForTimeout(100);
      const before = await page.evaluate(() => window.__pingan.frameTimes());
      await page.mouse.down();
      await page.evaluate(() => { window.__bench.recording = true; window.__bench.last = 0; });
      for (let i = 1; i <= MOVES; i++) {
        const f = i / MOVES;
        await page.mouse.move(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, { steps: 2 });
      }
      await page.evaluate(() => { window.__bench.recording = false; });
      draws.push(...newEntries(before, await page.evaluate(() => window.__pingan.frameTimes())));
      await page.mouse.up();
      await page.waitForTimeout(200);
    }
    const intervals = await page.evaluate(() => window.__bench.intervals);
    const v = await page.evaluate(() => window.__pingan.view());
    return { label, intervals, draws, zoom: v.zoom };
  } finally {
    await page.context().close();
  }
}

function wasmSize() {
  const dist = join(REPO_ROOT, 'dist');
  const files = readdirSync(dist).filter((f) => f.endsWith('.wasm'));
  return files.map((f) => {
    const raw = readFileSync(join(dist, f));
    return { file: f, raw: raw.length, gz: gzipSync(raw, { level: 9 }).length };
  });
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

const browser = await launch();
try {
  // Warm the server's file cache once so that the first measured load is not a disk read.
  { const p = await newPage(browser); await openApp(p, BASE); await p.context().close(); }
  const ff = await firstFrame(browser);
  const full = await pan(browser, '/', 'pan, full extent');
  const z15 = await pan(browser, '/?c=113.8837,22.5690&z=15', 'pan, zoomed in (z 15)');
  const wasm = wasmSize();

  console.log(`\nPing'an Map front-end benchmark — ${BASE}, headless Chromium (software), ${new Date().toISOString()}\n`);
  table([
    ['measure', 'median', 'p95', 'samples'],
    ['first complete frame after navigation', ms(median(ff)), ms(quantile(ff, 0.95)), ff.length],
    ...[full, z15].flatMap((r) => [
      [`${r.label}: frame interval`, ms(median(r.intervals)), ms(quantile(r.intervals, 0.95)), r.intervals.length],
      [`${r.label}: draw cost (frameTimes)`, ms(median(r.draws)), ms(quantile(r.draws, 0.95)), r.draws.length],
    ]),
  ]);
  console.log('');
  table([
    ['wasm file', 'bytes', 'gzip -9 bytes'],
    ...wasm.map((w) => [w.file, w.raw, w.gz]),
  ]);
  const fps = (r) => (1000 / median(r.intervals)).toFixed(0);
  console.log(`\nfirst frame per load: ${ff.map((x) => x.toFixed(0)).join(', ')} ms`);
  console.log(`panning: ~${fps(full)} fps at full extent, ~${fps(z15)} fps at z ${z15.zoom.toFixed(1)}`);
} finally {
  await browser.close();
}
