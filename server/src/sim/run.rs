//! The simulator task: ticks the [`Simulator`] on its own clock and runs its
//! commands on the live service, the same path as real input.

use super::setup::{category_shares, sim_sensors};
use super::simulator::{SimStats, Simulator, READING_INTERVAL};
use crate::live::Live;
use crate::store::{CaseQuery, Command};
use pingan_model::domain::CaseStatus;
use pingan_model::live::Change;
use std::sync::Arc;
use std::time::Duration;

/// How the simulator runs (`--simulate`, `--sim-factor`, `--sim-seed`).
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Simulated seconds per wall second.
    pub time_factor: f64,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            time_factor: 1.0,
            seed: 2026,
        }
    }
}

/// Runs the simulator until the task is dropped.
pub async fn run(state: crate::AppState, cfg: SimConfig) {
    let live: Arc<Live> = state.live().clone();
    let data_dir = state.config().data_dir.clone();
    let factor = if cfg.time_factor.is_finite() && cfg.time_factor > 0.0 {
        cfg.time_factor
    } else {
        1.0
    };
    let store = live.store().clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let snap = store.snapshot()?;
        let open = store.cases(&CaseQuery {
            status: CaseStatus::ALL
                .iter()
                .copied()
                .filter(|s| s.is_open())
                .collect(),
            limit: 300,
            ..CaseQuery::default()
        })?;
        Ok::<_, crate::store::StoreError>((snap, open))
    })
    .await;
    let (snap, open) = match loaded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "simulator: cannot read the store; not simulating");
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "simulator: start-up task failed; not simulating");
            return;
        }
    };
    let sensors = sim_sensors(&data_dir, &snap.sensors, cfg.seed);
    let shares = category_shares(&data_dir);
    let start = crate::clock::now_ms() as f64 / 1000.0;
    let mut sim = Simulator::new(
        cfg.seed,
        start,
        state.grids().clone(),
        state.rules().cloned(),
        sensors,
        shares,
    );
    for c in &open {
        sim.schedule(
            c.id,
            c.status,
            (c.deadline - c.reported_at).max(3600) as f64,
        );
    }
    tracing::info!(
        time_factor = factor,
        seed = cfg.seed,
        sensors = snap.sensors.len(),
        open_cases = open.len(),
        "simulator started"
    );
    let wall = (READING_INTERVAL / factor).clamp(0.5, READING_INTERVAL);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(wall));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stats = SimStats::default();
    let mut last_log = std::time::Instant::now();
    loop {
        ticker.tick().await;
        let now = crate::clock::now_s();
        for cmd in sim.step(wall * factor, now) {
            let kind = match &cmd {
                Command::Readings { readings, .. } => {
                    stats.reading_batches += 1;
                    stats.readings += readings.len() as u64;
                    "readings"
                }
                Command::ReportCase(_) => "case",
                Command::Transition { .. } => "transition",
                _ => "other",
            };
            match live.execute(cmd).await {
                Ok(events) => {
                    for e in &events {
                        match &e.change {
                            Change::CaseReported { case } => {
                                stats.cases += 1;
                                sim.reported(case);
                            }
                            Change::CaseTransitioned { .. } => stats.transitions += 1,
                            Change::Alert { change, .. } => match change {
                                pingan_model::live::AlertChange::Raised => stats.alerts_raised += 1,
                                pingan_model::live::AlertChange::Cleared => {
                                    stats.alerts_cleared += 1
                                }
                                _ => {}
                            },
                            _ => {}
                        }
                    }
                }
                Err(e) => {
                    // A person may have moved the case meanwhile: drop it.
                    stats.failed += 1;
                    tracing::debug!(error = %e, kind, "simulator: command refused");
                }
            }
        }
        if last_log.elapsed() >= Duration::from_secs(60) {
            last_log = std::time::Instant::now();
            tracing::info!(
                sim_time = %pingan_model::time::format_cst(sim.clock as i64),
                storm = format_args!("{:.2}", sim.storm()),
                reading_batches = stats.reading_batches,
                readings = stats.readings,
                cases = stats.cases,
                transitions = stats.transitions,
                alerts_raised = stats.alerts_raised,
                alerts_cleared = stats.alerts_cleared,
                refused = stats.failed,
                waiting = sim.pending(),
                head = live.hub().head(),
                "simulator: last minute"
            );
            stats = SimStats::default();
        }
    }
}
