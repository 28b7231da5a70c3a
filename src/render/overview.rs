//! The overview picture: a half-resolution copy of the base and points
//! surfaces taken when they were rendered at the lowest zoom seen so far
//! (the district as the wall rests on it, or a desk's first view). A moving
//! camera draws it, placed, where the surfaces it zooms out of or pans past
//! leave the screen bare; it is never what a settled frame shows.

use super::surface::{ctx_of, Placement};
use pingan_model::projection::World;
use pingan_model::viewport::Camera;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d as Ctx, HtmlCanvasElement};

/// The copy's resolution relative to the surfaces'.
const SCALE: f64 = 0.5;

/// A copy taken at a zoom at most this much above the last one replaces it
/// (fresher data over the same extent).
const REPLACE_LEVELS: f64 = 0.25;

pub struct Overview {
    canvas: HtmlCanvasElement,
    ctx: Ctx,
    /// What the copy shows: centre, zoom, size (CSS px), DPR, base version.
    taken: Option<(World, f64, [f64; 2], f64, u64)>,
}

impl Overview {
    pub fn new(doc: &web_sys::Document) -> Option<Overview> {
        let canvas: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
        let ctx = ctx_of(&canvas)?;
        Some(Overview {
            canvas,
            ctx,
            taken: None,
        })
    }

    /// Whether a copy of surfaces rendered now (at `cam`) should replace it.
    pub fn wants(&self, cam: &Camera, dpr: f64, base_version: u64) -> bool {
        match self.taken {
            None => true,
            Some((_, zoom, _, d, version)) => {
                d != dpr || version != base_version || cam.zoom <= zoom + REPLACE_LEVELS
            }
        }
    }

    /// Copies the base surface (rendered as `big`, the screen's camera grown
    /// by the margin) and the points picture where it lands (`points`: its
    /// image and placement on the screen whose base placement is `base_at`).
    pub fn take(
        &mut self,
        base: &HtmlCanvasElement,
        big: &Camera,
        base_at: &Placement,
        points: Option<(&HtmlCanvasElement, Placement)>,
        dpr: f64,
        base_version: u64,
    ) {
        let (w, h) = (
            (base.width() as f64 * SCALE).round() as u32,
            (base.height() as f64 * SCALE).round() as u32,
        );
        if w == 0 || h == 0 {
            return;
        }
        if self.canvas.width() != w || self.canvas.height() != h {
            self.canvas.set_width(w);
            self.canvas.set_height(h);
        } else {
            self.ctx.clear_rect(0.0, 0.0, w as f64, h as f64);
        }
        let (w, h) = (w as f64, h as f64);
        let _ = self
            .ctx
            .draw_image_with_html_canvas_element_and_dw_and_dh(base, 0.0, 0.0, w, h);
        if let Some((img, at)) = points {
            // Points image → screen → base image → this copy.
            let k = at.k / base_at.k * SCALE;
            let tx = (at.tx - base_at.tx) / base_at.k * SCALE;
            let ty = (at.ty - base_at.ty) / base_at.k * SCALE;
            let _ = self.ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
                img,
                tx,
                ty,
                img.width() as f64 * k,
                img.height() as f64 * k,
            );
        }
        // Rasterised now (a 1-pixel read flushes the canvas), in the frame
        // that rendered the surfaces, not in the first moving frame.
        let _ = self.ctx.get_image_data(0.0, 0.0, 1.0, 1.0);
        self.taken = Some((
            big.center,
            big.zoom,
            [big.width, big.height],
            dpr,
            base_version,
        ));
    }

    /// Where the copy lands for `cam`, if it shows the current base data at
    /// this DPR; the placement is for the copy's own (half-size) pixels.
    pub fn placement(&self, cam: &Camera, dpr: f64, base_version: u64) -> Option<Placement> {
        let (center, zoom, size, d, version) = self.taken?;
        if d != dpr || version != base_version {
            return None;
        }
        let at = Placement::of(center, zoom, size, cam, dpr);
        Some(Placement {
            k: at.k / SCALE,
            ..at
        })
    }

    pub fn canvas(&self) -> &HtmlCanvasElement {
        &self.canvas
    }
}
