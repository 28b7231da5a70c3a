//! Level of detail: which layers and points are drawn how at a zoom, as pure
//! rules shared by drawing and hit testing ("drawn = hittable"). Thresholds
//! are in *effective* zoom — the zoom as if the screen were 1080p — so a 4K
//! wall shows what 1080p shows.
//!
//! Each layer's own rule is a [`Lod`] in its catalogue entry (`layers`).

use crate::viewport::Camera;

/// UI scale for text and symbols of a `width` × `height` view: its short
/// side against 1080, in 1–2: 1 at 1080p (and on a phone), 2 on 4K walls; a
/// 3840 × 1080 view (two 1080p screens side by side, or a 2×1 wall drawn in
/// one page) is 1, as each of its screens. The wall's overlays use the same
/// rule (`wall::tiling::ui_scale`), so map and panels agree.
pub fn ui_scale(width: f64, height: f64) -> f64 {
    let s = width.min(height) / 1080.0;
    if s.is_finite() {
        s.clamp(1.0, 2.0)
    } else {
        1.0
    }
}

/// The zoom as if the screen were 1080p: thresholds use it so that a 4K
/// wall (which fits the district at a higher zoom) shows what 1080p shows.
pub fn effective_zoom(cam: &Camera) -> f64 {
    effective(cam.zoom, ui_scale(cam.width, cam.height))
}

/// `effective_zoom` given the screen's UI scale — for the surfaces' wider
/// cameras, whose own width is not the screen's.
pub fn effective(zoom: f64, ui: f64) -> f64 {
    zoom - ui.log2()
}

/// Below this effective zoom the aggregated point layers are summarised per
/// subdistrict (one badge each) instead of drawn as lattice bins.
pub const ADMIN_BELOW: f64 = 12.4;

/// Whether the district-scale view (subdistrict badges) is in play: zoomed
/// out below [`ADMIN_BELOW`] with a summary to show.
pub fn admin_mode(cam: &Camera, has_summary: bool) -> bool {
    effective_zoom(cam) < ADMIN_BELOW && has_summary
}

/// Symbol size factor at effective zoom `eff`: larger from z16.
pub fn symbol_scale(eff: f64, ui: f64) -> f64 {
    (if eff >= 16.0 { 1.35 } else { 1.0 }) * ui
}

/// How far (CSS px) from its point any individual symbol can paint: the
/// largest is a hazard (4.5 + half its 2.2 ring), plus antialiasing.
pub fn symbol_reach(eff: f64, ui: f64) -> f64 {
    5.6 * symbol_scale(eff, ui) + 2.0
}

/// One layer's level-of-detail rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lod {
    /// Below this effective zoom the layer is drawn as bins with counts.
    pub bin_below: f64,
    /// Summarised by the district-scale badges (in admin mode), in this
    /// order on a badge; `None`: never summarised.
    pub badge_rank: Option<u8>,
    /// Points in this style state are not drawn below this effective zoom.
    pub hide_state_below: Option<(u8, f64)>,
}

impl Lod {
    /// Drawn point by point at every zoom.
    pub const ALWAYS: Lod = Lod {
        bin_below: 0.0,
        badge_rank: None,
        hide_state_below: None,
    };

    /// Whether the layer is drawn as bins at effective zoom `eff`.
    pub fn binned(&self, eff: f64) -> bool {
        eff < self.bin_below
    }

    /// Whether the layer is summarised by the badges for this camera.
    pub fn summarised(&self, cam: &Camera, has_summary: bool) -> bool {
        self.badge_rank.is_some() && admin_mode(cam, has_summary)
    }

    /// Whether a point in style state `state` is drawn at effective zoom `eff`.
    pub fn point_shown(&self, state: Option<u8>, eff: f64) -> bool {
        match self.hide_state_below {
            Some((hidden, below)) => !(eff < below && state == Some(hidden)),
            None => true,
        }
    }

    /// Whether the layer is drawn as individual points (not bins or badges).
    pub fn individual(&self, cam: &Camera, has_summary: bool) -> bool {
        !self.summarised(cam, has_summary) && !self.binned(effective_zoom(cam))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::HazardStatus;
    use crate::layers::LayerId;
    use crate::projection::World;

    fn cam(w: f64, z: f64) -> Camera {
        Camera {
            center: World { x: 0.8, y: 0.44 },
            zoom: z,
            width: w,
            height: w * 9.0 / 16.0,
        }
    }

    #[test]
    fn effective_zoom_makes_a_4k_wall_look_like_1080p() {
        assert_eq!(effective_zoom(&cam(1920.0, 11.8)), 11.8);
        assert!((effective_zoom(&cam(3840.0, 12.8)) - 11.8).abs() < 1e-12);
        assert_eq!(
            effective_zoom(&cam(390.0, 11.0)),
            11.0,
            "phones are not scaled down"
        );
        assert_eq!(ui_scale(390.0, 844.0), 1.0);
        assert_eq!(ui_scale(1920.0, 1080.0), 1.0);
        assert_eq!(ui_scale(3840.0, 2160.0), 2.0);
        assert_eq!(ui_scale(7680.0, 4320.0), 2.0, "capped at 2");
        assert_eq!(ui_scale(3840.0, 1080.0), 1.0, "two 1080p screens wide");
        assert_eq!(ui_scale(3852.0, 1080.0), 1.0, "a 2×1 wall in one page");
        assert_eq!(ui_scale(2560.0, 1440.0), 2560.0 / 1920.0);
        assert_eq!(ui_scale(f64::NAN, 1080.0), 1.0);
    }

    #[test]
    fn badges_at_district_scale_switch_at_the_same_view_on_1080p_and_4k() {
        // z12.3 at 1080p and z13.3 at 4K show the same area: both admin.
        assert!(admin_mode(&cam(1920.0, 12.3), true));
        assert!(admin_mode(&cam(3840.0, 13.3), true));
        assert!(!admin_mode(&cam(1920.0, 12.5), true));
        assert!(!admin_mode(&cam(3840.0, 13.5), true));
        // 4K at z12.5 is 1080p's z11.5: still the district view.
        assert!(admin_mode(&cam(3840.0, 12.5), true));
        assert!(
            !admin_mode(&cam(1920.0, 10.0), false),
            "no summary, no badges"
        );
    }

    #[test]
    fn each_layer_thins_out_by_its_own_rule() {
        let lod = |id: LayerId| id.def().lod;
        let has = true;
        // Cases: badges at district scale, bins until z15, then points.
        let cases = lod(LayerId::Cases);
        assert!(cases.summarised(&cam(1920.0, 11.0), has));
        assert!(!cases.individual(&cam(1920.0, 11.0), has));
        assert!(!cases.summarised(&cam(1920.0, 13.0), has));
        assert!(!cases.individual(&cam(1920.0, 14.9), has), "binned");
        assert!(cases.individual(&cam(1920.0, 15.0), has));
        assert!(!cases.individual(&cam(3840.0, 15.5), has), "4K: eff 14.5");
        assert!(cases.individual(&cam(3840.0, 16.0), has));
        // Sentinels: bins below z13.
        let sentinels = lod(LayerId::Sentinels);
        assert!(sentinels.binned(12.9) && !sentinels.binned(13.0));
        assert!(sentinels.summarised(&cam(1920.0, 11.0), has));
        // Hazards: summarised at district scale, never binned; rectified
        // ones hidden until z15.
        let hazards = lod(LayerId::Hazards);
        assert!(hazards.summarised(&cam(1920.0, 11.0), has));
        assert!(hazards.individual(&cam(1920.0, 12.5), has));
        let rectified = Some(HazardStatus::Rectified as u8);
        let open = Some(HazardStatus::Open as u8);
        assert!(!hazards.point_shown(rectified, 14.9));
        assert!(hazards.point_shown(rectified, 15.0));
        assert!(hazards.point_shown(open, 10.0));
        // Sensors: always individual, every state shown.
        let sensors = lod(LayerId::Sensors);
        assert!(sensors.individual(&cam(1920.0, 9.0), has));
        assert!(sensors.point_shown(Some(2), 9.0));
        // The badge order: cases, hazards, sentinels.
        let mut ranked: Vec<_> = LayerId::ALL
            .into_iter()
            .filter_map(|l| Some((lod(l).badge_rank?, l)))
            .collect();
        ranked.sort();
        let order: Vec<LayerId> = ranked.into_iter().map(|r| r.1).collect();
        assert_eq!(
            order,
            [LayerId::Cases, LayerId::Hazards, LayerId::Sentinels]
        );
    }

    #[test]
    fn symbols_grow_from_z16_and_their_reach_covers_them() {
        assert_eq!(symbol_scale(15.9, 1.0), 1.0);
        assert_eq!(symbol_scale(16.0, 1.0), 1.35);
        assert_eq!(symbol_scale(16.0, 2.0), 2.7);
        // A hazard: radius 4.5 plus half of its 2.2 ring, scaled.
        for (eff, ui) in [(14.0, 1.0), (16.5, 1.0), (16.5, 2.0)] {
            let s = symbol_scale(eff, ui);
            assert!(symbol_reach(eff, ui) >= (4.5 + 1.1) * s + 1.0);
        }
    }
}
