//! Cases of the last 30 days (近30天事件): dots coloured by state (open,
//! overdue, closed); bins below z15 and badges at district scale (the
//! catalogue's level-of-detail rule); details rows from the case record.

use super::*;
use crate::style::dot;
use pingan_model::cases::CaseRecord;
use pingan_model::time::format_cst;

pub static SPEC: LayerSpec = LayerSpec {
    id: LayerId::Cases,
    hit_rank: 3,
    fetch_rank: 1,
    // Drawn on its own from effective z15.
    fly_min_eff: 15.6,
    legend,
    rows: |item, ctx| match item {
        Item::Case(c) => case_rows(c, ctx),
        Item::Feature(_) => rows::feature(item, ctx),
    },
    draw: Draw::Point(PointSpec {
        // Cases are classed from their records, never from a feature.
        class: |_| (0, 0),
        symbol: |_, state, big| Symbol::Circle {
            r: 3.2 * big,
            fill: colour(state),
            ring: Some(("rgba(0,0,0,0.6)", 0.8)),
        },
        bin_colour: "rgba(77,171,247,0.55)",
        badge: Some(BadgeSpec {
            name: |lang| lang.pick("事件", "Cases"),
            colour: "#4dabf7",
        }),
    }),
};

/// Case colours by state: open, overdue, closed.
fn colour(state: u8) -> &'static str {
    match state {
        0 => "#4dabf7",
        1 => "#ff3b3b",
        _ => "#7d8ba1",
    }
}

fn legend(lang: Lang, _: &[f64]) -> Vec<LegendItem> {
    vec![
        dot(colour(0), None, lang.pick("办理中", "Open")),
        dot(colour(1), None, lang.pick("已超期", "Overdue")),
        dot(colour(2), None, lang.pick("已办结", "Closed")),
    ]
}

/// A case's rows: number, category, status, times (CST), overdue,
/// departments, its grid's id and lon/lat.
fn case_rows(c: &CaseRecord, ctx: &RowCtx<'_>) -> Vec<Row> {
    let lang = ctx.lang;
    let depts: Vec<&str> = c.departments.iter().map(|d| d.label(lang)).collect();
    let grid = ctx
        .grid_ids
        .get(c.grid as usize)
        .cloned()
        .unwrap_or_else(|| c.grid.to_string());
    let overdue = c.is_overdue(ctx.now);
    vec![
        rows::row("id", c.number(), lang),
        rows::row("category", c.category.label(lang).to_string(), lang),
        rows::row("status", c.status.label(lang).to_string(), lang),
        rows::row("time", format_cst(c.time), lang),
        rows::row("due", format_cst(c.deadline()), lang),
        rows::row(
            "overdue",
            lang.pick(
                if overdue { "是" } else { "否" },
                if overdue { "yes" } else { "no" },
            )
            .to_string(),
            lang,
        ),
        rows::row("departments", depts.join("、"), lang),
        rows::row("grid", grid, lang),
        rows::lonlat(c.lon, c.lat, lang),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::cases::DeptSet;
    use pingan_model::domain::{CaseCategory, CaseStatus, Department};

    #[test]
    fn a_case_has_its_rows_in_order_with_grid_id_and_overdue() {
        let c = CaseRecord {
            id: 7,
            time: 1_790_000_000,
            lon: 113.81,
            lat: 22.56,
            grid: 1,
            category: CaseCategory::Dispute,
            status: CaseStatus::Dispatched,
            departments: DeptSet::of(&[Department::Police, Department::Court]),
            deadline_hours: 48,
        };
        let grid_ids = ["G0001".to_string(), "G0002".to_string()];
        let ctx = |now, grid_ids| RowCtx {
            lang: Lang::Zh,
            now,
            grid_ids,
        };
        let rows = (SPEC.rows)(Item::Case(&c), &ctx(1_790_000_000 + 49 * 3600, &grid_ids));
        let keys: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            keys,
            [
                "id",
                "category",
                "status",
                "time",
                "due",
                "overdue",
                "departments",
                "grid",
                "lonlat"
            ]
        );
        let value = |rows: &[Row], k: &str| {
            rows.iter()
                .find(|r| r.0 == k)
                .map(|r| r.2.clone())
                .unwrap_or_default()
        };
        assert_eq!(value(&rows, "id"), "AJ00000007");
        assert_eq!(value(&rows, "grid"), "G0002");
        assert_eq!(value(&rows, "overdue"), "是");
        assert_eq!(rows[8].1, "经纬度");
        // Not yet due; a grid the grid layer does not know keeps its key.
        let early = (SPEC.rows)(Item::Case(&c), &ctx(1_790_000_000, &[]));
        assert_eq!(value(&early, "overdue"), "否");
        assert_eq!(value(&early, "grid"), "1");
    }
}
