//! Personal data masked at the source, as pure functions: a person's name in
//! a case or an event ([`mask_actor`], [`mask_change`], [`for_audience`]),
//! and the contacts in a layer file's feature properties
//! ([`mask_properties`], [`mask_geojson`]). The server calls them before
//! anything leaves it; docs/security.md gives the rules.
//!
//! Rules: a phone number keeps its first three and last four digits
//! ([`mask_phone`]); a person's name keeps its family name ([`mask_name`]);
//! names of organisations and roles (`centre`, `综治中心（模拟）`, a
//! department) are not personal and stay as they are ([`is_organisation`]).

use crate::access::Audience;
use crate::domain::{mask_name, mask_phone, Department, Lang};
use crate::live::{Change, Event};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Role words recorded as the actor of seeded and simulated steps.
const ROLE_WORDS: &[&str] = &["centre", "grid_worker", "simulator", "system", "网格员"];

/// Whether `name` names an organisation or a role rather than a person: a
/// department (code or label), a role word, a command centre (`…中心…`) or
/// the simulator (`…（模拟）`).
pub fn is_organisation(name: &str) -> bool {
    let name = name.trim();
    ROLE_WORDS.contains(&name)
        || name.contains("中心")
        || name.ends_with("（模拟）")
        || Department::ALL
            .iter()
            .any(|d| d.code() == name || d.label(Lang::Zh) == name || d.label(Lang::En) == name)
}

/// A recorded actor's name as a public screen may show it.
pub fn mask_actor(name: &str) -> String {
    if is_organisation(name) {
        name.to_string()
    } else {
        mask_name(name)
    }
}

/// Masks every person's name a change carries (the reporter, the actor of a
/// transition, of an acknowledgement or a hazard's status). Returns whether
/// the change carries any (readings carry none).
pub fn mask_change(change: &mut Change) -> bool {
    match change {
        Change::CaseReported { case } => {
            case.reporter = mask_actor(&case.reporter);
            true
        }
        Change::CaseTransitioned { case, transition } => {
            case.reporter = mask_actor(&case.reporter);
            transition.by = mask_actor(&transition.by);
            true
        }
        Change::Alert { alert, .. } => {
            if let Some(by) = &mut alert.acked_by {
                *by = mask_actor(by);
            }
            alert.acked_by.is_some()
        }
        Change::HazardStatus { hazard } => {
            hazard.by = mask_actor(&hazard.by);
            true
        }
        Change::Readings { .. } => false,
    }
}

/// Whether a change carries a person's name at all.
pub fn is_personal(change: &Change) -> bool {
    match change {
        Change::Alert { alert, .. } => alert.acked_by.is_some(),
        Change::Readings { .. } => false,
        _ => true,
    }
}

/// The subdistrict a change belongs to, when it carries it (cases do;
/// hazards and alerts are placed by the caller, which knows their sites).
pub fn change_place(change: &Change) -> Option<&str> {
    match change {
        Change::CaseReported { case } | Change::CaseTransitioned { case, .. } => {
            case.subdistrict.as_deref()
        }
        _ => None,
    }
}

/// The event as `audience` may see it, for something in `place` (its
/// subdistrict): itself when the audience sees personal data there or the
/// event carries none, else a masked copy.
pub fn for_audience<'a>(
    event: &'a Event,
    audience: &Audience,
    place: Option<&str>,
) -> Cow<'a, Event> {
    if audience.sees_personal(place) || !is_personal(&event.change) {
        return Cow::Borrowed(event);
    }
    let mut masked = event.clone();
    mask_change(&mut masked.change);
    Cow::Owned(masked)
}

/// Property keys holding a person's name, and a phone number.
const NAME_KEYS: &[&str] = &["worker", "reporter", "contact", "name"];
const PHONE_KEYS: &[&str] = &["worker_phone", "phone", "contact_phone", "mobile"];

/// Masks the personal data in a layer feature's properties: the grid worker
/// (`worker`, `worker_phone`) and every entry of `contacts` (`name`,
/// `phone`). A feature's own `name` (a place) is left alone: only names
/// inside `contacts` are people's. Returns how many values were masked.
pub fn mask_properties(props: &mut Map<String, Value>) -> usize {
    let mut n = 0;
    for (key, value) in props.iter_mut() {
        match (key.as_str(), value) {
            ("contacts", Value::Array(list)) => {
                for c in list.iter_mut().filter_map(Value::as_object_mut) {
                    n += mask_person(c, NAME_KEYS);
                }
            }
            (k, Value::String(s)) if PHONE_KEYS.contains(&k) => {
                *s = mask_phone(s);
                n += 1;
            }
            (k, Value::String(s)) if k == "worker" || k == "reporter" => {
                *s = mask_actor(s);
                n += 1;
            }
            _ => {}
        }
    }
    n
}

fn mask_person(obj: &mut Map<String, Value>, names: &[&str]) -> usize {
    let mut n = 0;
    for (key, value) in obj.iter_mut() {
        if let Value::String(s) = value {
            if PHONE_KEYS.contains(&key.as_str()) {
                *s = mask_phone(s);
                n += 1;
            } else if names.contains(&key.as_str()) {
                *s = mask_name(s);
                n += 1;
            }
        }
    }
    n
}

/// Why a layer file could not be masked.
#[derive(Debug, thiserror::Error)]
pub enum MaskError {
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not a FeatureCollection (no `features` array)")]
    NotACollection,
}

/// A GeoJSON FeatureCollection with every feature's properties masked
/// ([`mask_properties`]), and how many values were masked. Members other
/// than the properties are kept (object keys come out sorted).
pub fn mask_geojson(bytes: &[u8]) -> Result<(Vec<u8>, usize), MaskError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut doc: Value = serde_json::from_slice(bytes)?;
    let features = doc
        .get_mut("features")
        .and_then(Value::as_array_mut)
        .ok_or(MaskError::NotACollection)?;
    let mut n = 0;
    for f in features.iter_mut() {
        if let Some(props) = f.get_mut("properties").and_then(Value::as_object_mut) {
            n += mask_properties(props);
        }
    }
    Ok((serde_json::to_vec(&doc)?, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CaseCategory, CaseStatus, HazardStatus};
    use crate::live::{Case, HazardState, Transition};

    fn case(reporter: &str, subdistrict: &str) -> Case {
        Case {
            id: 1,
            category: CaseCategory::Dispute,
            lon: 113.8,
            lat: 22.6,
            grid: None,
            grid_index: None,
            community: None,
            subdistrict: Some(subdistrict.into()),
            description: "x".into(),
            reporter: reporter.into(),
            status: CaseStatus::Accepted,
            departments: vec![],
            rule: None,
            reported_at: 1,
            deadline: 2,
            updated_at: 1,
        }
    }

    #[test]
    fn people_are_masked_organisations_kept() {
        assert_eq!(mask_actor("张伟"), "张*");
        assert_eq!(mask_actor("网格员017"), "网*****");
        for org in [
            "centre",
            "grid_worker",
            "综治中心（模拟）",
            "police",
            "派出所",
            "Police station",
            "网格员",
        ] {
            assert_eq!(mask_actor(org), org);
        }
    }

    #[test]
    fn events_are_masked_by_audience_and_place() {
        let ev = Event {
            seq: 3,
            at_ms: 0,
            change: Change::CaseTransitioned {
                case: case("李小龙", "西乡街道"),
                transition: Transition {
                    from: Some(CaseStatus::Reported),
                    to: CaseStatus::Accepted,
                    at: 1,
                    by: "王芳".into(),
                    note: String::new(),
                },
            },
        };
        let place = change_place(&ev.change);
        assert_eq!(place, Some("西乡街道"));
        let public = for_audience(&ev, &Audience::Public, place);
        let text = serde_json::to_string(public.as_ref()).unwrap();
        assert!(text.contains("李**") && text.contains("王*"), "{text}");
        assert!(!text.contains("李小龙") && !text.contains("王芳"), "{text}");
        let all = Audience::Personal { scope: None };
        assert!(matches!(for_audience(&ev, &all, place), Cow::Borrowed(_)));
        let here = Audience::Personal {
            scope: Some("西乡街道".into()),
        };
        assert!(matches!(for_audience(&ev, &here, place), Cow::Borrowed(_)));
        let elsewhere = Audience::Personal {
            scope: Some("福海街道".into()),
        };
        assert!(matches!(
            for_audience(&ev, &elsewhere, place),
            Cow::Owned(_)
        ));
        let mut hz = Change::HazardStatus {
            hazard: HazardState {
                id: "YH1".into(),
                status: HazardStatus::Rectified,
                at: 1,
                by: "赵六".into(),
                note: String::new(),
            },
        };
        assert!(mask_change(&mut hz));
        assert!(matches!(&hz, Change::HazardStatus { hazard } if hazard.by == "赵*"));
        assert!(!is_personal(&Change::Readings { sensors: vec![] }));
    }

    #[test]
    fn layer_files_lose_phones_and_names_but_keep_places() {
        let fc = r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","id":"G1","geometry":null,"properties":{"name":"西乡社区第01网格","worker":"冯军明","worker_phone":"18511476806"}},
          {"type":"Feature","id":"YH1","geometry":null,"properties":{"name":"积水点","contacts":[{"name":"唐霞建","phone":"18292048858","role":"街道责任人"}]}}]}"#;
        let (out, n) = mask_geojson(fc.as_bytes()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(n, 4);
        for gone in ["冯军明", "18511476806", "唐霞建", "18292048858"] {
            assert!(!text.contains(gone), "{gone} in {text}");
        }
        for kept in [
            "冯**",
            "185****6806",
            "唐**",
            "182****8858",
            "街道责任人",
            "西乡社区第01网格",
            "积水点",
        ] {
            assert!(text.contains(kept), "{kept} not in {text}");
        }
        assert!(matches!(
            mask_geojson(b"[1]"),
            Err(MaskError::NotACollection)
        ));
        assert!(matches!(mask_geojson(b"{"), Err(MaskError::Json(_))));
    }
}
