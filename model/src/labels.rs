//! Readable labels for feature properties, so the details panel shows every
//! property under a name a person understands, and coded values in words.

use crate::domain::*;
use serde_json::Value;

/// The label of a property key; unknown keys are shown as they are.
pub fn key_label(key: &str, lang: Lang) -> String {
    let (zh, en) = match key {
        "id" => ("编号", "ID"),
        "name" => ("名称", "Name"),
        "name_en" => ("英文名称", "English name"),
        "code" => ("代码", "Code"),
        "subdistrict" => ("所属街道", "Subdistrict"),
        "community" => ("所属社区", "Community"),
        "grid" => ("所属网格", "Grid"),
        "population" => ("常住人口(估)", "Population (est.)"),
        "households" => ("户数", "Households"),
        "worker" => ("网格员", "Grid worker"),
        "worker_phone" => ("网格员电话", "Grid worker phone"),
        "area_km2" => ("面积(平方公里)", "Area (km²)"),
        "area_m2" => ("面积(平方米)", "Area (m²)"),
        "cases_year" => ("全年事件数", "Cases this year"),
        "cases_30d" => ("近30天事件数", "Cases, last 30 days"),
        "tier" => ("公园等级", "Park tier"),
        "type" => ("类型", "Type"),
        "status" => ("状态", "Status"),
        "owner" => ("责任单位", "Responsible party"),
        "address" => ("地址", "Address"),
        "found" => ("发现日期", "Found on"),
        "deadline" => ("整改期限", "Rectify by"),
        "due" => ("办理时限", "Due by"),
        "contacts" => ("联系人", "Contacts"),
        "domain" => ("风险领域", "Risk domain"),
        "kind" => ("类别", "Kind"),
        "area" => ("所属监测区", "Monitored area"),
        "unit" => ("单位", "Unit"),
        "warn" => ("预警阈值", "Warning threshold"),
        "alarm" => ("报警阈值", "Alarm threshold"),
        "value" => ("最新读数", "Latest reading"),
        "sensors" => ("传感器数", "Sensors"),
        "estate" => ("小区/村", "Estate / village"),
        "category" => ("事件类别", "Category"),
        "time" => ("上报时间", "Reported at"),
        "departments" => ("分拨部门", "Departments"),
        "overdue" => ("是否超期", "Overdue"),
        "green_ratio" => ("绿化覆盖率", "Green coverage"),
        "adcode" => ("行政区划代码", "Admin code"),
        "source" => ("数据来源", "Source"),
        _ => return key.to_string(),
    };
    lang.pick(zh, en).to_string()
}

/// Properties that hold a person's name: shown with the family name only.
pub const PERSON_KEYS: &[&str] = &["worker", "contact", "reporter"];

/// A property value in words: codes become labels, phones are masked,
/// arrays of contacts are listed.
pub fn value_text(key: &str, v: &Value, lang: Lang) -> String {
    let code = v.as_str().unwrap_or("");
    let coded = match key {
        "tier" => ParkTier::from_code(code).map(|c| c.label(lang)),
        "status" => HazardStatus::from_code(code)
            .map(|c| c.label(lang))
            .or_else(|| CaseStatus::from_code(code).map(|c| c.label(lang))),
        "domain" => RiskDomain::from_code(code).map(|c| c.label(lang)),
        "category" => CaseCategory::from_code(code).map(|c| c.label(lang)),
        "type" => HazardType::from_code(code)
            .map(|c| c.label(lang))
            .or_else(|| SensorType::from_code(code).map(|c| c.label(lang))),
        "kind" => ZoneKind::from_code(code)
            .map(|c| c.label(lang))
            .or_else(|| SentinelKind::from_code(code).map(|c| c.label(lang))),
        _ => None,
    };
    if let Some(label) = coded {
        return label.to_string();
    }
    match v {
        // Personal information is masked whatever its JSON type (PIPL; public screens).
        _ if key.ends_with("phone") => match v {
            Value::String(s) => mask_phone(s),
            Value::Number(n) => mask_phone(&n.to_string()),
            _ => "—".into(),
        },
        Value::String(s) if PERSON_KEYS.contains(&key) => mask_name(s),
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        Value::Bool(b) => lang
            .pick(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" })
            .into(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(o) => {
                    let role = o.get("role").and_then(Value::as_str).unwrap_or("");
                    let name = o.get("name").and_then(Value::as_str).unwrap_or("");
                    let phone = o.get("phone").and_then(Value::as_str).unwrap_or("");
                    format!("{role} {} {}", mask_name(name), mask_phone(phone))
                        .trim()
                        .to_string()
                }
                other => value_text(key, other, lang),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_and_values() {
        assert_eq!(key_label("owner", Lang::Zh), "责任单位");
        assert_eq!(key_label("owner", Lang::En), "Responsible party");
        assert_eq!(key_label("zz_custom", Lang::En), "zz_custom");
        assert_eq!(
            value_text("status", &json!("rectifying"), Lang::Zh),
            "整改中"
        );
        assert_eq!(
            value_text("status", &json!("in_progress"), Lang::En),
            "In progress"
        );
        assert_eq!(
            value_text("type", &json!("waterlogging"), Lang::En),
            "Waterlogging point"
        );
        assert_eq!(
            value_text("worker_phone", &json!("13912345678"), Lang::Zh),
            "139****5678"
        );
        let contacts = json!([{"role":"责任人","name":"李明","phone":"13800001111"}]);
        assert_eq!(
            value_text("contacts", &contacts, Lang::Zh),
            "责任人 李* 138****1111"
        );
        assert_eq!(value_text("worker", &json!("冯军明"), Lang::Zh), "冯**");
        assert_eq!(
            value_text("worker_phone", &json!(13812345678u64), Lang::En),
            "138****5678"
        );
    }
}
