//! A cached surface: a canvas holding some layers rendered around the
//! viewport with a margin, shown as a layer of the page moved by a CSS
//! transform (`show_layer`: panning only moves it, in whole device pixels),
//! and re-rendered only when its key changes or the pan runs past the
//! margin. While the camera moves (a flight, a zoom), a surface rendered for
//! another camera is shown scaled and translated to the current one
//! ([`Surface::placement`]) instead of being re-rendered.

use pingan_model::layers::LayerId;
use pingan_model::projection::{pixels_per_world_unit, World};
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

    /// Where the surface lands when drawn for `cam` as it is (rendered for
    /// another zoom or centre): `None` before its first render or at another
    /// device pixel ratio.
    pub fn placement(&self, cam: &Camera, dpr: f64) -> Option<Placement> {
        let k = self.key.filter(|k| k.dpr == dpr)?;
        Some(Placement::of(
            self.center,
            k.zoom,
            [k.width + 2.0 * MARGIN, k.height + 2.0 * MARGIN],
            cam,
            dpr,
        ))
    }

    /// The zoom the surface was rendered at.
    pub fn zoom(&self) -> Option<f64> {
        self.key.map(|k| k.zoom)
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

    /// Draws again the parts `rects` (CSS pixels of the surface's camera)
    /// of a surface that fits `cam`: each is filled with `background` (the
    /// surface is opaque), clipped to, and `draw` called with the surface's
    /// camera and the rectangle; the surface then shows `version`.
    pub fn patch(
        &mut self,
        cam: &Camera,
        dpr: f64,
        version: u64,
        background: &str,
        rects: &[[f64; 4]],
        mut draw: impl FnMut(&Ctx, &Camera, [f64; 4]),
    ) {
        let big = self.camera(cam);
        let (cw, ch) = (self.canvas.width() as f64, self.canvas.height() as f64);
        let ctx = &self.ctx;
        for r in rects {
            let x0 = (r[0] * dpr).floor().max(0.0);
            let y0 = (r[1] * dpr).floor().max(0.0);
            let x1 = (r[2] * dpr).ceil().min(cw);
            let y1 = (r[3] * dpr).ceil().min(ch);
            if x1 <= x0 || y1 <= y0 {
                continue;
            }
            ctx.save();
            let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
            ctx.begin_path();
            ctx.rect(x0, y0, x1 - x0, y1 - y0);
            ctx.clip();
            ctx.set_fill_style_str(background);
            ctx.fill_rect(x0, y0, x1 - x0, y1 - y0);
            let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
            draw(ctx, &big, [x0 / dpr, y0 / dpr, x1 / dpr, y1 / dpr]);
            ctx.restore();
        }
        if let Some(k) = self.key.as_mut() {
            k.version = version;
        }
    }

    /// Where the screen's top-left corner is on the surface (device pixels,
    /// rounded) when it fits the camera.
    pub fn blit_offset(&self, cam: &Camera, dpr: f64) -> (f64, f64) {
        let s = cam.scale();
        let (ox, oy) = (
            (self.center.x - cam.center.x) * s,
            (self.center.y - cam.center.y) * s,
        );
        (((MARGIN - ox) * dpr).round(), ((MARGIN - oy) * dpr).round())
    }

    /// Where the surface lands for `cam`: in whole device pixels when it
    /// fits the camera (its margin around the screen), else `placement`.
    pub fn place_for(&self, cam: &Camera, dpr: f64) -> Option<Placement> {
        if self.fits(cam, dpr) {
            let (sx, sy) = self.blit_offset(cam, dpr);
            return Some(Placement {
                k: 1.0,
                tx: -sx,
                ty: -sy,
            });
        }
        self.placement(cam, dpr)
    }
}

/// How an image rendered for one camera lands on another, in device pixels:
/// screen = `k` · image + (`tx`, `ty`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    pub k: f64,
    pub tx: f64,
    pub ty: f64,
}

impl Placement {
    /// An image of `size` CSS pixels rendered centred on `center` at `zoom`,
    /// drawn for `cam` (both at `dpr`).
    pub fn of(center: World, zoom: f64, size: [f64; 2], cam: &Camera, dpr: f64) -> Placement {
        let s1 = cam.scale();
        let k = s1 / pixels_per_world_unit(zoom);
        // Image pixel p (device) → CSS p/dpr → world (p/dpr − size/2)/s0 + centre
        // → screen ((world − cam centre)·s1 + cam size/2)·dpr.
        Placement {
            k,
            tx: ((center.x - cam.center.x) * s1 + cam.width / 2.0) * dpr - k * size[0] / 2.0 * dpr,
            ty: ((center.y - cam.center.y) * s1 + cam.height / 2.0) * dpr - k * size[1] / 2.0 * dpr,
        }
    }

    /// The part of an image of `iw`×`ih` device pixels that lands within a
    /// screen of `sw`×`sh`: (source rect, destination rect), or `None`.
    pub fn visible(&self, iw: f64, ih: f64, sw: f64, sh: f64) -> Option<([f64; 4], [f64; 4])> {
        let (x0, y0) = ((-self.tx / self.k).max(0.0), (-self.ty / self.k).max(0.0));
        let (x1, y1) = (
            ((sw - self.tx) / self.k).min(iw),
            ((sh - self.ty) / self.k).min(ih),
        );
        if x1 <= x0 || y1 <= y0 {
            return None;
        }
        let src = [x0, y0, x1 - x0, y1 - y0];
        let dst = [
            self.k * x0 + self.tx,
            self.k * y0 + self.ty,
            self.k * (x1 - x0),
            self.k * (y1 - y0),
        ];
        Some((src, dst))
    }
}

/// Sets CSS properties through the CSSOM (the page's CSP refuses `style`
/// attributes; `style.setProperty` is not an inline style in its sense).
pub fn set_css(el: &web_sys::HtmlElement, props: &[(&str, &str)]) {
    let st = el.style();
    for (k, v) in props {
        let _ = st.set_property(k, v);
    }
}

/// Makes `canvas` a layer of the page moved by CSS transforms (see
/// [`show_layer`]): absolutely placed at its parent's top-left corner.
pub fn layer_style(canvas: &HtmlCanvasElement) {
    set_css(
        canvas,
        &[
            ("position", "absolute"),
            ("left", "0"),
            ("top", "0"),
            ("transform-origin", "0 0"),
            ("pointer-events", "none"),
            // No `will-change: transform`: in software compositing three
            // promoted layers of 12 MP cost ~1 s more to the first 4K frame
            // (measured); a moved layer is repainted, which is the browser's
            // work, not the frame's.
            ("visibility", "hidden"),
        ],
    );
}

/// Shows the layer `canvas` where `at` places it (device pixels → CSS
/// pixels at `dpr`), or hides it (`None`). `last` holds what was set, so an
/// unchanged layer costs no style change.
pub fn show_layer(canvas: &HtmlCanvasElement, at: Option<&Placement>, dpr: f64, last: &mut String) {
    let (w, h) = (canvas.width() as f64 / dpr, canvas.height() as f64 / dpr);
    let now = match at {
        Some(at) => format!(
            "{w}px {h}px translate({}px,{}px) scale({})",
            at.tx / dpr,
            at.ty / dpr,
            at.k
        ),
        None => String::from("hidden"),
    };
    if *last == now {
        return;
    }
    match at {
        Some(at) => set_css(
            canvas,
            &[
                ("width", &format!("{w}px")),
                ("height", &format!("{h}px")),
                (
                    "transform",
                    &format!(
                        "translate({}px,{}px) scale({})",
                        at.tx / dpr,
                        at.ty / dpr,
                        at.k
                    ),
                ),
                ("visibility", "visible"),
            ],
        ),
        None => set_css(canvas, &[("visibility", "hidden")]),
    }
    *last = now;
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::projection::to_world;

    fn cam(lon: f64, lat: f64, zoom: f64) -> Camera {
        Camera {
            center: to_world(lon, lat),
            zoom,
            width: 1920.0,
            height: 1080.0,
        }
    }

    /// A world point lands where the camera puts it, through the image.
    fn check(render: &Camera, size: [f64; 2], dpr: f64, now: &Camera) {
        let at = Placement::of(render.center, render.zoom, size, now, dpr);
        let image_cam = Camera {
            width: size[0],
            height: size[1],
            ..*render
        };
        for w in [to_world(113.85, 22.60), to_world(113.90, 22.55)] {
            let p = image_cam.to_screen([w.x, w.y]);
            let on_image = [p[0] * dpr, p[1] * dpr];
            let want = now.to_screen([w.x, w.y]);
            let got = [at.k * on_image[0] + at.tx, at.k * on_image[1] + at.ty];
            assert!((got[0] - want[0] * dpr).abs() < 1e-6, "{got:?} vs {want:?}");
            assert!((got[1] - want[1] * dpr).abs() < 1e-6, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn a_placed_image_puts_the_world_where_the_camera_does() {
        let render = cam(113.88, 22.57, 14.0);
        let size = [1920.0 + 2.0 * MARGIN, 1080.0 + 2.0 * MARGIN];
        check(&render, size, 1.0, &cam(113.88, 22.57, 14.0));
        check(&render, size, 1.0, &cam(113.86, 22.58, 15.3));
        check(&render, size, 2.0, &cam(113.90, 22.56, 12.2));
    }

    #[test]
    fn the_same_camera_places_the_image_at_its_margin() {
        let c = cam(113.88, 22.57, 14.0);
        let at = Placement::of(c.center, c.zoom, [1920.0 + 640.0, 1080.0 + 640.0], &c, 2.0);
        assert!((at.k - 1.0).abs() < 1e-12);
        assert!((at.tx + 640.0).abs() < 1e-6 && (at.ty + 640.0).abs() < 1e-6);
        let (src, dst) = at.visible(5120.0, 3440.0, 3840.0, 2160.0).unwrap();
        assert!((src[0] - 640.0).abs() < 1e-6 && (src[2] - 3840.0).abs() < 1e-6);
        assert!(dst[0].abs() < 1e-6 && (dst[2] - 3840.0).abs() < 1e-6);
    }

    #[test]
    fn zoomed_out_an_image_covers_only_part_of_the_screen() {
        let c = cam(113.88, 22.57, 14.0);
        let out = cam(113.88, 22.57, 13.0);
        let at = Placement::of(c.center, c.zoom, [2560.0, 1720.0], &out, 1.0);
        assert!((at.k - 0.5).abs() < 1e-12);
        let (_, dst) = at.visible(2560.0, 1720.0, 1920.0, 1080.0).unwrap();
        assert!((dst[2] - 1280.0).abs() < 1e-6, "{dst:?}");
        // Far away: nothing lands.
        let far = cam(114.5, 23.2, 14.0);
        let at = Placement::of(c.center, c.zoom, [2560.0, 1720.0], &far, 1.0);
        assert!(at.visible(2560.0, 1720.0, 1920.0, 1080.0).is_none());
    }
}
