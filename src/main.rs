//! Ping'an Map (平安地图): the browser app. A thin shell around
//! `pingan-model`: signals own the data, one Effect owns the canvas.

mod app;
mod data;
mod i18n;
mod inspect;
mod layers;
mod live;
mod render;
mod style;
mod sync;
mod wire;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
