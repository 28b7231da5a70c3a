//! A cached surface: an offscreen canvas holding some layers rendered around
//! the viewport with a margin, blitted at the pan offset every frame, and
//! re-rendered only when its key changes or the pan runs past the margin.

use pingan_model::layers::LayerId;
use pingan_model::projection::World;
use pingan_model::viewport::Camera;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d as Ctx, HtmlCanvasElement};

/// Extra pixels rendered around the viewport on a surface.
pub const MARGIN: f64 = 320.0;

/// (layer, features or bins drawn) per layer a surface shows.
pub type Drawn = Vec<(LayerId, usize)>;

/// Sizes `canvas` to the camera in device pixels (only if it differs:
/// setting a size clears it); returns that size.
pub fn fit_canvas(canvas: &HtmlCanvasElement, cam: &Camera, dpr: f64) -> (u32, u32) {
    let (pw, ph) = (
        (cam.width * dpr).round() as u32,
        (cam.height * dpr).round() as u32,
    );
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    (pw, ph)
}

pub fn ctx_of(c: &HtmlCanvasElement) -> Option<Ctx> {
    c.get_context("2d").ok().flatten()?.dyn_into::<Ctx>().ok()
}

/// What a cached surface was rendered for; any difference (or a pan past the
/// margin) makes it stale.
#[derive(Clone, Copy, PartialEq)]
pub struct SurfaceKey {
    zoom: f64,
    width: f64,
    height: f64,
    dpr: f64,
    pub version: u64,
}

/// An offscreen canvas holding some layers rendered around the viewport with
/// `MARGIN` pixels to spare, blitted at the pan offset every frame.
pub struct Surface {
    pub canvas: HtmlCanvasElement,
    pub ctx: Ctx,
    pub key: Option<SurfaceKey>,
    center: World,
    pub drawn: Drawn,
}

impl Surface {
    pub fn new(doc: &web_sys::Document) -> Option<Surface> {
        let canvas: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
        let ctx = ctx_of(&canvas)?;
        Some(Surface {
            canvas,
            ctx,
            key: None,
            center: World::default(),
            drawn: Vec::new(),
        })
    }

    /// Whether the surface was rendered for this camera (zoom, size, DPR)
    /// and the pan is still within its margin: only its data may be stale.
    pub fn fits(&self, cam: &Camera, dpr: f64) -> bool {
        let Some(k) = self.key else { return false };
        let s = cam.scale();
        let (ox, oy) = (
            (self.center.x - cam.center.x) * s,
            (self.center.y - cam.center.y) * s,
        );
        k.zoom == cam.zoom
            && k.width == cam.width
            && k.height == cam.height
            && k.dpr == dpr
            && ox.abs() <= MARGIN - 4.0
            && oy.abs() <= MARGIN - 4.0
    }

    /// The camera the surface was rendered with (the screen's, grown by the margin).
    pub fn camera(&self, cam: &Camera) -> Camera {
        Camera {
            center: self.center,
            width: cam.width + 2.0 * MARGIN,
            height: cam.height + 2.0 * MARGIN,
            ..*cam
        }
    }

    /// Re-renders with `render` if stale; returns whether it did.
    pub fn ensure(
        &mut self,
        cam: &Camera,
        dpr: f64,
        version: u64,
        render: impl FnOnce(&Ctx, &Camera, &mut Drawn),
    ) -> bool {
        let key = SurfaceKey {
            zoom: cam.zoom,
            width: cam.width,
            height: cam.height,
            dpr,
            version,
        };
        let s = cam.scale();
        let (ox, oy) = (
            (self.center.x - cam.center.x) * s,
            (self.center.y - cam.center.y) * s,
        );
        if self.key == Some(key) && ox.abs() <= MARGIN - 4.0 && oy.abs() <= MARGIN - 4.0 {
            return false;
        }
        let big = Camera {
            width: cam.width + 2.0 * MARGIN,
            height: cam.height + 2.0 * MARGIN,
            ..*cam
        };
        let (pw, ph) = fit_canvas(&self.canvas, &big, dpr);
        let _ = self.ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        self.ctx.clear_rect(0.0, 0.0, pw as f64, ph as f64);
        let _ = self.ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        self.drawn.clear();
        render(&self.ctx, &big, &mut self.drawn);
        self.key = Some(key);
        self.center = cam.center;
        true
    }

    /// Draws the visible part of the surface onto `ctx` (identity transform)
    /// at the pan offset; only the viewport's pixels are copied.
    pub fn blit(&self, ctx: &Ctx, cam: &Camera, dpr: f64) {
        let s = cam.scale();
        let (ox, oy) = (
            (self.center.x - cam.center.x) * s,
            (self.center.y - cam.center.y) * s,
        );
        let (sx, sy) = (((MARGIN - ox) * dpr).round(), ((MARGIN - oy) * dpr).round());
        let (w, h) = ((cam.width * dpr).round(), (cam.height * dpr).round());
        let _ = ctx.draw_image_with_html_canvas_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
            &self.canvas,
            sx,
            sy,
            w,
            h,
            0.0,
            0.0,
            w,
            h,
        );
    }
}
