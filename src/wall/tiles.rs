//! Spanning (`?grid=CxR&tile=c,r&bezel=PX`): this page is one tile of a
//! virtual canvas (contract 9, `pingan_model::wall::tiling`). The wall's
//! camera is the virtual canvas's; the map canvas draws its window of it:
//! the same zoom, the centre moved to the world point under the middle of
//! this tile's window. Overlays are laid out in virtual pixels and shifted
//! by −origin. Pure, tested natively.

use pingan_model::projection::World;
use pingan_model::viewport::Camera;

/// This page's window of the virtual canvas (CSS px).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// The virtual canvas's size.
    pub virtual_size: [f64; 2],
    /// Where this tile's top-left is on it.
    pub origin: [f64; 2],
    /// This tile's (the page's) size.
    pub size: [f64; 2],
}

impl Window {
    /// The whole canvas is this page (a single screen).
    pub fn single(w: f64, h: f64) -> Window {
        Window {
            virtual_size: [w, h],
            origin: [0.0, 0.0],
            size: [w, h],
        }
    }

    /// The virtual camera of the same centre and zoom as `cam`, sized to
    /// the virtual canvas.
    pub fn virtual_camera(&self, center: World, zoom: f64) -> Camera {
        Camera {
            center,
            zoom,
            width: self.virtual_size[0],
            height: self.virtual_size[1],
        }
    }

    /// The camera this page draws: its window of the virtual camera `v`.
    pub fn tile_camera(&self, v: &Camera) -> Camera {
        let mid = [
            self.origin[0] + self.size[0] / 2.0,
            self.origin[1] + self.size[1] / 2.0,
        ];
        let c = v.to_world(mid);
        Camera {
            center: World { x: c[0], y: c[1] },
            zoom: v.zoom,
            width: self.size[0],
            height: self.size[1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::projection::to_world;

    #[test]
    fn a_tile_draws_the_virtual_canvas_shifted_by_its_origin() {
        // Two 1920×1080 tiles, a 12 px bezel: 3852×1080.
        let v = Camera {
            center: to_world(113.86, 22.68),
            zoom: 12.3,
            width: 3852.0,
            height: 1080.0,
        };
        let right = Window {
            virtual_size: [3852.0, 1080.0],
            origin: [1932.0, 0.0],
            size: [1920.0, 1080.0],
        };
        let left = Window {
            origin: [0.0, 0.0],
            ..right
        };
        let (tl, tr) = (left.tile_camera(&v), right.tile_camera(&v));
        assert_eq!((tl.zoom, tr.zoom), (v.zoom, v.zoom));
        for lonlat in [(113.80, 22.60), (113.86, 22.68), (113.95, 22.80)] {
            let w = to_world(lonlat.0, lonlat.1);
            let p = v.to_screen([w.x, w.y]);
            let a = tl.to_screen([w.x, w.y]);
            let b = tr.to_screen([w.x, w.y]);
            assert!((a[0] - p[0]).abs() < 1e-6 && (a[1] - p[1]).abs() < 1e-6);
            assert!((b[0] - (p[0] - 1932.0)).abs() < 1e-6 && (b[1] - p[1]).abs() < 1e-6);
        }
        // A single screen draws the virtual camera itself.
        let one = Window::single(1920.0, 1080.0);
        let c = one.tile_camera(&one.virtual_camera(v.center, 11.0));
        assert!((c.center.x - v.center.x).abs() < 1e-12 && (c.center.y - v.center.y).abs() < 1e-12);
        assert_eq!((c.width, c.height), (1920.0, 1080.0));
    }
}
