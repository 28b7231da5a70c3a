//! The Geolocation API, watched: each position becomes a model `Fix`, each
//! failure a `GeoStatus` (denied, unavailable, timed out). The watch is a
//! value that clears itself when dropped; `Precision` chooses the options
//! (high accuracy while the officer moves; coarse, with cached fixes up to a
//! minute old, while still — the battery rule of issue 10).

use pingan_model::field::position::Fix;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// What the position source is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeoStatus {
    /// Asked; no answer yet.
    Waiting,
    /// Fixes arrive.
    Watching,
    /// The officer (or the browser) refused the permission.
    Denied,
    /// The device has no fix (indoors, a basement) or it timed out.
    Unavailable,
    /// No Geolocation API (or not a secure page).
    Unsupported,
}

/// How precisely to watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// While moving: GNSS, fresh fixes.
    High,
    /// While still: network position, fixes up to a minute old.
    Low,
}

/// A running `watchPosition`; dropping it clears the watch.
pub struct Watch {
    id: i32,
    geo: web_sys::Geolocation,
    _ok: Closure<dyn FnMut(web_sys::Position)>,
    _err: Closure<dyn FnMut(web_sys::PositionError)>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.geo.clear_watch(self.id);
    }
}

/// Starts watching; `on_fix` gets each position, `on_status` each change of
/// state. `None` (after telling `on_status` Unsupported) without the API.
pub fn watch(
    precision: Precision,
    mut on_fix: impl FnMut(Fix) + 'static,
    on_status: impl Fn(GeoStatus) + 'static,
) -> Option<Watch> {
    let geo = web_sys::window().and_then(|w| w.navigator().geolocation().ok());
    let Some(geo) = geo else {
        on_status(GeoStatus::Unsupported);
        return None;
    };
    let on_status = std::rc::Rc::new(on_status);
    let st = on_status.clone();
    let ok = Closure::<dyn FnMut(web_sys::Position)>::new(move |p: web_sys::Position| {
        let c = p.coords();
        let fix = Fix {
            lon: c.longitude(),
            lat: c.latitude(),
            accuracy_m: c.accuracy(),
            heading: c.heading().filter(|h| h.is_finite()),
            speed: c.speed().filter(|s| s.is_finite()),
            at_ms: p.timestamp(),
        };
        st(GeoStatus::Watching);
        on_fix(fix);
    });
    let st = on_status.clone();
    let err =
        Closure::<dyn FnMut(web_sys::PositionError)>::new(move |e: web_sys::PositionError| {
            st(match e.code() {
                1 => GeoStatus::Denied,
                _ => GeoStatus::Unavailable,
            });
        });
    let opts = web_sys::PositionOptions::new();
    match precision {
        Precision::High => {
            opts.set_enable_high_accuracy(true);
            opts.set_maximum_age(5_000);
        }
        Precision::Low => {
            opts.set_enable_high_accuracy(false);
            opts.set_maximum_age(60_000);
        }
    }
    opts.set_timeout(30_000);
    let id = geo
        .watch_position_with_error_callback_and_options(
            ok.as_ref().unchecked_ref(),
            Some(err.as_ref().unchecked_ref()),
            &opts,
        )
        .ok()?;
    Some(Watch {
        id,
        geo,
        _ok: ok,
        _err: err,
    })
}
