//! # pingan-model
//!
//! The pure core of Ping'an Map (平安地图), shared by the browser app, the
//! server and the data generator. No web-sys, leptos or tokio: everything here
//! compiles for `wasm32-unknown-unknown` and native, and is tested natively.
//!
//! - [`access`]: roles, permissions and the audience responses are masked for.
//! - [`domain`]: code sets (case categories, departments, statuses, hazard
//!   types, park tiers, risk domains) with Chinese/English labels; masking.
//! - [`geojson_io`]: validating GeoJSON reader, RFC 7946 writer.
//! - [`projection`]: Web Mercator world coordinates, GCJ-02 ⇄ WGS84, BD-09.
//! - [`navigate`]: direction and distance as read in the street, hand-off
//!   links to a phone's map app.
//! - [`field`]: the officers' phone mode: exact nearest items, the position
//!   policy (accuracy, recompute, stillness), the offline outbox's states.
//! - [`flight`]: camera flights as pure functions of progress (the desk's
//!   eased flight, van Wijk–Nuij smooth zoom and pan for the wall).
//! - [`index`]: R-tree point and area indexes.
//! - [`aggregate`]: screen-space binning of points for low zooms.
//! - [`cases`]: the case record and its compact binary file format.
//! - [`layers`]: the layer catalogue and the manifest served to the app.
//! - [`analysis`]: choropleth classes, green coverage, the 300 m/500 m standard.
//! - [`labels`]: readable labels for property keys.
//! - [`label_point`]: where a polygon's label goes (geo's interior point).
//! - [`live`]: live entities, the event log and WebSocket protocol, status
//!   machine, sensor thresholds with hysteresis, dispatch rules.
//! - [`lod`]: level of detail (effective zoom, bins, badges, hidden points)
//!   shared by drawing and hit testing.
//! - [`time`]: China Standard Time formatting.
//! - [`viewport`]: the camera (pan/zoom/fit maths), scale bar, URL view state.
//! - [`wall`]: the command-centre wall: its URL, KPIs, safety index, tiling
//!   of several screens, focus queue and tour, burn-in and dimming.

pub mod access;
pub mod aggregate;
pub mod analysis;
pub mod cases;
pub mod domain;
pub mod field;
pub mod flight;
pub mod geojson_io;
pub mod index;
pub mod label_point;
pub mod labels;
pub mod layers;
pub mod live;
pub mod lod;
pub mod navigate;
pub mod privacy;
pub mod projection;
pub mod time;
pub mod viewport;
pub mod wall;
