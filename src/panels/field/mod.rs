//! The field mode's panels (`layouts/field.rs`), one per file: the status
//! line (`bar`), the map's buttons (`buttons`), the pull-up sheet
//! (`sheet`) and what it shows — where I am and the nearest items
//! (`list`), one item (`item`), the report form (`report`), the outbox
//! (`outbox`). Each takes the app's state and the field's from context.

pub mod bar;
pub mod buttons;
pub mod item;
pub mod list;
pub mod outbox;
pub mod report;
pub mod sheet;

use crate::field::Field;
use leptos::prelude::*;

/// The field mode's state, as `field::start` provided it.
pub fn use_field() -> Field {
    expect_context::<Field>()
}
