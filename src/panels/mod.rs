//! The panels, one component per file; every layout composes them. Each
//! takes the app's state from context (`state::use_app`), none as a prop.

pub mod account;
pub mod actions;
pub mod clock;
pub mod conn;
pub mod contacts;
pub mod controls;
pub mod details;
pub mod field;
pub mod layers;
pub mod live_panel;
pub mod login;
pub mod progress;
pub mod show_on_wall;
pub mod status_bar;
pub mod tooltip;
pub mod topbar;
pub mod wall;
