//! The simulator (`--simulate`): believable live activity through exactly
//! the path real input takes. It builds the same [`Command`]s the HTTP
//! handlers build (cases through [`intake::prepare_case`], the shared
//! locate-and-route step) and runs them with [`Live::execute`].
//!
//! - **Clock.** The simulator keeps its own clock, starting at the real now
//!   and running `time_factor` times faster; it drives the daily rhythm, the
//!   scenarios and the departments' delays. Records carry the server's wall
//!   clock (what the store would see from real input), so a fast simulation
//!   compresses a day's activity into less time without writing the future.
//! - **Readings**: a batch every 5 simulated seconds (at least 0.5 s of
//!   wall time apart at high factors) carrying the sensors that are due, as
//!   real devices report: each about once a simulated minute (its own period,
//!   55–65 s, phases spread), every 10 s while it is in a storm or gas-leak
//!   scenario or near/over its warn threshold; values with noise around its
//!   seeded value.
//! - **Rainstorm** (the first 5 simulated minutes in, then every 8–20 h):
//!   rain intensity rises and falls over two hours; rainfall sensors follow
//!   it, water-level sensors follow it with a lag, most in low-lying and
//!   drainage zones (past warn and alarm), less in rivers and reservoirs, and
//!   alerts raise and clear through the hysteresis of `next_level`.
//! - **Gas leak** (40 simulated minutes in, then every 4–10 h): one gas
//!   sensor climbs past alarm and falls back over half an hour.
//! - **Cases**: ~2,700 a day at factor 1, spread over the day with the
//!   generator's hourly weights (quiet at night, peaks mid-morning and
//!   mid-afternoon), at random points inside grids weighted by population,
//!   categories by `category_shares` of dispatch_rules.json, a third with a
//!   rule keyword in the description.
//! - **Departments** move the simulator's cases, and up to 300 open cases
//!   found at start, along the status path; a few are returned or escalated.
//!
//! Deterministic for a seed: every choice comes from one seeded RNG in tick
//! order (only wall-clock timing varies).
//!
//! Files: `simulator.rs` (the deterministic state machine: what happens at
//! each tick), `texts.rs` (case descriptions), `setup.rs` (sensors and
//! category shares read from the data directory), `run.rs` (the task that
//! ticks the simulator and runs its commands on the live service).

pub mod run;
pub mod setup;
pub mod simulator;
#[cfg(test)]
mod tests;
pub mod texts;

pub use run::{run, SimConfig};
pub use setup::{category_shares, sim_sensors};
pub use simulator::{
    SimSensor, SimStats, Simulator, CASES_PER_DAY, HOUR_WEIGHTS, READING_INTERVAL, REPORT_EVERY,
    REPORT_EVERY_ACTIVE, REPORT_JITTER,
};
