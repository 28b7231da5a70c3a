// The wall left running (issue 9, "Running untouched"): a benchmark, not a test. It opens
// ?mode=wall (tour on) against a server whose simulator runs at a high time factor, leaves it for
// SOAK_MIN minutes (30) and prints, every SOAK_EVERY_S seconds (60) and at the end against the
// start: the JS heap in use, the wasm memory, DOM nodes and event listeners (CDP
// Performance.getMetrics), the events the page applied, and the page's CPU share over the
// interval (CDP TaskDuration ÷ wall time). Then, against a second server without the simulator
// (PINGAN_REST_URL; skipped when unset), the CPU share and frames of a wall at rest for
// SOAK_REST_S seconds (60). Heap is read after a forced GC (HeapProfiler.collectGarbage), so
// growth is what stays reachable. Headless Chromium, software rendering, 1920×1080 unless
// SOAK_SIZE=3840x2160. Run by `scripts/bench.sh --soak`; by hand:
//   PINGAN_URL=http://127.0.0.1:8080 PINGAN_REST_URL=http://127.0.0.1:8081 node e2e/bench-wall-soak.mjs
import { baseUrl, launch, newPage, openApp } from './lib/pingan.mjs';

const BASE = baseUrl();
const REST = process.env.PINGAN_REST_URL ? process.env.PINGAN_REST_URL.replace(/\/+$/, '') : null;
const MINUTES = Number(process.env.SOAK_MIN || 30);
const EVERY_S = Number(process.env.SOAK_EVERY_S || 60);
const REST_S = Number(process.env.SOAK_REST_S || 60);
const [W, H] = (process.env.SOAK_SIZE || '1920x1080').split('x').map(Number);
const MB = (b) => (b / 1048576).toFixed(1);

// The wasm module's memory, caught when trunk's loader starts the app.
const CATCH_WASM = () => {
  addEventListener('TrunkApplicationStarted', (e) => { window.__soakWasm = e.detail?.wasm?.memory ?? null; });
};

async function sample(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  const page_ = await page.evaluate(() => ({
    wasm: window.__soakWasm ? window.__soakWasm.buffer.byteLength : NaN,
    applied: window.__pingan.live.applied(),
    frames: window.__pingan.frames(),
    status: window.__pingan.live.status(),
  }));
  return { t: Date.now(), heap: m.JSHeapUsedSize, nodes: m.Nodes, listeners: m.JSEventListeners, task: m.TaskDuration, ...page_ };
}

async function open(browser, url, query) {
  const page = await newPage(browser, { viewport: { width: W, height: H } });
  await page.addInitScript(CATCH_WASM);
  await openApp(page, url, query, { as: 'viewer' });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return { page, cdp };
}

const line = (label, s, prev) => {
  const cpu = prev ? (100 * (s.task - prev.task) * 1000 / (s.t - prev.t)).toFixed(1) : 'n/a';
  console.log(`${label.padEnd(8)} heap ${MB(s.heap).padStart(6)} MB  wasm ${MB(s.wasm).padStart(6)} MB  ` +
    `nodes ${String(s.nodes).padStart(6)}  listeners ${String(s.listeners).padStart(5)}  ` +
    `applied ${String(s.applied).padStart(7)}  frames ${String(s.frames).padStart(7)}  cpu ${cpu} %  (${s.status})`);
};

const browser = await launch();
let failed = false;
try {
  console.log(`wall soak: ${MINUTES} min at ${W}×${H} on ${BASE} (headless Chromium, software rendering)`);
  const { page, cdp } = await open(browser, BASE, '/?mode=wall&tour=60&focus=20');
  const first = await sample(page, cdp);
  line('start', first, null);
  let prev = first;
  const end = Date.now() + MINUTES * 60_000;
  while (Date.now() < end) {
    await page.waitForTimeout(Math.min(EVERY_S * 1000, Math.max(0, end - Date.now())));
    const s = await sample(page, cdp);
    line(`${Math.round((s.t - first.t) / 60_000)} min`, s, prev);
    prev = s;
  }
  const last = prev;
  const cpuAll = (100 * (last.task - first.task) * 1000 / (last.t - first.t)).toFixed(1);
  console.log(`over ${((last.t - first.t) / 60_000).toFixed(1)} min: heap ${MB(first.heap)} → ${MB(last.heap)} MB ` +
    `(${last.heap >= first.heap ? '+' : ''}${MB(last.heap - first.heap)}), wasm ${MB(first.wasm)} → ${MB(last.wasm)} MB, ` +
    `nodes ${first.nodes} → ${last.nodes}, listeners ${first.listeners} → ${last.listeners}, ` +
    `${last.applied - first.applied} events applied, page CPU ${cpuAll} % of one core`);
  if (last.applied <= first.applied) {
    console.log('FAILED: the wall applied no event (is the simulator on?)');
    failed = true;
  }
  await page.close();

  if (REST) {
    const { page: rp, cdp: rc } = await open(browser, REST, '/?mode=wall');
    await rp.waitForTimeout(5_000);
    const a = await sample(rp, rc);
    await rp.waitForTimeout(REST_S * 1000);
    const b = await sample(rp, rc);
    console.log(`at rest (${REST_S} s, no simulator): page CPU ${(100 * (b.task - a.task) * 1000 / (b.t - a.t)).toFixed(2)} % ` +
      `of one core, ${b.frames - a.frames} map frames drawn, heap ${MB(a.heap)} → ${MB(b.heap)} MB`);
    await rp.close();
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
