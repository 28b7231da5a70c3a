//! Colours and symbols of every layer, and the legends built from them. One
//! place, so the map and its legend cannot disagree.

use pingan_model::domain::*;

pub const BACKGROUND: &str = "#07101f";

/// Grid choropleth: 5 classes, dark to hot, readable on the dark theme.
pub const CHOROPLETH: [&str; 5] = ["#0f2745", "#16405f", "#245f77", "#8d7138", "#b9502f"];

pub fn park_fill(tier: u8) -> &'static str {
    match ParkTier::from_index(tier as usize) {
        Some(ParkTier::Country) => "rgba(34,139,34,0.55)",
        Some(ParkTier::City) => "rgba(60,179,90,0.70)",
        Some(ParkTier::Community) => "rgba(110,205,110,0.80)",
        Some(ParkTier::Pocket) => "rgba(170,230,120,0.85)",
        _ => "rgba(80,160,90,0.35)",
    }
}

pub fn domain_colour(d: u8) -> &'static str {
    match RiskDomain::from_index(d as usize) {
        Some(RiskDomain::Emergency) => "#ff6b6b",
        Some(RiskDomain::Water) => "#4dabf7",
        Some(RiskDomain::Ecology) => "#94d82d",
        _ => "#fcc419",
    }
}

/// Hazard type colours (fill), 11 distinct hues.
pub fn hazard_colour(t: u8) -> &'static str {
    const C: [&str; 11] = [
        "#3fa9f5", "#ff4d4f", "#ff7a45", "#ffc53d", "#f759ab", "#a0d911", "#9254de", "#36cfc9",
        "#ff9c6e", "#ffd666", "#bfbfbf",
    ];
    C[(t as usize).min(C.len() - 1)]
}

/// Hazard status ring: open = bright red ring, rectifying = amber, rectified = none (dimmed).
pub fn hazard_ring(status: u8) -> Option<&'static str> {
    match HazardStatus::from_index(status as usize) {
        Some(HazardStatus::Open) => Some("#ff2d2d"),
        Some(HazardStatus::Rectifying) => Some("#ffb020"),
        _ => None,
    }
}

pub fn sensor_colour(state: u8) -> &'static str {
    match state {
        2 => "#ff2d2d",
        1 => "#ffb020",
        _ => "#2ee6d6",
    }
}

pub fn sentinel_colour(kind: u8) -> &'static str {
    if kind == 0 {
        "#b197fc"
    } else {
        "#e599f7"
    }
}

/// Case colours by state: open, overdue, closed.
pub fn case_colour(state: u8) -> &'static str {
    match state {
        0 => "#4dabf7",
        1 => "#ff3b3b",
        _ => "#7d8ba1",
    }
}

/// Bin (aggregate) colour per point layer.
pub fn bin_colour(layer: &str) -> &'static str {
    match layer {
        "hazards" => "rgba(255,122,69,0.80)",
        "cases" => "rgba(77,171,247,0.55)",
        "sensors" => "rgba(46,230,214,0.8)",
        _ => "rgba(177,151,252,0.8)",
    }
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

fn dot(fill: &str, ring: Option<&str>, text: impl Into<String>) -> LegendItem {
    LegendItem {
        swatch: Swatch::Dot {
            fill: fill.into(),
            ring: ring.map(Into::into),
        },
        text: text.into(),
    }
}

/// Legend of a layer; `breaks` are the grid choropleth class bounds.
pub fn legend(layer: &str, lang: Lang, breaks: &[f64]) -> Vec<LegendItem> {
    match layer {
        "grids" => {
            let mut items = Vec::new();
            let mut lo = 0.0;
            for (i, c) in CHOROPLETH.iter().enumerate().take(breaks.len() + 1) {
                let text = match breaks.get(i) {
                    Some(hi) => format!("{lo:.0}–{:.0}", hi - 1.0),
                    None => format!("≥ {lo:.0}"),
                };
                items.push(LegendItem {
                    swatch: Swatch::Fill((*c).into()),
                    text: format!("{text} {}", lang.pick("件/30天", "cases/30 d")),
                });
                if let Some(hi) = breaks.get(i) {
                    lo = *hi;
                }
            }
            items
        }
        "parks" => [
            ParkTier::Country,
            ParkTier::City,
            ParkTier::Community,
            ParkTier::Pocket,
        ]
        .iter()
        .map(|t| LegendItem {
            swatch: Swatch::Fill(park_fill(t.index() as u8).into()),
            text: t.label(lang).into(),
        })
        .collect(),
        "greenspace" => vec![LegendItem {
            swatch: Swatch::Fill(park_fill(ParkTier::Green.index() as u8).into()),
            text: ParkTier::Green.label(lang).into(),
        }],
        "areas" => RiskDomain::ALL
            .iter()
            .map(|d| LegendItem {
                swatch: Swatch::Line(domain_colour(d.index() as u8).into()),
                text: d.label(lang).into(),
            })
            .collect(),
        "hazards" => {
            let mut items: Vec<LegendItem> = HazardStatus::ALL
                .iter()
                .map(|s| match hazard_ring(s.index() as u8) {
                    Some(ring) => dot("#8c96a8", Some(ring), s.label(lang)),
                    None => dot("transparent", Some("#aab4c3"), s.label(lang)),
                })
                .collect();
            items.extend(
                HazardType::ALL
                    .iter()
                    .map(|t| dot(hazard_colour(t.index() as u8), None, t.label(lang))),
            );
            items
        }
        "sensors" => vec![
            dot(sensor_colour(0), None, lang.pick("正常", "Normal")),
            dot(
                sensor_colour(1),
                None,
                lang.pick("超预警值", "Above warning"),
            ),
            dot(sensor_colour(2), None, lang.pick("超报警值", "Above alarm")),
        ],
        "sentinels" => SentinelKind::ALL
            .iter()
            .map(|k| dot(sentinel_colour(k.index() as u8), None, k.label(lang)))
            .collect(),
        "cases" => vec![
            dot(case_colour(0), None, lang.pick("办理中", "Open")),
            dot(case_colour(1), None, lang.pick("已超期", "Overdue")),
            dot(case_colour(2), None, lang.pick("已办结", "Closed")),
        ],
        "communities" => vec![LegendItem {
            swatch: Swatch::Line("rgba(220,230,255,0.55)".into()),
            text: lang.pick("社区界", "Community boundary").into(),
        }],
        "subdistricts" => vec![LegendItem {
            swatch: Swatch::Line("#ffe08a".into()),
            text: lang.pick("街道界", "Subdistrict boundary").into(),
        }],
        "district" => vec![LegendItem {
            swatch: Swatch::Line("#ffffff".into()),
            text: lang.pick("区界", "District boundary").into(),
        }],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choropleth_legend_matches_the_breaks() {
        let items = legend("grids", Lang::Zh, &[10.0, 20.0, 30.0, 40.0]);
        let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "0–9 件/30天",
                "10–19 件/30天",
                "20–29 件/30天",
                "30–39 件/30天",
                "≥ 40 件/30天"
            ]
        );
        assert_eq!(items[4].swatch, Swatch::Fill(CHOROPLETH[4].into()));
        // Fewer distinct breaks, fewer classes.
        assert_eq!(legend("grids", Lang::En, &[5.0]).len(), 2);
    }

    #[test]
    fn every_code_has_a_legend_entry() {
        assert_eq!(
            legend("hazards", Lang::En, &[]).len(),
            HazardStatus::ALL.len() + HazardType::ALL.len()
        );
        assert_eq!(legend("areas", Lang::Zh, &[]).len(), 4);
        assert_eq!(legend("parks", Lang::Zh, &[]).len(), 4);
        for id in pingan_model::layers::LAYERS.iter().map(|l| l.id) {
            assert!(
                !legend(id, Lang::Zh, &[1.0]).is_empty(),
                "{id} has no legend"
            );
        }
    }
}
