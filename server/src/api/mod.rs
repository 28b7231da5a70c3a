//! The live HTTP API: cases, transitions, readings, alerts, hazard status,
//! the live snapshot, wall scenes and KPIs, photos, one file per resource. Every handler takes its inputs
//! through the extractors of `extract.rs` (path ids, the acting [`Actor`],
//! the JSON body), validates them into a [`Command`] (or a query) and hands
//! it to the store through [`crate::live::Live`]; every failure is an
//! [`ApiError`] whose `detail` names the offending field. A rejected request
//! stores nothing: all validation happens before the command runs, and a
//! command that fails in the store rolls its transaction back. The endpoints
//! and their methods are listed once, in `routes.rs`, each with the
//! permission it needs (checked by `guard.rs` before the handler runs;
//! `session.rs` signs in and out, `admin.rs` manages accounts). See docs/api.md.
//!
//! [`Actor`]: crate::store::Actor
//! [`Command`]: crate::store::Command
//! [`ApiError`]: crate::error::ApiError

pub mod admin;
pub mod audit;
pub mod cases;
pub mod common;
pub mod contacts;
pub mod extract;
pub mod guard;
pub mod hazards;
pub mod kpi;
pub mod photos;
pub mod routes;
pub mod sensors;
pub mod session;
pub mod snapshot;
pub mod status;
pub mod walls;
