//! The wall's KPIs and safety index over the generated data (data/, from
//! `pingan-datagen`): plausible figures, ten ranked subdistricts, a KPI
//! answer small enough to load, computed fast enough to serve per request.

use pingan_model::cases::decode;
use pingan_model::domain::HazardStatus;
use pingan_model::time::cst_midnight;
use pingan_model::wall::kpi::{HazardIn, KpiInputs, Kpis};
use pingan_model::wall::safety::{safety_index, Area, SafetyInputs};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Instant;

fn read(name: &str) -> Vec<u8> {
    let path = format!("{}/../data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path)
        .unwrap_or_else(|_| panic!("{path}: run scripts/setup.sh (or pingan-datagen) first"))
}

fn features(name: &str) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&read(name)).unwrap();
    v["features"].as_array().unwrap().clone()
}

fn date(s: &str) -> i64 {
    let p: Vec<u32> = s.split('-').map(|x| x.parse().unwrap()).collect();
    cst_midnight(i64::from(p[0]), p[1], p[2])
}

#[test]
fn kpis_and_the_safety_index_of_the_generated_data() {
    let areas: Vec<Area> = features("subdistricts.geojson")
        .iter()
        .map(|f| {
            let p = &f["properties"];
            Area {
                code: p["code"].as_str().unwrap().into(),
                name: p["name"].as_str().unwrap().into(),
                name_en: p["name_en"].as_str().unwrap().into(),
                population: p["population"].as_f64().unwrap(),
                area_km2: p["area_km2"].as_f64().unwrap(),
            }
        })
        .collect();
    let by_name: HashMap<String, usize> = areas
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.clone(), i))
        .collect();
    let grid_area: Vec<Option<usize>> = features("grids.geojson")
        .iter()
        .map(|f| {
            f["properties"]["subdistrict"]
                .as_str()
                .and_then(|s| by_name.get(s).copied())
        })
        .collect();
    let hazards: Vec<HazardIn> = features("hazards.geojson")
        .iter()
        .map(|f| {
            let p = &f["properties"];
            HazardIn {
                id: p["id"].as_str().unwrap().into(),
                status: HazardStatus::from_code(p["status"].as_str().unwrap()).unwrap(),
                found: date(p["found"].as_str().unwrap()),
                changed_at: None,
                area: p["subdistrict"]
                    .as_str()
                    .and_then(|s| by_name.get(s).copied()),
            }
        })
        .collect();
    let file = decode(&read("cases_recent.bin")).unwrap();
    let now = file.window_end - 3600;
    // The files hold no close times: say each closed case closed half-way to its deadline.
    let closes: Vec<(u32, i64)> = file
        .records
        .iter()
        .filter(|r| !r.status.is_open())
        .map(|r| (r.id, (r.time + i64::from(r.deadline_hours) * 1800).min(now)))
        .collect();

    let t = Instant::now();
    let kpis = Kpis::compute(
        &KpiInputs {
            seq: 1,
            cases: &file.records,
            closes: &closes,
            history_from: file.window_start,
            alerts: &[],
            sensors: &[],
            hazards: &hazards,
        },
        now,
    );
    let kpi_ms = t.elapsed().as_secs_f64() * 1000.0;
    let json = serde_json::to_string(&kpis).unwrap();
    let t = Instant::now();
    let rows = safety_index(
        &SafetyInputs {
            areas: &areas,
            grid_area: &grid_area,
            cases: &file.records,
            closes: &closes,
            history_from: file.window_start,
            alarms: &[],
            hazards: &hazards,
        },
        now,
    );
    let safety_ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "KPIs {:?} ({kpi_ms:.1} ms, {} bytes of JSON); safety index {safety_ms:.1} ms",
        kpis.figures(),
        json.len()
    );
    for r in &rows {
        eprintln!(
            "  {} {} {:.1} (7 days before {:.1}, {:?}) cases/1000 {:.1} overdue {:.2} hazards/km² {:.1}",
            r.rank,
            r.name,
            r.score,
            r.before,
            r.trend,
            r.terms.cases_per_1000.value,
            r.terms.overdue_share.value,
            r.terms.hazards_per_km2.value
        );
    }
    // The generated district: ~2,700 a day, ~5,000 open, ~3,000 hazards not rectified.
    assert!(
        (1500..4500).contains(&(kpis.cases.typical.reported.round() as i64)),
        "{:?}",
        kpis.cases
    );
    assert!(
        (2000..10_000).contains(&kpis.cases.open),
        "{:?}",
        kpis.cases
    );
    assert!(kpis.cases.overdue < kpis.cases.open);
    assert_eq!(kpis.hazards.open + kpis.hazards.rectifying, 3025);
    assert!(kpis.hazards.rectified_this_year > 10_000);
    // Small enough to send at every wall's load.
    assert!(json.len() < 400_000, "{} bytes", json.len());
    // Ten subdistricts, ranked 1–10, scores that tell them apart.
    assert_eq!(rows.len(), 10);
    assert_eq!(
        rows.iter().map(|r| r.rank).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    assert!(rows.windows(2).all(|w| w[0].score >= w[1].score));
    let (best, worst) = (rows[0].score, rows[9].score);
    assert!(
        best < 100.0 && worst > 20.0 && best - worst > 5.0,
        "{best} … {worst}"
    );
    // Shajing, the densest in open hazards, is last; Shiyan (hills) is first.
    assert_eq!(rows[9].name, "沙井街道");
    assert_eq!(rows[0].name, "石岩街道");
}
