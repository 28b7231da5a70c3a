// Baseline for scripts/bench.sh: a plain Node.js WebSocket broadcast server
// (npm `ws`) with the same shapes as pingan-server, driven by the same load
// generator (server/src/bin/pingan-loadgen.rs).
//
//   POST /api/readings  {"readings":[{"sensor":"S0001","value":1.5}]}
//       → stamps seq and at_ms, serialises the event ONCE and sends it to
//         every connected client; answers 200 with the event.
//   GET  /api/health    → {"status":"ok","head":N}
//   GET  /ws            → WebSocket: on the client's hello, a welcome; then
//                         every event as {"type":"event","seq":N,"at_ms":T,"change":{...}}.
//
// No persistence, no per-client queue bound, no replay: the simplest
// broadcast, which is what we compare the real server's overhead with.
//
//   node server.js [--port 0]   (logs "listening on http://127.0.0.1:PORT")
'use strict';
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 8090;
const LIMIT = 1024 * 1024;
let seq = 0;

function reply(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/api/health') {
    return reply(res, 200, { status: 'ok', head: seq, clients: wss.clients.size });
  }
  if (req.method !== 'POST' || req.url !== '/api/readings') {
    return reply(res, 404, { error: 'not_found', detail: `${req.method} ${req.url}` });
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= LIMIT) chunks.push(c);
  });
  req.on('end', () => {
    let readings;
    try {
      readings = JSON.parse(Buffer.concat(chunks).toString('utf8')).readings;
      if (!Array.isArray(readings)) throw new Error('expected {"readings":[...]}');
    } catch (e) {
      return reply(res, 400, { error: 'bad_json', detail: String(e.message) });
    }
    const at_ms = Date.now();
    seq += 1;
    const event = {
      seq,
      at_ms,
      change: {
        kind: 'readings',
        sensors: readings.map((r) => ({
          id: String(r.sensor),
          type: 'gas',
          value: Number(r.value),
          at: Math.floor(at_ms / 1000),
          level: 'normal',
        })),
      },
    };
    // Serialised once, one Buffer shared by every send.
    const frame = Buffer.from(JSON.stringify({ type: 'event', ...event }));
    for (const c of wss.clients) {
      if (c.readyState === WebSocket.OPEN) c.send(frame, { binary: false });
    }
    reply(res, 200, { seq, sensors: event.change.sensors, alerts: [] });
  });
});

const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 64 * 1024 });
wss.on('connection', (ws) => {
  ws.once('message', () => {
    ws.send(JSON.stringify({
      type: 'welcome', head: seq, replay: 0, heartbeat_ms: 0, server_time_ms: Date.now(),
    }));
  });
  ws.on('error', () => {});
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { wss.close(); server.close(); process.exit(0); });
}
