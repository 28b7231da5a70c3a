//! End-to-end checks on a generated data directory (smaller case count so
//! the suite stays fast in debug builds; everything else is full size).

use geo::{BooleanOps, BoundingRect, Contains, MultiPolygon, Point};
use pingan_datagen::{generate, parse_date, Config, Report};
use pingan_model::analysis::{area_m2, green_access, green_coverage};
use pingan_model::cases::{decode, CaseFile};
use pingan_model::domain::{CaseCategory, Department, RiskDomain, SensorType, ZoneKind};
use pingan_model::geojson_io::{parse_feature_collection, Feature, Geom};
use pingan_model::index::AreaIndex;
use pingan_model::layers::{LayerKind, LAYERS};
use pingan_model::time;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const CASES: usize = 60_000;

/// Removes output left by earlier test processes that have exited (the
/// shared directory of a test binary is never dropped).
fn remove_stale_outputs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("pingan-datagen-test-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if pid.parse::<u32>().is_ok()
            && pid != std::process::id().to_string()
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn config(seed: u64, dir: &str) -> Config {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    remove_stale_outputs(&root);
    let out = root.join(format!("pingan-datagen-test-{}-{dir}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    Config {
        seed,
        out,
        boundaries: Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/boundaries"),
        now: parse_date("2026-11-26").unwrap(),
        cases: CASES,
        verbose: false,
    }
}

struct Data {
    dir: PathBuf,
    cfg: Config,
    report: Report,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let cfg = config(2026, "main");
        let report = generate(&cfg).expect("generation succeeds");
        Data {
            dir: cfg.out.clone(),
            cfg,
            report,
        }
    })
}

fn layer(file: &str) -> Vec<Feature> {
    let text =
        std::fs::read_to_string(data().dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    parse_feature_collection(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn area(f: &Feature) -> &MultiPolygon<f64> {
    match &f.geometry {
        Geom::Area(mp) => mp,
        g => panic!("{:?} is not an area: {g:?}", f.id),
    }
}

fn point(f: &Feature) -> Point<f64> {
    match &f.geometry {
        Geom::Point(p) => *p,
        g => panic!("{:?} is not a point: {g:?}", f.id),
    }
}

fn s<'a>(f: &'a Feature, k: &str) -> &'a str {
    f.str_prop(k)
        .unwrap_or_else(|| panic!("{:?} lacks string property {k}", f.id))
}

fn n(f: &Feature, k: &str) -> f64 {
    f.num_prop(k)
        .unwrap_or_else(|| panic!("{:?} lacks numeric property {k}", f.id))
}

fn by_id(features: &[Feature]) -> HashMap<String, usize> {
    features
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.clone().unwrap(), i))
        .collect()
}

fn cases(file: &str) -> CaseFile {
    decode(&std::fs::read(data().dir.join(file)).unwrap()).unwrap()
}

/// Children's areas add up to the parent's and children do not overlap
/// (checked with an R-tree of bounding boxes and boolean intersection on
/// the candidate pairs; `stride` samples every n-th child).
fn assert_partition(
    parent: &MultiPolygon<f64>,
    children: &[&MultiPolygon<f64>],
    what: &str,
    stride: usize,
) {
    let pa = area_m2(parent);
    let ca: f64 = children.iter().map(|c| area_m2(c)).sum();
    assert!(
        (ca - pa).abs() / pa < 0.001,
        "{what}: children {ca:.0} m² vs parent {pa:.0} m²"
    );
    let owned: Vec<MultiPolygon<f64>> = children.iter().map(|c| (*c).clone()).collect();
    let idx = AreaIndex::bulk_load(&owned);
    for (i, c) in owned.iter().enumerate().step_by(stride) {
        let b = pingan_model::index::bbox_of(c).unwrap();
        for j in idx.query(&b) {
            let j = j as usize;
            if j <= i {
                continue;
            }
            let ov = area_m2(&c.intersection(&owned[j]));
            assert!(
                ov < 1.0,
                "{what}: children {i} and {j} overlap by {ov:.2} m²"
            );
        }
        // Each child lies in its parent.
        let inside = area_m2(&c.intersection(parent));
        let own = area_m2(c);
        assert!(
            (own - inside) < 1.0 + own * 1e-6,
            "{what}: child {i} sticks out by {:.2} m²",
            own - inside
        );
    }
}

#[test]
fn catalogue_files_exist_and_parse() {
    for l in LAYERS {
        let path = data().dir.join(l.file);
        assert!(path.exists(), "{} missing", l.file);
        match l.kind {
            LayerKind::Cases => {
                cases(l.file);
            }
            _ => {
                let f = layer(l.file);
                for x in &f {
                    let want_point = l.kind == LayerKind::Point;
                    assert_eq!(
                        matches!(x.geometry, Geom::Point(_)),
                        want_point,
                        "{} {:?}",
                        l.file,
                        x.id
                    );
                }
            }
        }
    }
    assert!(data().dir.join("cases_year.bin").exists());
    assert!(data().dir.join("dispatch_rules.json").exists());
    let names: Vec<&str> = data()
        .report
        .files
        .iter()
        .map(|f| f.file.as_str())
        .collect();
    assert!(names.contains(&"grids.geojson") && names.contains(&"cases_year.bin"));
}

#[test]
fn hierarchy_counts_codes_and_populations() {
    let subs = layer("subdistricts.geojson");
    let comms = layer("communities.geojson");
    let grids = layer("grids.geojson");
    assert_eq!(subs.len(), 10);
    assert_eq!(comms.len(), 124);
    assert!(grids.len() >= 4_000, "{} grids", grids.len());
    let shiyan = subs.iter().find(|f| s(f, "name") == "石岩街道").unwrap();
    assert_eq!(s(shiyan, "code"), "440306006");
    let xinan = subs.iter().find(|f| s(f, "name") == "新安街道").unwrap();
    assert_eq!(s(xinan, "code"), "440306011");
    // The CSV's communities keep their names and codes.
    let c = comms.iter().find(|f| s(f, "name") == "应人石社区").unwrap();
    assert_eq!(
        (s(c, "code"), s(c, "subdistrict")),
        ("440306006008", "石岩街道")
    );
    assert_eq!(
        comms
            .iter()
            .filter(|f| s(f, "subdistrict") == "新安街道")
            .count(),
        22
    );
    assert_eq!(
        comms
            .iter()
            .filter(|f| s(f, "subdistrict") == "石岩街道")
            .count(),
        10
    );
    let codes: HashSet<&str> = comms.iter().map(|f| s(f, "code")).collect();
    assert_eq!(codes.len(), 124);
    // Grid ids follow file order; names, counts and populations add up.
    for (i, g) in grids.iter().enumerate() {
        assert_eq!(s(g, "id"), format!("G{:04}", i + 1));
        assert!(s(g, "name").starts_with(s(g, "community")) && s(g, "name").ends_with("网格"));
        assert_eq!(s(g, "worker_phone").len(), 11);
        assert!(n(g, "area_km2") * 1e6 >= 1_000.0, "sliver {}", s(g, "id"));
    }
    for c in &comms {
        let mine: Vec<&Feature> = grids
            .iter()
            .filter(|g| s(g, "community_code") == s(c, "code"))
            .collect();
        assert_eq!(mine.len() as f64, n(c, "grids"));
        let pop: f64 = mine.iter().map(|g| n(g, "population")).sum();
        assert_eq!(pop, n(c, "population"), "{}", s(c, "name"));
    }
    let total: f64 = subs.iter().map(|f| n(f, "population")).sum();
    assert!((4.3e6..4.7e6).contains(&total), "{total}");
    for sub in &subs {
        let pop: f64 = comms
            .iter()
            .filter(|c| s(c, "subdistrict") == s(sub, "name"))
            .map(|c| n(c, "population"))
            .sum();
        assert_eq!(pop, n(sub, "population"));
    }
    let mut ranked: Vec<(&str, f64)> = subs
        .iter()
        .map(|f| (s(f, "name"), n(f, "population")))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top4: HashSet<&str> = ranked[..4].iter().map(|x| x.0).collect();
    assert_eq!(
        top4,
        HashSet::from(["西乡街道", "沙井街道", "新安街道", "福永街道"])
    );
}

#[test]
fn communities_tile_subdistricts_and_grids_tile_communities() {
    let subs = layer("subdistricts.geojson");
    let comms = layer("communities.geojson");
    let grids = layer("grids.geojson");
    for sub in &subs {
        let children: Vec<&MultiPolygon<f64>> = comms
            .iter()
            .filter(|c| s(c, "subdistrict") == s(sub, "name"))
            .map(area)
            .collect();
        assert_partition(area(sub), &children, s(sub, "name"), 1);
    }
    for (ci, c) in comms.iter().enumerate() {
        let children: Vec<&MultiPolygon<f64>> = grids
            .iter()
            .filter(|g| s(g, "community_code") == s(c, "code"))
            .map(area)
            .collect();
        // Full overlap check on every 8th community, sampled elsewhere.
        assert_partition(
            area(c),
            &children,
            s(c, "name"),
            if ci % 8 == 0 { 1 } else { 7 },
        );
    }
}

#[test]
fn partition_check_can_fail() {
    // The helper above catches a gap and an overlap.
    let subs = layer("subdistricts.geojson");
    let comms = layer("communities.geojson");
    let parent = area(&subs[0]);
    let mut children: Vec<&MultiPolygon<f64>> = comms
        .iter()
        .filter(|c| s(c, "subdistrict") == s(&subs[0], "name"))
        .map(area)
        .collect();
    let dropped = children.pop().unwrap();
    let gap = std::panic::catch_unwind(|| assert_partition(parent, &children, "gap", 1));
    assert!(gap.is_err());
    children.push(dropped);
    children.push(dropped);
    let overlap = std::panic::catch_unwind(|| assert_partition(parent, &children, "overlap", 1));
    assert!(overlap.is_err());
}

#[test]
fn points_lie_in_their_grid_community_and_subdistrict() {
    let subs = layer("subdistricts.geojson");
    let comms = layer("communities.geojson");
    let grids = layer("grids.geojson");
    let gi = by_id(&grids);
    let sub_of: HashMap<&str, &Feature> = subs.iter().map(|f| (s(f, "name"), f)).collect();
    let comm_of: HashMap<&str, &Feature> = comms.iter().map(|f| (s(f, "name"), f)).collect();
    for file in ["hazards.geojson", "sentinels.geojson"] {
        let pts = layer(file);
        assert!(!pts.is_empty());
        for p in &pts {
            let g = &grids[gi[s(p, "grid")]];
            let pt = point(p);
            assert!(
                area(g).contains(&pt),
                "{file} {:?} outside grid {}",
                p.id,
                s(g, "id")
            );
            assert_eq!(s(p, "community"), s(g, "community"));
            assert_eq!(s(p, "subdistrict"), s(g, "subdistrict"));
            assert!(
                area(comm_of[s(p, "community")]).contains(&pt),
                "{file} {:?} outside its community",
                p.id
            );
            assert!(
                area(sub_of[s(p, "subdistrict")]).contains(&pt),
                "{file} {:?} outside its subdistrict",
                p.id
            );
        }
    }
    let hazards = layer("hazards.geojson");
    assert!(hazards.len() >= 20_000);
    let rectified = hazards
        .iter()
        .filter(|h| s(h, "status") == "rectified")
        .count();
    assert!(rectified * 2 > hazards.len(), "mostly rectified");
    let sentinels = layer("sentinels.geojson");
    assert!((1_300..=1_700).contains(&sentinels.len()));
    assert!(
        sentinels.iter().any(|x| s(x, "kind") == "village")
            && sentinels.iter().any(|x| s(x, "kind") == "estate")
    );
    // Sensors lie in their monitored area, which lies in its subdistrict.
    let areas = layer("monitored_areas.geojson");
    let ai = by_id(&areas);
    for x in layer("sensors.geojson") {
        let a = &areas[ai[s(&x, "area")]];
        assert!(
            area(a).contains(&point(&x)),
            "sensor {:?} outside {}",
            x.id,
            s(a, "id")
        );
        assert!(area(sub_of[s(&x, "subdistrict")]).contains(&point(&x)));
        assert_eq!(s(&x, "subdistrict"), s(a, "subdistrict"));
    }
    // Cases: a sample lies in its grid.
    let f = cases("cases_recent.bin");
    for r in f.records.iter().step_by(13) {
        let g = &grids[r.grid as usize];
        assert!(
            area(g).contains(&Point::new(r.lon, r.lat)),
            "case {} outside grid {}",
            r.id,
            s(g, "id")
        );
    }
}

#[test]
fn monitored_areas_cover_all_kinds_and_domains() {
    let areas = layer("monitored_areas.geojson");
    assert_eq!(areas.len(), 61);
    let kinds: HashSet<ZoneKind> = areas
        .iter()
        .map(|a| ZoneKind::from_code(s(a, "kind")).unwrap())
        .collect();
    assert_eq!(kinds.len(), 15);
    let domains: HashSet<RiskDomain> = areas
        .iter()
        .map(|a| RiskDomain::from_code(s(a, "domain")).unwrap())
        .collect();
    assert_eq!(domains.len(), 4);
    for a in &areas {
        assert_eq!(
            ZoneKind::from_code(s(a, "kind")).unwrap().domain().code(),
            s(a, "domain")
        );
        assert_eq!(s(a, "id").len(), 4);
    }
    let sensors = layer("sensors.geojson");
    for a in &areas {
        let mine = sensors
            .iter()
            .filter(|x| s(x, "area") == s(a, "id"))
            .count();
        assert_eq!(mine as f64, n(a, "sensors"));
        assert!(mine > 0);
    }
    let mut above = 0;
    for x in &sensors {
        let t = SensorType::from_code(s(x, "type")).unwrap();
        assert_eq!(s(x, "unit"), t.unit());
        assert!(n(x, "warn") < n(x, "alarm"));
        if n(x, "value") >= n(x, "warn") {
            above += 1;
        }
    }
    assert!(
        above > 0 && above * 5 < sensors.len(),
        "{above} of {} above warn",
        sensors.len()
    );
}

#[test]
fn waterlogging_points_have_four_contacts() {
    let hazards = layer("hazards.geojson");
    let grids = layer("grids.geojson");
    let gi = by_id(&grids);
    let mut n_water = 0;
    for h in &hazards {
        let contacts = h.properties.get("contacts");
        if s(h, "type") == "waterlogging" {
            n_water += 1;
            let c = contacts.and_then(|v| v.as_array()).expect("contacts array");
            assert_eq!(c.len(), 4, "{:?}", h.id);
            let roles: Vec<&str> = c.iter().map(|x| x["role"].as_str().unwrap()).collect();
            assert_eq!(roles, ["街道责任人", "社区责任人", "网格员", "水务专管员"]);
            for x in c {
                let phone = x["phone"].as_str().unwrap();
                assert!(phone.len() == 11 && phone.chars().all(|d| d.is_ascii_digit()));
                assert!(!x["name"].as_str().unwrap().is_empty());
            }
            assert_eq!(
                c[2]["name"].as_str(),
                grids[gi[s(h, "grid")]].str_prop("worker")
            );
        } else {
            assert!(contacts.is_none());
        }
    }
    assert!(
        (200..=1_000).contains(&n_water),
        "{n_water} waterlogging points"
    );
}

#[test]
fn case_files_decode_and_respect_their_windows() {
    let d = data();
    let year = cases("cases_year.bin");
    let recent = cases("cases_recent.bin");
    let grids = layer("grids.geojson");
    assert_eq!(year.records.len(), CASES);
    assert_eq!(year.grid_count as usize, grids.len());
    assert_eq!(recent.grid_count as usize, grids.len());
    assert_eq!(year.window_end, d.cfg.now);
    assert_eq!(recent.window_end, d.cfg.now);
    assert_eq!(year.window_start, d.cfg.now - 365 * 86_400);
    assert_eq!(recent.window_start, d.cfg.now - 30 * 86_400);
    for f in [&year, &recent] {
        assert!(f
            .records
            .iter()
            .all(|r| r.time >= f.window_start && r.time < f.window_end));
        assert!(f
            .records
            .windows(2)
            .all(|w| w[0].time <= w[1].time && w[0].id < w[1].id));
    }
    let tail = &year.records[year.records.len() - recent.records.len()..];
    assert_eq!(tail, &recent.records[..]);
    assert!(year.records[..year.records.len() - recent.records.len()]
        .iter()
        .all(|r| r.time < recent.window_start));
    // ~30/365 of the year, a little less or more with the seasons.
    let share = recent.records.len() as f64 / CASES as f64;
    assert!((0.05..0.12).contains(&share), "{share}");
    let sum_year: f64 = grids.iter().map(|g| n(g, "cases_year")).sum();
    let sum_30: f64 = grids.iter().map(|g| n(g, "cases_30d")).sum();
    assert_eq!(sum_year as usize, year.records.len());
    assert_eq!(sum_30 as usize, recent.records.len());
    // Status by age: old cases are closed, recent ones include open ones
    // and some are overdue.
    let old = &year.records[..year.records.len() / 2];
    let open_old = old.iter().filter(|r| r.status.is_open()).count();
    assert!((open_old as f64) < 0.01 * old.len() as f64, "{open_old}");
    let last_day: Vec<_> = recent
        .records
        .iter()
        .filter(|r| r.time >= d.cfg.now - 86_400)
        .collect();
    let open_new = last_day.iter().filter(|r| r.status.is_open()).count();
    assert!(
        open_new * 2 > last_day.len(),
        "{open_new} of {}",
        last_day.len()
    );
    assert!(recent.records.iter().any(|r| r.is_overdue(d.cfg.now)));
    // Every category occurs with departments and a deadline.
    let cats: HashSet<CaseCategory> = year.records.iter().map(|r| r.category).collect();
    assert_eq!(cats.len(), 13);
    assert!(year
        .records
        .iter()
        .all(|r| !r.departments.is_empty() && r.deadline_hours > 0));
    let fire = year
        .records
        .iter()
        .filter(|r| r.category == CaseCategory::FireSafety);
    assert!(fire
        .clone()
        .all(|r| r.departments.contains(Department::Fire)));
    assert!(year
        .records
        .iter()
        .filter(|r| r.category == CaseCategory::Pollution)
        .all(|r| r.departments.contains(Department::Ecology)));
}

#[test]
fn case_rhythm_follows_working_hours_and_the_week() {
    let year = cases("cases_year.bin");
    let mut hours = [0usize; 24];
    let mut per_weekday = [0usize; 7];
    for r in &year.records {
        let t = time::cst(r.time);
        hours[t.hour as usize] += 1;
        per_weekday[t.weekday as usize] += 1;
    }
    assert!(hours[10] > 3 * hours[3], "{hours:?}");
    assert!(hours[15] > 3 * hours[2], "{hours:?}");
    assert!(
        hours[10] > hours[12] && hours[15] > hours[12],
        "a lunch dip: {hours:?}"
    );
    // 52 or 53 of each weekday in 365 days: compare means.
    let workday = per_weekday[..5].iter().sum::<usize>() as f64 / 5.0;
    let weekend = per_weekday[5..].iter().sum::<usize>() as f64 / 2.0;
    assert!(workday > 1.3 * weekend, "{per_weekday:?}");
}

#[test]
fn dispatch_rules_route_family_disputes_to_police_court_and_judicial() {
    let text = std::fs::read_to_string(data().dir.join("dispatch_rules.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rules = v["rules"].as_array().unwrap();
    let family = rules
        .iter()
        .find(|r| {
            r["category"] == "dispute"
                && r["keywords"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k == "婚姻家庭" || k == "家庭纠纷")
        })
        .expect("a family-dispute rule");
    let depts: HashSet<&str> = family["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    for d in ["police", "court", "judicial"] {
        assert!(depts.contains(d), "{depts:?}");
    }
    for r in rules {
        assert!(CaseCategory::from_code(r["category"].as_str().unwrap()).is_some());
        assert!(r["deadline_hours"].as_u64().unwrap() > 0);
        for d in r["departments"].as_array().unwrap() {
            assert!(Department::from_code(d.as_str().unwrap()).is_some(), "{d}");
        }
    }
    // The cases use it: some disputes go to police + court + judicial, a
    // few of them with the women's federation too.
    let year = cases("cases_year.bin");
    let pcj = |r: &&pingan_model::cases::CaseRecord| {
        r.category == CaseCategory::Dispute
            && [Department::Police, Department::Court, Department::Judicial]
                .iter()
                .all(|d| r.departments.contains(*d))
    };
    let n_pcj = year.records.iter().filter(pcj).count();
    let n_wf = year
        .records
        .iter()
        .filter(pcj)
        .filter(|r| r.departments.contains(Department::WomensFederation))
        .count();
    assert!(n_pcj > 100 && n_wf > 10 && n_wf < n_pcj, "{n_pcj} {n_wf}");
}

#[test]
fn green_coverage_is_plausible_and_parks_do_not_overlap() {
    let subs = layer("subdistricts.geojson");
    let parks = layer("parks.geojson");
    let greens = layer("greenspace.geojson");
    let all: Vec<MultiPolygon<f64>> = parks
        .iter()
        .chain(greens.iter())
        .map(|f| area(f).clone())
        .collect();
    let areas: Vec<MultiPolygon<f64>> = subs.iter().map(|f| area(f).clone()).collect();
    let cov = green_coverage(&areas, &all);
    for (f, c) in subs.iter().zip(&cov) {
        assert!((0.15..=0.75).contains(c), "{} {c}", s(f, "name"));
        assert!(
            (c - n(f, "green_ratio")).abs() < 0.01,
            "{} computed {c} vs property {}",
            s(f, "name"),
            n(f, "green_ratio")
        );
    }
    let land: f64 = areas.iter().map(area_m2).sum();
    let district: f64 = areas
        .iter()
        .zip(&cov)
        .map(|(a, c)| area_m2(a) * c)
        .sum::<f64>()
        / land;
    assert!((0.35..=0.6).contains(&district), "{district}");
    assert!((district - data().report.district_green).abs() < 0.01);
    assert!(
        cov.iter().any(|c| *c < 0.49),
        "some subdistricts fall short of 49 %"
    );
    let shiyan = subs
        .iter()
        .position(|f| s(f, "name") == "石岩街道")
        .unwrap();
    assert!(
        cov.iter().all(|c| *c <= cov[shiyan]),
        "hilly 石岩 is greenest: {cov:?}"
    );
    // Tiers: a few country parks in the east, ~20-30 city parks, hundreds of
    // community parks, many pocket parks.
    let count = |t: &str| parks.iter().filter(|p| s(p, "tier") == t).count();
    assert!((3..=8).contains(&count("country")));
    assert!((20..=30).contains(&count("city")));
    assert!(count("community") >= 200 && count("pocket") >= 500);
    for p in parks.iter().filter(|p| s(p, "tier") == "country") {
        let c = area(p).bounding_rect().unwrap().center();
        assert!(c.x > 113.85, "{} at {c:?}", s(p, "name"));
    }
    assert!(greens
        .iter()
        .all(|g| s(g, "tier") == "green" && !s(g, "kind").is_empty()));
    // No two green shapes overlap (every 3rd checked against all).
    let idx = AreaIndex::bulk_load(&all);
    for (i, g) in all.iter().enumerate().step_by(3) {
        for j in idx.query(&pingan_model::index::bbox_of(g).unwrap()) {
            let j = j as usize;
            if j != i {
                let ov = area_m2(&g.intersection(&all[j]));
                assert!(ov < 1.0, "green {i} and {j} overlap by {ov:.1} m²");
            }
        }
    }
    // The 300 m / 500 m standard is computable and partly met.
    let grids = layer("grids.geojson");
    let homes: Vec<([f64; 2], f64)> = grids
        .iter()
        .map(|g| {
            let c = area(g).bounding_rect().unwrap().center();
            ([c.x, c.y], n(g, "population"))
        })
        .collect();
    let park_shapes: Vec<MultiPolygon<f64>> = parks.iter().map(|f| area(f).clone()).collect();
    let green_shapes: Vec<MultiPolygon<f64>> = greens.iter().map(|f| area(f).clone()).collect();
    let acc = green_access(&homes, &park_shapes, &green_shapes);
    assert!((0.5..1.0).contains(&acc.within_300m_green), "{acc:?}");
    assert!((0.3..1.0).contains(&acc.within_500m_park), "{acc:?}");
}

#[test]
fn population_is_dense_in_the_west_and_sparse_in_the_hills() {
    let grids = layer("grids.geojson");
    let (mut west, mut west_a, mut east, mut east_a) = (0.0, 0.0, 0.0, 0.0);
    for g in &grids {
        let c = area(g).bounding_rect().unwrap().center();
        let (p, a) = (n(g, "population"), n(g, "area_km2"));
        if c.x < 113.86 {
            west += p;
            west_a += a;
        } else if c.x > 113.93 {
            east += p;
            east_a += a;
        }
    }
    assert!(
        west / west_a > 3.0 * (east / east_a),
        "west {} vs east {} per km²",
        west / west_a,
        east / east_a
    );
}

#[test]
fn same_seed_same_bytes_other_seed_other_data() {
    let d = data();
    let again = config(2026, "again");
    generate(&again).unwrap();
    for f in &d.report.files {
        let a = std::fs::read(d.dir.join(&f.file)).unwrap();
        let b = std::fs::read(again.out.join(&f.file)).unwrap();
        assert!(
            a == b,
            "{} differs between two runs with the same seed",
            f.file
        );
    }
    let other = config(7, "other");
    generate(&other).unwrap();
    for file in [
        "grids.geojson",
        "hazards.geojson",
        "cases_year.bin",
        "greenspace.geojson",
    ] {
        let a = std::fs::read(d.dir.join(file)).unwrap();
        let b = std::fs::read(other.out.join(file)).unwrap();
        assert!(a != b, "{file} is the same for seeds 2026 and 7");
    }
    // The real boundaries do not depend on the seed.
    let a = std::fs::read(d.dir.join("subdistricts.geojson")).unwrap();
    let b = std::fs::read(other.out.join("subdistricts.geojson")).unwrap();
    let fa = parse_feature_collection(std::str::from_utf8(&a).unwrap()).unwrap();
    let fb = parse_feature_collection(std::str::from_utf8(&b).unwrap()).unwrap();
    for (x, y) in fa.iter().zip(&fb) {
        // Vertices differ (borders take the communities' corner points),
        // the shape does not.
        let (ax, ay) = (area_m2(area(x)), area_m2(area(y)));
        assert!((ax - ay).abs() < 1e-5 * ax, "{:?}: {ax} vs {ay}", x.id);
        assert_eq!(s(x, "code"), s(y, "code"));
    }
    let _ = std::fs::remove_dir_all(&again.out);
    let _ = std::fs::remove_dir_all(&other.out);
}

#[test]
fn bad_inputs_fail_with_clear_errors() {
    let mut cfg = config(1, "bad");
    cfg.boundaries = PathBuf::from("/nonexistent/boundaries");
    let e = generate(&cfg).unwrap_err().to_string();
    assert!(e.contains("district.geojson"), "{e}");
    assert!(parse_date("2026-13-01").is_err());
    assert!(parse_date("2026-02-30").is_err());
    assert!(parse_date("26-1-1").is_err());
    assert_eq!(
        parse_date("2026-11-26").unwrap(),
        time::cst_midnight(2026, 11, 26)
    );
    let _ = std::fs::remove_dir_all(&cfg.out);
}
