//! # pingan-datagen
//!
//! Seeded generator of Ping'an Map's data directory inside Bao'an's real
//! boundaries (see docs/data.md for every file and property). The same seed
//! and `now` produce byte-identical files.
//!
//! Pipeline: real subdistricts (simplified, shared borders kept) → country
//! and city parks → population sample (density field, damped in parks) →
//! 124 communities and ~4,100 grid cells by weighted recursive bisection →
//! community/pocket parks and other green space up to per-subdistrict
//! coverage targets → hazards, sentinels, monitored areas and sensors →
//! one year of cases → files.

pub mod admin;
pub mod cases;
pub mod fields;
pub mod geom;
pub mod green;
pub mod names;
pub mod sites;

use geo::{Coord, MultiPolygon, Orient, Point};
use pingan_model::cases::{encode, CaseFile};
use pingan_model::domain::ParkTier;
use pingan_model::geojson_io::{
    parse_feature_collection, write_feature_collection, Feature, GeoJsonError, Geom,
};
use pingan_model::layers;
use pingan_model::time;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use serde_json::{json, Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to generate and where.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Output directory (created if missing).
    pub out: PathBuf,
    /// Directory with district.geojson, streets.geojson, communities_partial.csv.
    pub boundaries: PathBuf,
    /// End of the case window (exclusive), Unix seconds; a CST midnight.
    pub now: i64,
    /// Number of cases in the year.
    pub cases: usize,
    /// Print a progress line per stage and file.
    pub verbose: bool,
}

pub const DEFAULT_SEED: u64 = 2026;
pub const DEFAULT_CASES: usize = 1_000_000;

/// Why generation failed.
#[derive(Debug)]
pub enum Error {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    GeoJson {
        path: PathBuf,
        source: GeoJsonError,
    },
    Input(String),
    Invariant(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::GeoJson { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Input(m) => write!(f, "bad input: {m}"),
            Error::Invariant(m) => write!(f, "generated data failed a check: {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::GeoJson { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Parses `YYYY-MM-DD` into the Unix time of that day's CST midnight.
pub fn parse_date(s: &str) -> Result<i64, Error> {
    let bad = || Error::Input(format!("--now {s:?}: expected a date YYYY-MM-DD"));
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let y: i64 = parts[0].parse().map_err(|_| bad())?;
    let m: u32 = parts[1].parse().map_err(|_| bad())?;
    let d: u32 = parts[2].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || d == 0 || d > 31 || !(1970..=2100).contains(&y) {
        return Err(bad());
    }
    let t = time::cst_midnight(y, m, d);
    let back = time::cst(t);
    if (back.year, back.month, back.day) != (y, m, d) {
        return Err(bad());
    }
    Ok(t)
}

/// CST midnight starting today.
pub fn today_cst(unix_now: i64) -> i64 {
    time::cst_day_start(unix_now)
}

/// One written file.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub file: String,
    pub count: usize,
    pub bytes: u64,
    pub seconds: f64,
}

/// What was generated.
#[derive(Clone, Debug)]
pub struct Report {
    pub files: Vec<FileReport>,
    /// (subdistrict, green coverage) in subdistrict order.
    pub green: Vec<(String, f64)>,
    pub district_green: f64,
    pub seconds: f64,
}

fn rng_for(seed: u64, stage: &str) -> SmallRng {
    // FNV-1a of the stage name mixed with the seed: independent streams, so
    // changing one stage leaves the others' output alone.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in stage.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    SmallRng::seed_from_u64(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ h)
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn read_fc(path: &Path) -> Result<Vec<Feature>, Error> {
    parse_feature_collection(&read(path)?).map_err(|source| Error::GeoJson {
        path: path.to_path_buf(),
        source,
    })
}

fn layer_file(id: &str) -> Result<&'static str, Error> {
    layers::layer(id)
        .map(|l| l.file)
        .ok_or_else(|| Error::Invariant(format!("layer {id} missing from the catalogue")))
}

fn props(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn area_feature(id: &str, cell: &geom::Cell, p: Value) -> Feature {
    Feature {
        id: Some(id.to_string()),
        geometry: Geom::Area(geom::to_multipolygon(cell)),
        properties: props(p),
    }
}

fn point_feature(id: &str, p: Coord<f64>, pr: Value) -> Feature {
    Feature {
        id: Some(id.to_string()),
        geometry: Geom::Point(Point(p)),
        properties: props(pr),
    }
}

fn r3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

struct Writer<'a> {
    cfg: &'a Config,
    files: Vec<FileReport>,
}

impl Writer<'_> {
    fn write(
        &mut self,
        file: &str,
        count: usize,
        bytes: &[u8],
        started: Instant,
    ) -> Result<(), Error> {
        let path = self.cfg.out.join(file);
        std::fs::write(&path, bytes).map_err(|source| Error::Io { path, source })?;
        let r = FileReport {
            file: file.into(),
            count,
            bytes: bytes.len() as u64,
            seconds: started.elapsed().as_secs_f64(),
        };
        if self.cfg.verbose {
            println!(
                "  wrote {:<24} {:>9} {:<9} {:>8.2} MB  {:>6.2} s",
                r.file,
                r.count,
                if file.ends_with(".bin") {
                    "cases"
                } else if file.ends_with(".json") {
                    "rules"
                } else {
                    "features"
                },
                r.bytes as f64 / 1e6,
                r.seconds
            );
        }
        self.files.push(r);
        Ok(())
    }
    fn features(&mut self, id: &str, features: &[Feature], started: Instant) -> Result<(), Error> {
        let file = layer_file(id)?;
        let text = write_feature_collection(features);
        self.write(file, features.len(), text.as_bytes(), started)
    }
}

/// Generates the whole data directory.
pub fn generate(cfg: &Config) -> Result<Report, Error> {
    let t0 = Instant::now();
    let stage = |name: &str, t: Instant| {
        if cfg.verbose {
            println!("  {name:<40} {:>6.2} s", t.elapsed().as_secs_f64());
        }
    };
    std::fs::create_dir_all(&cfg.out).map_err(|source| Error::Io {
        path: cfg.out.clone(),
        source,
    })?;

    // Inputs.
    let t = Instant::now();
    let district_in = read_fc(&cfg.boundaries.join("district.geojson"))?;
    let streets = read_fc(&cfg.boundaries.join("streets.geojson"))?;
    let csv = admin::parse_csv(&read(&cfg.boundaries.join("communities_partial.csv"))?)?;
    let subs = admin::load_subdistricts(&streets, &csv)?;
    let district = district_in
        .into_iter()
        .next()
        .ok_or_else(|| Error::Input("district.geojson has no feature".into()))?;
    stage("read and simplified boundaries", t);

    let t = Instant::now();
    let mut green_idx = green::ShapeIndex::default();
    let mut parks = green::big_parks(&mut rng_for(cfg.seed, "parks"), &subs, &mut green_idx);
    stage(&format!("{} country and city parks", parks.len()), t);

    let t = Instant::now();
    let pop = {
        let damp = green::park_damping(&parks);
        admin::sample_population(&mut rng_for(cfg.seed, "population"), &subs, &damp)
    };
    stage(&format!("{} population sample points", pop.len()), t);

    let t = Instant::now();
    let mut adm = admin::build(&mut rng_for(cfg.seed, "admin"), district, subs, &csv, pop)?;
    if adm.comms.len() != 124 {
        return Err(Error::Invariant(format!(
            "{} communities, expected 124",
            adm.comms.len()
        )));
    }
    if adm.grids.len() < 4_000 || adm.grids.len() > u16::MAX as usize {
        return Err(Error::Invariant(format!("{} grids", adm.grids.len())));
    }
    stage(
        &format!("{} communities, {} grids", adm.comms.len(), adm.grids.len()),
        t,
    );

    let t = Instant::now();
    parks.extend(green::small_parks(
        &mut rng_for(cfg.seed, "small-parks"),
        &adm,
        &mut green_idx,
    ));
    let greens = green::greenspace(
        &mut rng_for(cfg.seed, "greenspace"),
        &adm.subs,
        &parks,
        &mut green_idx,
    );
    stage(
        &format!("{} parks, {} green spaces", parks.len(), greens.len()),
        t,
    );

    let t = Instant::now();
    let hazards = sites::hazards(&mut rng_for(cfg.seed, "hazards"), &adm, cfg.now);
    let sentinels = sites::sentinels(&mut rng_for(cfg.seed, "sentinels"), &adm);
    let (areas, sensors) = sites::areas_and_sensors(&mut rng_for(cfg.seed, "areas"), &adm);
    stage(
        &format!(
            "{} hazards, {} sentinels, {} areas, {} sensors",
            hazards.len(),
            sentinels.len(),
            areas.len(),
            sensors.len()
        ),
        t,
    );
    if areas.len() != 61 {
        return Err(Error::Invariant(format!(
            "{} monitored areas, expected 61",
            areas.len()
        )));
    }

    let t = Instant::now();
    let records = cases::generate(&mut rng_for(cfg.seed, "cases"), &adm, cfg.cases, cfg.now);
    let recent_start = cfg.now - cases::RECENT_DAYS * 86_400;
    for r in &records {
        let g = &mut adm.grids[r.grid as usize];
        g.cases_year += 1;
        if r.time >= recent_start {
            g.cases_30d += 1;
        }
    }
    stage(&format!("{} cases", records.len()), t);

    // Green coverage per subdistrict (every shape lies in one subdistrict
    // and none overlap, so it is a sum).
    let mut green_area = vec![0.0; adm.subs.len()];
    for g in parks.iter().chain(greens.iter()) {
        green_area[g.sub] += g.area_m2;
    }
    let green: Vec<(String, f64)> = adm
        .subs
        .iter()
        .zip(&green_area)
        .map(|(s, a)| (s.name.clone(), a / s.area_m2))
        .collect();
    let land: f64 = adm.subs.iter().map(|s| s.area_m2).sum();
    let district_green = green_area.iter().sum::<f64>() / land;

    // Files.
    let mut w = Writer {
        cfg,
        files: Vec::new(),
    };
    let t = Instant::now();
    let dgeom = match &adm.district.geometry {
        Geom::Area(mp) => mp.orient(geo::orient::Direction::Default),
        Geom::Point(_) | Geom::Null => {
            return Err(Error::Input("district.geojson holds no area".into()))
        }
    };
    let darea = pingan_model::analysis::area_m2(&dgeom);
    let dfeat = Feature {
        id: Some("440306".into()),
        geometry: Geom::Area(MultiPolygon(dgeom.0)),
        properties: props(json!({
            "id": "440306", "name": "宝安区", "name_en": "Bao'an District", "adcode": "440306",
            "area_km2": r3(darea / 1e6), "land_area_km2": r3(land / 1e6),
            "population": adm.subs.iter().map(|s| s.population).sum::<u64>(),
            "green_ratio": r3(district_green),
        })),
    };
    w.features("district", &[dfeat], t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = adm
        .subs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            area_feature(
                &s.code,
                &s.cell,
                json!({
                    "id": s.code, "name": s.name, "name_en": s.name_en, "code": s.code,
                    "population": s.population, "area_km2": r3(s.area_m2 / 1e6), "green_ratio": r3(green[i].1),
                    "communities": adm.comms.iter().filter(|c| c.sub == i).count(),
                }),
            )
        })
        .collect();
    w.features("subdistricts", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = adm
        .comms
        .iter()
        .map(|c| {
            area_feature(
                &c.code,
                &c.cell,
                json!({
                    "id": c.code, "name": c.name, "name_en": c.name_en, "code": c.code,
                    "subdistrict": adm.subs[c.sub].name, "population": c.population,
                    "area_km2": r3(c.area_m2 / 1e6), "grids": c.grids.len(),
                }),
            )
        })
        .collect();
    w.features("communities", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = adm
        .grids
        .iter()
        .map(|g| {
            let c = &adm.comms[g.comm];
            area_feature(
                &g.id,
                &g.cell,
                json!({
                    "id": g.id, "name": g.name, "name_en": g.name_en, "community": c.name,
                    "community_code": c.code, "subdistrict": adm.subs[g.sub].name, "population": g.population,
                    "worker": g.worker, "worker_phone": g.worker_phone, "area_km2": r3(g.area_m2 / 1e6),
                    "cases_year": g.cases_year, "cases_30d": g.cases_30d,
                }),
            )
        })
        .collect();
    w.features("grids", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = parks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let id = format!("P{:04}", i + 1);
            area_feature(
                &id,
                &p.cell,
                json!({
                    "id": id, "name": p.name, "name_en": p.name_en, "tier": p.tier.code(),
                    "area_m2": p.area_m2.round(), "subdistrict": adm.subs[p.sub].name,
                }),
            )
        })
        .collect();
    w.features("parks", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = greens
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let id = format!("GS{:04}", i + 1);
            area_feature(
                &id,
                &g.cell,
                json!({
                    "id": id, "tier": ParkTier::Green.code(), "kind": g.kind, "kind_en": g.kind_en,
                    "area_m2": g.area_m2.round(), "subdistrict": adm.subs[g.sub].name,
                }),
            )
        })
        .collect();
    w.features("greenspace", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = hazards
        .iter()
        .map(|h| {
            let g = &adm.grids[h.grid];
            let mut p = json!({
                "id": h.id, "name": h.name, "type": h.ty.code(), "status": h.status.code(),
                "owner": h.owner, "address": h.address, "subdistrict": adm.subs[g.sub].name,
                "community": adm.comms[g.comm].name, "grid": g.id, "found": h.found, "deadline": h.deadline,
            });
            if !h.contacts.is_empty() {
                p["contacts"] = Value::Array(
                    h.contacts
                        .iter()
                        .map(|c| json!({"role": c.role, "name": c.name, "phone": c.phone}))
                        .collect(),
                );
            }
            point_feature(&h.id, h.at, p)
        })
        .collect();
    w.features("hazards", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = areas
        .iter()
        .map(|a| {
            area_feature(
                &a.id,
                &a.cell,
                json!({
                    "id": a.id, "name": a.name, "name_en": a.name_en, "domain": a.domain.code(),
                    "kind": a.kind.code(), "subdistrict": adm.subs[a.sub].name, "sensors": a.sensors,
                }),
            )
        })
        .collect();
    w.features("areas", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = sensors
        .iter()
        .map(|s| {
            let a = &areas[s.area];
            point_feature(
                &s.id,
                s.at,
                json!({
                    "id": s.id, "name": s.name, "area": a.id, "type": s.ty.code(), "unit": s.ty.unit(),
                    "warn": s.warn, "alarm": s.alarm, "value": s.value, "subdistrict": adm.subs[a.sub].name,
                }),
            )
        })
        .collect();
    w.features("sensors", &feats, t)?;

    let t = Instant::now();
    let feats: Vec<Feature> = sentinels
        .iter()
        .map(|s| {
            let g = &adm.grids[s.grid];
            point_feature(
                &s.id,
                s.at,
                json!({
                    "id": s.id, "name": s.name, "estate": s.estate, "kind": s.kind.code(),
                    "subdistrict": adm.subs[g.sub].name, "community": adm.comms[g.comm].name, "grid": g.id,
                }),
            )
        })
        .collect();
    w.features("sentinels", &feats, t)?;

    let t = Instant::now();
    let grid_count = adm.grids.len() as u32;
    let year_start = cfg.now - cases::YEAR_DAYS * 86_400;
    let recent: Vec<_> = records
        .iter()
        .filter(|r| r.time >= recent_start)
        .copied()
        .collect();
    let recent_file = CaseFile {
        grid_count,
        window_start: recent_start,
        window_end: cfg.now,
        records: recent,
    };
    let n_recent = recent_file.records.len();
    w.write(layer_file("cases")?, n_recent, &encode(&recent_file), t)?;
    let t = Instant::now();
    let n_year = records.len();
    let year_file = CaseFile {
        grid_count,
        window_start: year_start,
        window_end: cfg.now,
        records,
    };
    w.write("cases_year.bin", n_year, &encode(&year_file), t)?;
    let t = Instant::now();
    w.write(
        "dispatch_rules.json",
        cases::RULES.len(),
        cases::rules_json().as_bytes(),
        t,
    )?;

    if cfg.verbose {
        let total: u64 = w
            .files
            .iter()
            .filter(|f| f.file.ends_with(".geojson"))
            .map(|f| f.bytes)
            .sum();
        println!("  GeoJSON total {:.2} MB", total as f64 / 1e6);
        let per: Vec<String> = green
            .iter()
            .map(|(n, g)| format!("{}{:.0}%", n.trim_end_matches("街道"), g * 100.0))
            .collect();
        println!(
            "  green coverage: district {:.1}% ({})",
            district_green * 100.0,
            per.join(" ")
        );
    }
    Ok(Report {
        files: w.files,
        green,
        district_green,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
