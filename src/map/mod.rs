//! The map: the canvas element and its gestures (`canvas`, `gestures`), one
//! frame's drawing and its counters (`draw`), camera flights (`flight`) and
//! loading the layers (`loader`).

pub mod canvas;
pub mod draw;
pub mod flight;
pub mod gestures;
pub mod loader;
