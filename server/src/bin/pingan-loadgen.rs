//! `pingan-loadgen`: load generator for the live stream (prints numbers; not a test).
//!
//! Opens N WebSocket clients on `/ws`, then injects M events per second
//! through the server's real HTTP API (`POST /api/readings` with one normal
//! reading: exactly one event each) for a warm-up and a measured duration,
//! and prints
//!
//! - events accepted (2xx) and refused, and the publish rate achieved;
//! - messages delivered per second (event messages received by all clients);
//! - latency from acceptance (`at_ms` in the event, the server's clock; same
//!   machine) to receipt: p50, p99, p99.9, max;
//! - per-client checks: every client got every event of the measured window,
//!   in order, no gap and no duplicate; resyncs and dropped connections.
//!
//! It speaks to any server with the same shapes (the Node.js baseline in
//! `bench/node-ws/` has them): `{"type":"hello",...}` is sent first, event
//! messages look like `{"type":"event","seq":N,"at_ms":T,...}`.
//!
//! ```sh
//! cargo run --release -p pingan-server --bin pingan-loadgen -- --url http://127.0.0.1:8080
//! ```

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, Parser)]
#[command(about = "Load generator for the live stream: N WebSocket clients, M events/s")]
struct Args {
    /// The server (`http://HOST:PORT`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// WebSocket clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Events per second injected through the HTTP API.
    #[arg(long, default_value_t = 500)]
    rate: u32,
    /// Measured seconds.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Sensor the readings are for (its value stays normal: one event each).
    #[arg(long, default_value = "S0001")]
    sensor: String,
    /// Concurrent HTTP connections used to publish.
    #[arg(long, default_value_t = 8)]
    publishers: usize,
    /// A label for the result line.
    #[arg(long, default_value = "server")]
    label: String,
    /// An API key (`pk_…`) with `read` and `readings:write`, sent as
    /// `Authorization: Bearer` on the readings and the sockets
    /// (`pingan-server key add loadgen --scope read --scope readings:write`).
    #[arg(long)]
    key: Option<String>,
}

use pingan_server::clock::now_ms;

/// Latency histogram in milliseconds (last bucket: overflow).
const BUCKETS: usize = 60_001;

/// What one client saw.
#[derive(Debug, Default)]
struct ClientResult {
    /// Event messages received in the measured window (by `at_ms`).
    in_window: u64,
    /// Seqs in the window: first and last (to check completeness).
    first: Option<u64>,
    last: Option<u64>,
    gaps: u64,
    duplicates: u64,
    resyncs: u64,
    dropped: bool,
    error: Option<String>,
    hist: Vec<u32>,
    max_ms: i64,
}

/// The `"seq":N` and `"at_ms":T` of an event message, found without a full
/// parse (the generator must cost the machine little).
fn event_fields(text: &str) -> Option<(u64, i64)> {
    if !text.starts_with(r#"{"type":"event""#) {
        return None;
    }
    let num = |key: &str| -> Option<i64> {
        let at = text.find(key)? + key.len();
        let digits: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        digits.parse().ok()
    };
    Some((num(r#""seq":"#)? as u64, num(r#""at_ms":"#)?))
}

struct Window {
    start_ms: AtomicU64,
    end_ms: AtomicU64,
}

async fn client(
    ws_url: String,
    key: Option<String>,
    window: Arc<Window>,
    ready: Arc<AtomicU64>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> ClientResult {
    let mut r = ClientResult {
        hist: vec![0; BUCKETS],
        ..ClientResult::default()
    };
    // tungstenite zero-fills its whole read buffer on every read: keep it
    // small (messages here are a few hundred bytes).
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(16 * 1024);
    let mut request =
        match tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            ws_url.as_str(),
        ) {
            Ok(r) => r,
            Err(e) => {
                r.error = Some(format!("request: {e}"));
                return r;
            }
        };
    if let Some(v) = key
        .as_deref()
        .and_then(|k| format!("Bearer {k}").parse().ok())
    {
        request.headers_mut().insert("authorization", v);
    }
    let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    let mut ws = match connect.await {
        Ok((ws, _)) => ws,
        Err(e) => {
            r.error = Some(format!("connect: {e}"));
            r.dropped = true;
            ready.fetch_add(1, Ordering::SeqCst);
            return r;
        }
    };
    let hello = r#"{"type":"hello","layers":[],"since":null}"#;
    if let Err(e) = ws.send(Message::text(hello)).await {
        r.error = Some(format!("hello: {e}"));
        r.dropped = true;
        ready.fetch_add(1, Ordering::SeqCst);
        return r;
    }
    let mut welcomed = false;
    let mut prev: Option<u64> = None;
    let stopped = stop.wait_for(|s| *s);
    tokio::pin!(stopped);
    loop {
        let next = tokio::select! {
            biased;
            m = ws.next() => m,
            _ = &mut stopped => break,
        };
        let msg = match next {
            None => {
                r.dropped = true;
                break;
            }
            Some(Err(e)) => {
                r.dropped = true;
                r.error = Some(e.to_string());
                break;
            }
            Some(Ok(m)) => m,
        };
        let Message::Text(text) = msg else { continue };
        let text = text.as_str();
        let Some((seq, at_ms)) = event_fields(text) else {
            if !welcomed && text.contains(r#""type":"welcome""#) {
                welcomed = true;
                ready.fetch_add(1, Ordering::SeqCst);
            } else if text.contains(r#""type":"resync""#) {
                r.resyncs += 1;
            }
            continue;
        };
        let now = now_ms();
        if let Some(p) = prev {
            if seq <= p {
                r.duplicates += 1;
                continue;
            }
            if seq != p + 1 {
                r.gaps += seq - p - 1;
            }
        }
        prev = Some(seq);
        let start = window.start_ms.load(Ordering::Relaxed) as i64;
        let end = window.end_ms.load(Ordering::Relaxed) as i64;
        if start > 0 && at_ms >= start && (end == 0 || at_ms < end) {
            r.in_window += 1;
            r.first.get_or_insert(seq);
            r.last = Some(seq);
            let lat = (now - at_ms).max(0);
            r.max_ms = r.max_ms.max(lat);
            r.hist[(lat as usize).min(BUCKETS - 1)] += 1;
        }
    }
    if !welcomed {
        ready.fetch_add(1, Ordering::SeqCst);
    }
    r
}

/// A keep-alive HTTP/1.1 connection that POSTs JSON (Content-Length replies only).
struct Http {
    host: String,
    /// `Authorization: Bearer …` line, when a key was given.
    auth: String,
    stream: BufReader<TcpStream>,
}

impl Http {
    async fn connect(addr: &str, key: Option<&str>) -> anyhow::Result<Http> {
        let s = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        s.set_nodelay(true)?;
        Ok(Http {
            host: addr.to_string(),
            auth: key
                .map(|k| format!("Authorization: Bearer {k}\r\n"))
                .unwrap_or_default(),
            stream: BufReader::new(s),
        })
    }

    /// POSTs and returns (status, body).
    async fn post(&mut self, path: &str, body: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\n{}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            self.auth,
            body.len()
        );
        self.stream.get_mut().write_all(req.as_bytes()).await?;
        // Headers.
        let mut head = Vec::with_capacity(512);
        loop {
            let b = self.stream.read_u8().await?;
            head.push(b);
            if head.ends_with(b"\r\n\r\n") {
                break;
            }
            if head.len() > 64 * 1024 {
                bail!("reply headers too long");
            }
        }
        let head = String::from_utf8_lossy(&head);
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("bad status line: {head}"))?;
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .ok_or_else(|| anyhow!("reply without Content-Length"))?;
        let mut body = vec![0; len];
        self.stream.read_exact(&mut body).await?;
        Ok((status, body))
    }
}

#[derive(Default)]
struct Published {
    ok: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
    last_error: Mutex<Option<String>>,
}

fn percentile(hist: &[u64], total: u64, p: f64) -> usize {
    if total == 0 {
        return 0;
    }
    let want = ((total as f64) * p).ceil().max(1.0) as u64;
    let mut acc = 0;
    for (ms, n) in hist.iter().enumerate() {
        acc += n;
        if acc >= want {
            return ms;
        }
    }
    hist.len() - 1
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let addr = args
        .url
        .trim_end_matches('/')
        .strip_prefix("http://")
        .ok_or_else(|| anyhow!("--url must be http://HOST:PORT"))?
        .to_string();
    let ws_url = format!("ws://{addr}/ws");
    let window = Arc::new(Window {
        start_ms: AtomicU64::new(0),
        end_ms: AtomicU64::new(0),
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    // 1. Clients, 50 connecting at a time.
    let t0 = Instant::now();
    let ready = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        handles.push(tokio::spawn(client(
            ws_url.clone(),
            args.key.clone(),
            window.clone(),
            ready.clone(),
            stop_rx.clone(),
        )));
        if i % 50 == 49 {
            while ready.load(Ordering::SeqCst) + 50 < i as u64 + 1 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while (ready.load(Ordering::SeqCst) as usize) < args.clients {
        if Instant::now() > deadline {
            bail!(
                "only {} of {} clients were welcomed within 60 s",
                ready.load(Ordering::SeqCst),
                args.clients
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!(
        "[{}] {} clients connected in {:.1} s; publishing {} events/s: {} s warm-up, {} s measured",
        args.label,
        args.clients,
        t0.elapsed().as_secs_f64(),
        args.rate,
        args.warmup,
        args.duration
    );

    // 2. Publishers: a fixed schedule shared by a few keep-alive connections.
    let published = Arc::new(Published::default());
    let (job_tx, job_rx) = tokio::sync::mpsc::channel::<u64>(args.rate as usize * 2 + 16);
    let job_rx = Arc::new(tokio::sync::Mutex::new(job_rx));
    let mut workers = vec![];
    for _ in 0..args.publishers.max(1) {
        let mut http = Http::connect(&addr, args.key.as_deref()).await?;
        let rx = job_rx.clone();
        let p = published.clone();
        let sensor = args.sensor.clone();
        let key = args.key.clone();
        workers.push(tokio::spawn(async move {
            loop {
                let Some(n) = rx.lock().await.recv().await else {
                    break;
                };
                // A normal value that changes every time (one event each).
                let value = 1.0 + (n % 50) as f64 / 10.0;
                let body = format!(r#"{{"readings":[{{"sensor":"{sensor}","value":{value}}}]}}"#);
                match http.post("/api/readings", &body).await {
                    Ok((s, _)) if (200..300).contains(&s) => {
                        p.ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok((s, b)) => {
                        p.refused.fetch_add(1, Ordering::Relaxed);
                        *p.last_error.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(format!("{s}: {}", String::from_utf8_lossy(&b)));
                    }
                    Err(e) => {
                        p.errors.fetch_add(1, Ordering::Relaxed);
                        *p.last_error.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(e.to_string());
                        match Http::connect(&http.host.clone(), key.as_deref()).await {
                            Ok(h) => http = h,
                            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                        }
                    }
                }
            }
        }));
    }
    let period = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
    let total = args.rate as u64 * (args.warmup + args.duration);
    let warm_jobs = args.rate as u64 * args.warmup;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let pub_start = Instant::now();
    let mut measured_from = pub_start;
    let mut dropped_jobs = 0u64;
    for n in 0..total {
        tick.tick().await;
        if n == warm_jobs {
            window.start_ms.store(now_ms() as u64, Ordering::SeqCst);
            measured_from = Instant::now();
        }
        if job_tx.try_send(n).is_err() {
            dropped_jobs += 1;
        }
    }
    window.end_ms.store(now_ms() as u64, Ordering::SeqCst);
    let measured = measured_from.elapsed().as_secs_f64();
    drop(job_tx);
    for w in workers {
        let _ = w.await;
    }
    let publish_secs = pub_start.elapsed().as_secs_f64();
    // Let the last events arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_tx.send_replace(true);
    let mut results = vec![];
    for h in handles {
        if let Ok(r) = h.await {
            results.push(r);
        }
    }

    // 3. Report.
    let mut hist = vec![0u64; BUCKETS];
    let mut delivered = 0u64;
    let mut max_ms = 0i64;
    let (mut gaps, mut dups, mut resyncs, mut dropped, mut incomplete) =
        (0u64, 0u64, 0u64, 0usize, 0usize);
    // The window's seqs, as the clients agree on them.
    let first = results.iter().filter_map(|r| r.first).min().unwrap_or(0);
    let last = results.iter().filter_map(|r| r.last).max().unwrap_or(0);
    let expected = if last >= first && last > 0 {
        last - first + 1
    } else {
        0
    };
    let mut errors = std::collections::BTreeMap::<String, usize>::new();
    for r in &results {
        for (i, n) in r.hist.iter().enumerate() {
            hist[i] += *n as u64;
        }
        delivered += r.in_window;
        max_ms = max_ms.max(r.max_ms);
        gaps += r.gaps;
        dups += r.duplicates;
        resyncs += r.resyncs;
        dropped += r.dropped as usize;
        if r.in_window != expected {
            incomplete += 1;
        }
        if let Some(e) = &r.error {
            *errors.entry(e.clone()).or_default() += 1;
        }
    }
    let p = |q| percentile(&hist, delivered, q);
    let ok = published.ok.load(Ordering::Relaxed);
    println!(
        "{label}: clients={clients} rate={rate}/s measured={measured:.1}s | accepted={ok} refused={refused} http_errors={herr} unsent={dropped_jobs} publish_rate={prate:.0}/s | events_in_window={expected} delivered={delivered} ({dps:.0} msg/s) | latency ms p50={p50} p99={p99} p99.9={p999} max={max_ms} | gaps={gaps} duplicates={dups} resyncs={resyncs} dropped_clients={dropped} incomplete_clients={incomplete}",
        label = args.label,
        clients = args.clients,
        rate = args.rate,
        refused = published.refused.load(Ordering::Relaxed),
        herr = published.errors.load(Ordering::Relaxed),
        prate = ok as f64 / publish_secs.max(1e-9),
        dps = delivered as f64 / measured.max(1e-9),
        p50 = p(0.50),
        p99 = p(0.99),
        p999 = p(0.999),
    );
    if let Some(e) = published
        .last_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
    {
        eprintln!("[{}] last publish error: {e}", args.label);
    }
    for (e, n) in errors {
        eprintln!("[{}] {n} clients: {e}", args.label);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_seq_and_at_ms() {
        let t = r#"{"type":"event","seq":42,"at_ms":1700000000123,"change":{"kind":"readings"}}"#;
        assert_eq!(event_fields(t), Some((42, 1_700_000_000_123)));
        assert_eq!(event_fields(r#"{"type":"heartbeat","head":1}"#), None);
    }
}
