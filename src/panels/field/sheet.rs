//! The pull-up sheet under the field map: a handle to drag (or tap) between
//! three heights — peek (where I am and the first items), half, full — and
//! what it shows (`field::View`): the nearest list, one item, the report
//! form, the outbox. Selecting an item on the map or in the list opens it.

use super::{item::ItemView, list::NearList, outbox::OutboxView, report::ReportForm, use_field};
use crate::field::{Sheet as Height, View};
use crate::state::use_app;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;

/// A drag on the handle longer than this (px) moves the sheet a step.
const SWIPE_PX: f64 = 30.0;

#[component]
pub fn Sheet() -> impl IntoView {
    let state = use_app();
    let f = use_field();
    // A selection (a tap on the map, a row of the list) shows the item.
    Effect::new(move |_| {
        if state.selected.get().is_some() {
            f.view.set(View::Item);
            if f.sheet.get_untracked() == Height::Peek {
                f.sheet.set(Height::Half);
            }
        } else if f.view.get_untracked() == View::Item {
            f.view.set(View::List);
        }
    });
    let start: Rc<Cell<Option<f64>>> = Rc::new(Cell::new(None));
    let s1 = start.clone();
    let down = move |ev: web_sys::PointerEvent| s1.set(Some(ev.client_y() as f64));
    let up = move |ev: web_sys::PointerEvent| {
        let Some(y0) = start.take() else { return };
        let dy = ev.client_y() as f64 - y0;
        f.sheet.update(|s| {
            *s = if dy < -SWIPE_PX {
                s.up()
            } else if dy > SWIPE_PX {
                s.down()
            } else if *s == Height::Full {
                Height::Peek
            } else {
                s.up()
            }
        });
    };
    let height = move || format!("{:?}", f.sheet.get()).to_lowercase();
    view! {
        <section class="sheet" data-testid="sheet" data-height=height>
            <button
                class="handle"
                data-testid="sheet-handle"
                aria-label=move || state.lang.get().pick("拉起或收起", "Pull up or down")
                on:pointerdown=down
                on:pointerup=up
            ><span></span></button>
            <div class="sheet-body">
                {move || match f.view.get() {
                    View::List => view! { <NearList/> }.into_any(),
                    View::Item => view! { <ItemView/> }.into_any(),
                    View::Report => view! { <ReportForm/> }.into_any(),
                    View::Outbox => view! { <OutboxView/> }.into_any(),
                }}
            </div>
        </section>
    }
}
