//! Cases (events reported by grid workers) over the year before `now`, and
//! the dispatch rules that route them to departments.

use crate::admin::Admin;
use crate::fields;
use crate::geom;
use crate::sites::Picker;
use pingan_model::cases::{CaseRecord, DeptSet};
use pingan_model::domain::{CaseCategory, CaseStatus, Department};
use pingan_model::time;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use serde::Serialize;

/// One dispatch rule: a category, optional keywords, the departments it
/// routes to and the deadline. See docs/data.md for the matching order.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub category: CaseCategory,
    pub name: &'static str,
    pub name_en: &'static str,
    /// Any of these in the report text selects the rule; empty = the
    /// category's default rule.
    pub keywords: &'static [&'static str],
    pub departments: &'static [Department],
    pub deadline_hours: u16,
    /// Share of the category's cases generated under this rule.
    pub share: f64,
}

use CaseCategory as C;
use Department as D;

macro_rules! rule {
    ($id:literal, $cat:expr, $zh:literal, $en:literal, [$($kw:literal),*], [$($d:expr),+], $h:literal, $share:literal) => {
        Rule { id: $id, category: $cat, name: $zh, name_en: $en, keywords: &[$($kw),*], departments: &[$($d),+], deadline_hours: $h, share: $share }
    };
}

pub const RULES: &[Rule] = &[
    rule!(
        "R01",
        C::Dispute,
        "婚姻家庭纠纷",
        "Family dispute",
        ["婚姻家庭", "家庭纠纷", "离婚", "赡养", "抚养"],
        [D::Police, D::Court, D::Judicial],
        72,
        0.16
    ),
    rule!(
        "R02",
        C::Dispute,
        "家庭暴力",
        "Domestic violence",
        ["家暴", "家庭暴力", "妇女儿童权益"],
        [D::Police, D::Court, D::Judicial, D::WomensFederation],
        24,
        0.04
    ),
    rule!(
        "R03",
        C::Dispute,
        "邻里纠纷",
        "Neighbour dispute",
        ["邻里", "噪音", "漏水"],
        [D::Judicial, D::Governance],
        72,
        0.35
    ),
    rule!(
        "R04",
        C::Dispute,
        "物业纠纷",
        "Property-management dispute",
        ["物业", "业主", "停车"],
        [D::Governance, D::Housing],
        120,
        0.20
    ),
    rule!(
        "R05",
        C::Dispute,
        "其他矛盾纠纷",
        "Other dispute",
        [],
        [D::Judicial, D::Governance],
        72,
        0.25
    ),
    rule!(
        "R06",
        C::SafetyHazard,
        "房屋安全",
        "Building safety",
        ["危房", "墙体开裂", "高空坠物"],
        [D::Housing, D::Emergency],
        48,
        0.30
    ),
    rule!(
        "R07",
        C::SafetyHazard,
        "安全隐患",
        "Safety hazard",
        [],
        [D::Emergency],
        48,
        0.70
    ),
    rule!(
        "R08",
        C::PublicOrder,
        "治安问题",
        "Public order",
        [],
        [D::Police],
        24,
        1.0
    ),
    rule!(
        "R09",
        C::FireSafety,
        "电动车充电",
        "E-bike charging",
        ["电动车", "充电", "飞线"],
        [D::Fire, D::Governance],
        24,
        0.30
    ),
    rule!(
        "R10",
        C::FireSafety,
        "消防安全",
        "Fire safety",
        [],
        [D::Fire],
        24,
        0.70
    ),
    rule!(
        "R11",
        C::CityAppearance,
        "市容环境",
        "City appearance",
        [],
        [D::UrbanManagement],
        72,
        1.0
    ),
    rule!(
        "R12",
        C::IllegalConstruction,
        "违法建设",
        "Illegal construction",
        [],
        [D::UrbanManagement, D::Housing],
        120,
        1.0
    ),
    rule!(
        "R13",
        C::Pollution,
        "水污染",
        "Water pollution",
        ["污水", "河道", "排污"],
        [D::Ecology, D::Water],
        72,
        0.35
    ),
    rule!(
        "R14",
        C::Pollution,
        "环境污染",
        "Pollution",
        [],
        [D::Ecology],
        72,
        0.65
    ),
    rule!(
        "R15",
        C::LabourDispute,
        "欠薪讨薪",
        "Unpaid wages",
        ["欠薪", "讨薪", "工资"],
        [D::Labour, D::Judicial],
        120,
        0.60
    ),
    rule!(
        "R16",
        C::LabourDispute,
        "劳资纠纷",
        "Labour dispute",
        [],
        [D::Labour],
        120,
        0.40
    ),
    rule!(
        "R17",
        C::FoodDrug,
        "食品药品",
        "Food & drug",
        [],
        [D::Market],
        72,
        1.0
    ),
    rule!(
        "R18",
        C::TrafficSafety,
        "交通安全",
        "Traffic safety",
        [],
        [D::Police, D::UrbanManagement],
        48,
        1.0
    ),
    rule!(
        "R19",
        C::RentalHousing,
        "出租屋管理",
        "Rental housing",
        [],
        [D::Housing, D::Police],
        120,
        1.0
    ),
    rule!(
        "R20",
        C::SpecialGroups,
        "特殊人群服务管理",
        "Special groups",
        [],
        [D::Governance, D::Judicial, D::Police],
        168,
        1.0
    ),
    rule!(
        "R21",
        C::PublicFacilities,
        "排水设施",
        "Drainage facilities",
        ["井盖", "积水", "排水"],
        [D::Water, D::UrbanManagement],
        48,
        0.35
    ),
    rule!(
        "R22",
        C::PublicFacilities,
        "公共设施",
        "Public facilities",
        [],
        [D::UrbanManagement],
        96,
        0.65
    ),
];

/// Share of all cases per category (index = `CaseCategory::index`).
pub const CATEGORY_SHARES: [f64; 13] = [
    0.10, 0.12, 0.06, 0.09, 0.22, 0.05, 0.04, 0.03, 0.02, 0.05, 0.13, 0.01, 0.08,
];

/// The rule a report matches: the first rule of its category with a
/// keyword in the text, else the category's default rule.
pub fn route(category: CaseCategory, text: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .filter(|r| r.category == category)
        .find(|r| r.keywords.iter().any(|k| text.contains(k)))
        .or_else(|| {
            RULES
                .iter()
                .find(|r| r.category == category && r.keywords.is_empty())
        })
}

#[derive(Serialize)]
struct RulesFile {
    version: u32,
    description: &'static str,
    matching: &'static str,
    category_shares: Vec<(CaseCategory, f64)>,
    rules: Vec<RuleOut>,
    urgent_note: &'static str,
    urgent: &'static [&'static str],
}

/// The rules whose cases take the wall's focus (`DispatchRules::urgent`):
/// domestic violence (R02, ~0.4 % of cases, ~11 a day), where the police
/// must come at once. Whole categories would be 27–600 a day.
pub const URGENT_RULES: &[&str] = &["R02"];

#[derive(Serialize)]
struct RuleOut {
    #[serde(flatten)]
    rule: Rule,
    category_label: &'static str,
    department_labels: Vec<&'static str>,
}

/// dispatch_rules.json.
pub fn rules_json() -> String {
    let f = RulesFile {
        version: 1,
        description: "一体化分拨 dispatch rules: category (+ keywords) → departments and deadline (hours after the report).",
        matching: "Among the rules of the case's category, the first whose keywords occur in the report text wins; otherwise the category's default rule (empty keywords). `share` is the fraction of the category's generated cases routed by the rule.",
        category_shares: CaseCategory::ALL.iter().map(|c| (*c, CATEGORY_SHARES[c.index()])).collect(),
        rules: RULES
            .iter()
            .map(|r| RuleOut {
                rule: r.clone(),
                category_label: r.category.label(pingan_model::domain::Lang::Zh),
                department_labels: r.departments.iter().map(|d| d.label(pingan_model::domain::Lang::Zh)).collect(),
            })
            .collect(),
        urgent_note: "Ids of the rules whose cases are urgent: a new one takes the command-centre wall's focus.",
        urgent: URGENT_RULES,
    };
    serde_json::to_string_pretty(&f).unwrap_or_default()
}

/// Reports per local hour of day (relative).
pub const HOUR_WEIGHTS: [f64; 24] = [
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.25, 0.6, 1.2, 1.9, 2.0, 1.7, 0.8, 0.9, 1.7, 1.9, 1.8,
    1.3, 0.8, 0.7, 0.6, 0.5, 0.35, 0.22,
];
/// Monday … Sunday.
pub const WEEKDAY_WEIGHTS: [f64; 7] = [1.0, 1.0, 1.0, 1.0, 0.97, 0.62, 0.52];

/// Chinese New Year's Day, for the holiday dip (migrants go home).
const SPRING_FESTIVAL: &[(i64, u32, u32)] = &[
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
    (2029, 2, 13),
    (2030, 2, 3),
];

fn day_factor(day_start: i64) -> f64 {
    let t = time::cst(day_start);
    let days = time::days_from_civil(t.year, t.month, t.day);
    let mut f = WEEKDAY_WEIGHTS[t.weekday as usize];
    // Rainy season (May–September) brings more facility and hazard reports.
    let doy = days - time::days_from_civil(t.year, 1, 1);
    f *= 1.0 + 0.08 * (std::f64::consts::TAU * (doy as f64 - 110.0) / 365.0).sin();
    for &(y, m, d) in SPRING_FESTIVAL {
        let off = days - time::days_from_civil(y, m, d);
        if (-7..0).contains(&off) || (7..14).contains(&off) {
            f *= 0.75;
        } else if (0..7).contains(&off) {
            f *= 0.45;
        }
    }
    f
}

fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// The status a case has at `now`, from a simulated processing time.
fn status_at(rng: &mut SmallRng, age_h: f64, deadline_h: f64) -> CaseStatus {
    let duration = deadline_h * 0.45 * (0.7 * normal(rng)).exp();
    if age_h >= duration {
        let since = age_h - duration;
        if since > 72.0 && rng.random_bool(0.92) {
            CaseStatus::Archived
        } else {
            CaseStatus::Resolved
        }
    } else {
        let frac = age_h / duration;
        let u: f64 = rng.random();
        if u < 0.03 {
            CaseStatus::Returned
        } else if u < 0.05 && frac > 0.3 {
            CaseStatus::Escalated
        } else if frac < 0.03 {
            CaseStatus::Reported
        } else if frac < 0.10 {
            CaseStatus::Accepted
        } else if frac < 0.25 {
            CaseStatus::Dispatched
        } else {
            CaseStatus::InProgress
        }
    }
}

pub const YEAR_DAYS: i64 = 365;
pub const RECENT_DAYS: i64 = 30;

/// `n` cases in `[now - 365 d, now)`, sorted by time, ids 1… ascending.
pub fn generate(rng: &mut SmallRng, admin: &Admin, n: usize, now: i64) -> Vec<CaseRecord> {
    let start = now - YEAR_DAYS * 86_400;
    let slots = Picker::new((0..YEAR_DAYS * 24).map(|s| {
        let day_start = start + (s / 24) * 86_400;
        day_factor(day_start) * HOUR_WEIGHTS[(s % 24) as usize]
    }));
    let categories = Picker::new(CATEGORY_SHARES);
    let rules_of: Vec<(Vec<&Rule>, Picker)> = CaseCategory::ALL
        .iter()
        .map(|c| {
            let rs: Vec<&Rule> = RULES.iter().filter(|r| r.category == *c).collect();
            let p = Picker::new(rs.iter().map(|r| r.share));
            (rs, p)
        })
        .collect();
    let people = Picker::new(admin.grids.iter().map(|g| g.population as f64 + 5.0));
    let works = Picker::new(
        admin
            .grids
            .iter()
            .map(|g| (g.population as f64 + 5.0) * (0.2 + fields::industry(g.centroid))),
    );
    let mut out: Vec<CaseRecord> = Vec::with_capacity(n);
    for _ in 0..n {
        let slot = slots.pick(rng) as i64;
        let t = start + slot * 3600 + rng.random_range(0..3600);
        let category = CaseCategory::ALL[categories.pick(rng)];
        let (rs, rp) = &rules_of[category.index()];
        let rule = rs[rp.pick(rng)];
        let gi = match category {
            C::LabourDispute | C::Pollution => works.pick(rng),
            _ => people.pick(rng),
        };
        let g = &admin.grids[gi];
        let mut at = None;
        for i in 0..12 {
            let p = if i < 6 && !g.points.is_empty() {
                let pi = *g.points.choose(rng).unwrap_or(&0);
                geom::offset(
                    admin.points[pi as usize],
                    rng.random_range(-50.0..50.0),
                    rng.random_range(-50.0..50.0),
                )
            } else {
                geom::random_point_in(rng, &g.cell, 20).unwrap_or(g.centroid)
            };
            let p = geom::round_coord(p);
            if geom::inside_strict(p, &g.cell, crate::sites::MARGIN) {
                at = Some(p);
                break;
            }
        }
        let at = at.unwrap_or_else(|| geom::round_coord(g.centroid));
        let age_h = (now - t) as f64 / 3600.0;
        out.push(CaseRecord {
            id: 0,
            time: t,
            lon: at.x,
            lat: at.y,
            grid: gi as u16,
            category,
            status: status_at(rng, age_h, rule.deadline_hours as f64),
            departments: DeptSet::of(rule.departments),
            deadline_hours: rule.deadline_hours,
        });
    }
    out.sort_by_key(|r| r.time);
    for (i, r) in out.iter_mut().enumerate() {
        r.id = i as u32 + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_sum_to_one_and_every_category_has_a_default() {
        assert!((CATEGORY_SHARES.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        for c in CaseCategory::ALL {
            let s: f64 = RULES
                .iter()
                .filter(|r| r.category == *c)
                .map(|r| r.share)
                .sum();
            assert!((s - 1.0).abs() < 1e-9, "{c:?} shares sum to {s}");
            assert_eq!(
                RULES
                    .iter()
                    .filter(|r| r.category == *c && r.keywords.is_empty())
                    .count(),
                1,
                "{c:?}"
            );
        }
    }

    #[test]
    fn family_dispute_routes_to_police_court_and_judicial() {
        let r = route(CaseCategory::Dispute, "社区妇联反映一起婚姻家庭纠纷").unwrap();
        let d = DeptSet::of(r.departments);
        assert!(d.contains(D::Police) && d.contains(D::Court) && d.contains(D::Judicial));
        let r = route(CaseCategory::Dispute, "楼上噪音扰民").unwrap();
        assert_eq!(r.id, "R03");
        let r = route(CaseCategory::Dispute, "其他").unwrap();
        assert_eq!(r.id, "R05");
    }

    #[test]
    fn the_rules_file_names_its_urgent_rules_and_the_model_reads_them() {
        let rules = pingan_model::live::DispatchRules::parse(&rules_json()).unwrap();
        assert_eq!(rules.urgent, ["R02"]);
        let r = route(CaseCategory::Dispute, "居民反映家庭暴力").unwrap();
        assert!(rules.is_urgent(Some(r.id)));
        assert!(!rules.is_urgent(Some("R01")));
    }

    #[test]
    fn spring_festival_dips() {
        let cny = time::cst_midnight(2026, 2, 17);
        let normal_tue = time::cst_midnight(2026, 3, 17);
        assert!(day_factor(cny) < 0.6 * day_factor(normal_tue));
    }
}
