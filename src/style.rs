//! The visual vocabulary the layers are drawn and explained with: the map's
//! background, point symbols, and legend items. Each layer's own colours
//! and symbols are in its file under `layers/`, which builds both its
//! drawing and its legend, so the map and its legend cannot disagree.

pub const BACKGROUND: &str = "#07101f";

/// A point symbol (a layer's look for one class and state), in CSS pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Symbol {
    /// A circle of radius `r`, with an optional ring (colour, width).
    Circle {
        r: f64,
        fill: &'static str,
        ring: Option<(&'static str, f64)>,
    },
    /// An axis-aligned square of side `2r` with a dark outline.
    Square { r: f64, fill: &'static str },
    /// A diamond of half-diagonal `r`.
    Diamond { r: f64, fill: &'static str },
}

/// One legend entry: a swatch and its text.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendItem {
    pub swatch: Swatch,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Swatch {
    Fill(String),
    Line(String),
    Dot { fill: String, ring: Option<String> },
}

/// A dot swatch.
pub fn dot(fill: &str, ring: Option<&str>, text: impl Into<String>) -> LegendItem {
    LegendItem {
        swatch: Swatch::Dot {
            fill: fill.into(),
            ring: ring.map(Into::into),
        },
        text: text.into(),
    }
}
