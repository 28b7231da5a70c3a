//! Personal data masked at the source, as pure functions: a person's name in
//! a case or an event ([`mask_actor`], [`mask_change`], [`for_audience`]),
//! and the contacts in a layer file's feature properties
//! ([`mask_properties`], [`mask_geojson`]). The server calls them before
//! anything leaves it; docs/security.md gives the rules.
//!
//! Rules: a phone number keeps its first three and last four digits
//! ([`mask_phone`]); a person's name keeps its family name ([`mask_name`]);
//! names of organisations and roles (`centre`, `综治中心（模拟）`, a
//! department) are not personal and stay as they are ([`is_organisation`]);
//! free text (a case's description, a note) keeps its words and loses its
//! phone numbers ([`mask_free_text`]).

use crate::access::Audience;
use crate::domain::{mask_name, mask_phone, Department, Lang};
use crate::live::{Case, Change, Event};
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
            mask_case(case);
            true
        }
        Change::CaseTransitioned { case, transition } => {
            mask_case(case);
            transition.by = mask_actor(&transition.by);
            mask_text_in(&mut transition.note);
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
            mask_text_in(&mut hazard.note);
            true
        }
        Change::Readings { .. } => false,
        Change::Scene { scene, .. } => match scene {
            Some(sc) => {
                sc.by = mask_actor(&sc.by);
                true
            }
            None => false,
        },
    }
}

/// Masks a case's reporter and the phone numbers in its description.
pub fn mask_case(case: &mut Case) {
    case.reporter = mask_actor(&case.reporter);
    mask_text_in(&mut case.description);
}

/// Masks the phone numbers in `text` in place ([`mask_free_text`]).
pub fn mask_text_in(text: &mut String) {
    if let Cow::Owned(masked) = mask_free_text(text) {
        *text = masked;
    }
}

/// Whether a case carries personal data that masking would hide: a
/// person as its reporter or a phone number in its description.
pub fn case_is_personal(case: &Case) -> bool {
    mask_actor(&case.reporter) != case.reporter || has_phone(&case.description)
}

/// Whether free text holds a phone number [`mask_free_text`] would mask.
pub fn has_phone(text: &str) -> bool {
    matches!(mask_free_text(text), Cow::Owned(_))
}

/// Free text (a case's description, a transition's or a hazard's note) as
/// a public screen may show it: every phone number masked with
/// [`mask_phone`], every other character kept as typed. Borrowed when
/// there is nothing to mask.
///
/// A phone number is, standing alone (not inside a longer run of digits or
/// letters, nor after a decimal point, so case numbers `AJ00000123`, ids,
/// dates, times and coordinates are left alone):
/// - a mobile: 11 digits `1[3-9]…`, also written `138-1234-5678` or
///   `138 1234 5678`, with or without a leading `86`/`+86` (kept);
/// - a landline: `0[1-9]` and 1–2 more digits of area code, an optional
///   `-`, then 7–8 digits (`0755-12345678`, `075512345678`).
///
/// A small scanner, not a regular expression: the model compiles to wasm.
pub fn mask_free_text(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    // The shortest number masked has 10 digits.
    if b.iter().filter(|c| c.is_ascii_digit()).count() < 10 {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if starts_alone(b, i) {
            if let Some((end, masked)) = phone_at(text, i) {
                out.push_str(&text[copied..i]);
                out.push_str(&masked);
                copied = end;
                i = end;
                continue;
            }
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// A byte that continues a word or a number (so a digit next to it is not
/// the edge of a phone number). Non-ASCII bytes (Chinese text, full-width
/// punctuation) are edges.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn starts_alone(b: &[u8], i: usize) -> bool {
    match i.checked_sub(1).map(|p| b[p]) {
        None => true,
        Some(c) => !is_word_byte(c) && c != b'.',
    }
}

fn ends_alone(b: &[u8], end: usize) -> bool {
    match b.get(end) {
        None => true,
        Some(&b'.') => !b.get(end + 1).is_some_and(u8::is_ascii_digit),
        Some(&c) => !is_word_byte(c),
    }
}

/// The number of ASCII digits from `i`.
fn digits_at(b: &[u8], i: usize) -> usize {
    b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// A phone number starting at `i` (a digit standing alone): where it ends
/// and its masked form.
fn phone_at(text: &str, i: usize) -> Option<(usize, String)> {
    let b = text.as_bytes();
    // A mobile after the country code 86 (the code is kept).
    if b[i..].starts_with(b"86") {
        let at = match b.get(i + 2) {
            Some(b' ' | b'-') => i + 3,
            _ => i + 2,
        };
        if let Some((end, masked)) = mobile_at(b, at) {
            return Some((end, format!("{}{masked}", &text[i..at])));
        }
    }
    if let Some(found) = mobile_at(b, i) {
        return Some(found);
    }
    landline_at(text, i)
}

fn mobile_at(b: &[u8], i: usize) -> Option<(usize, String)> {
    if b.get(i) != Some(&b'1') || !b.get(i + 1).is_some_and(|c| (b'3'..=b'9').contains(c)) {
        return None;
    }
    let run = digits_at(b, i);
    let (end, digits) = if run == 11 {
        (i + 11, b[i..i + 11].to_vec())
    } else if run == 3 {
        // 3-4-4 with one kind of separator: `138-1234-5678`, `138 1234 5678`.
        let sep = *b.get(i + 3).filter(|c| matches!(c, b' ' | b'-'))?;
        let ok = digits_at(b, i + 4) == 4 && b.get(i + 8) == Some(&sep) && digits_at(b, i + 9) == 4;
        if !ok {
            return None;
        }
        let mut d = b[i..i + 3].to_vec();
        d.extend_from_slice(&b[i + 4..i + 8]);
        d.extend_from_slice(&b[i + 9..i + 13]);
        (i + 13, d)
    } else {
        return None;
    };
    if !ends_alone(b, end) {
        return None;
    }
    let digits = String::from_utf8(digits).ok()?;
    Some((end, mask_phone(&digits)))
}

fn landline_at(text: &str, i: usize) -> Option<(usize, String)> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'0') || !b.get(i + 1).is_some_and(|c| (b'1'..=b'9').contains(c)) {
        return None;
    }
    let run = digits_at(b, i);
    let end = if (3..=4).contains(&run) && b.get(i + run) == Some(&b'-') {
        let local = digits_at(b, i + run + 1);
        if !(7..=8).contains(&local) {
            return None;
        }
        i + run + 1 + local
    } else if (10..=12).contains(&run) {
        i + run
    } else {
        return None;
    };
    ends_alone(b, end).then(|| (end, mask_phone(&text[i..end])))
}

/// Whether a change carries a person's name at all.
pub fn is_personal(change: &Change) -> bool {
    match change {
        Change::Alert { alert, .. } => alert.acked_by.is_some(),
        Change::Readings { .. } => false,
        Change::Scene { scene, .. } => scene.is_some(),
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

/// Whether a JSON file may hold a property [`mask_properties`] masks: one
/// pass over the bytes for a key of [`PHONE_KEYS`], `worker`, `reporter`
/// or `contacts` written as a JSON string, or any `\u` escape (a key could
/// be spelt with one). `false` means the file certainly holds none, so it
/// can be served as it is without being parsed (cheap for big layers).
pub fn may_hold_personal(bytes: &[u8]) -> bool {
    const KEYS: &[&[u8]] = &[
        b"worker",
        b"reporter",
        b"contacts",
        b"worker_phone",
        b"phone",
        b"contact_phone",
        b"mobile",
    ];
    debug_assert!(PHONE_KEYS.iter().all(|k| KEYS.contains(&k.as_bytes())));
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'u') => return true,
            b'\\' => i += 1,
            b'"' => {
                let rest = &bytes[i + 1..];
                if KEYS
                    .iter()
                    .any(|k| rest.len() > k.len() && rest.starts_with(k) && rest[k.len()] == b'"')
                {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
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
    use crate::live::{HazardState, Transition};

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
            photo: None,
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
                photo: None,
            },
        };
        assert!(mask_change(&mut hz));
        assert!(matches!(&hz, Change::HazardStatus { hazard } if hazard.by == "赵*"));
        assert!(!is_personal(&Change::Readings { sensors: vec![] }));
        // A scene names who pushed it; a cleared scene names nobody.
        let mut sc = Change::Scene {
            group: "default".into(),
            scene: Some(crate::live::Scene {
                group: "default".into(),
                lon: 113.9,
                lat: 22.6,
                zoom: 13.0,
                layers: vec![],
                highlight: None,
                duration_s: None,
                started_ms: 1,
                by: "钱七".into(),
            }),
        };
        assert!(is_personal(&sc));
        assert!(mask_change(&mut sc));
        assert!(
            matches!(&sc, Change::Scene { scene: Some(s), .. } if s.by == "钱*"),
            "{sc:?}"
        );
        let mut cleared = Change::Scene {
            group: "default".into(),
            scene: None,
        };
        assert!(!is_personal(&cleared));
        assert!(!mask_change(&mut cleared));
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

    #[test]
    fn free_text_loses_its_phone_numbers_and_keeps_the_rest() {
        for (typed, shown) in [
            ("已联系业主张三 13812345678", "已联系业主张三 138****5678"),
            ("电话13812345678。", "电话138****5678。"),
            ("手机：138-1234-5678，", "手机：138****5678，"),
            ("138 1234 5678 在家", "138****5678 在家"),
            ("+86 13812345678", "+86 138****5678"),
            ("+8613812345678", "+86138****5678"),
            ("座机0755-12345678转", "座机075*******678转"),
            ("0755-1234567", "075******567"),
            ("075512345678", "075******678"),
            ("(020)x 020-87654321", "(020)x 020******321"),
            (
                "张三13812345678，李四 19888709229",
                "张三138****5678，李四 198****9229",
            ),
        ] {
            assert_eq!(mask_free_text(typed), shown, "{typed}");
            // Idempotent: a masked text is shown as it came.
            assert!(matches!(mask_free_text(shown), Cow::Borrowed(_)), "{shown}");
        }
        for kept in [
            "",
            "邻里纠纷",
            "案件AJ00000123已办结",
            "AJ13812345678",
            "见 cases/1000004 与 YH000001、G0001",
            "2026-11-01 08:30:00 上报",
            "20261101 1790000000 1790000000000",
            "113.812345,22.654321",
            "22.13812345678",
            "坐标 113.9138123456 22.6",
            "138123456789 与 1381234567",
            "12345678901",
            "138-1234-56789",
            "138-1234 5678",
            "0755-123456",
            "0012345678",
            "x13812345678",
            "13812345678abc",
        ] {
            assert!(
                matches!(mask_free_text(kept), Cow::Borrowed(_)),
                "{kept} became {}",
                mask_free_text(kept)
            );
        }
        assert!(has_phone("叫 13437473577") && !has_phone("AJ00000123"));
    }

    #[test]
    fn free_text_in_events_is_masked_with_the_names() {
        let mut c = case("李小龙", "西乡街道");
        c.description = "已联系业主张三 13812345678".into();
        let mut ch = Change::CaseTransitioned {
            case: c.clone(),
            transition: Transition {
                from: Some(CaseStatus::Reported),
                to: CaseStatus::Accepted,
                at: 1,
                by: "王芳".into(),
                note: "回电 0755-12345678".into(),
            },
        };
        assert!(case_is_personal(&c));
        mask_change(&mut ch);
        let text = serde_json::to_string(&ch).unwrap();
        assert!(
            !text.contains("13812345678") && !text.contains("12345678\""),
            "{text}"
        );
        assert!(
            text.contains("已联系业主张三 138****5678") && text.contains("回电 075*******678"),
            "{text}"
        );
        let mut reported = Change::CaseReported { case: c };
        mask_change(&mut reported);
        assert!(matches!(&reported,
            Change::CaseReported { case } if case.description == "已联系业主张三 138****5678"));
        let mut hz = Change::HazardStatus {
            hazard: HazardState {
                id: "YH1".into(),
                status: HazardStatus::Rectified,
                at: 1,
                by: "centre".into(),
                note: "业主 13912345678 已整改".into(),
                photo: None,
            },
        };
        mask_change(&mut hz);
        assert!(matches!(&hz,
            Change::HazardStatus { hazard } if hazard.note == "业主 139****5678 已整改"));
        let org = case("centre", "西乡街道");
        assert!(!case_is_personal(&org));
    }

    #[test]
    fn only_files_that_may_hold_personal_data_need_parsing() {
        for personal in [
            &br#"{"worker":"x"}"#[..],
            br#"{"a":{"worker_phone":"1"}}"#,
            br#"[{"contacts":[]}]"#,
            br#"{"mobile" : 1}"#,
            br#"{"reporter":"x"}"#,
            br#"{"ph\u006fne":"1"}"#,
        ] {
            assert!(
                may_hold_personal(personal),
                "{}",
                String::from_utf8_lossy(personal)
            );
        }
        for plain in [
            &br#"{"type":"FeatureCollection","features":[{"properties":{"name":"park","phones":2,"my_phone":"x"}}]}"#[..],
            br#"{"workers":3,"a\"phone":1}"#,
            b"",
            b"not json \\",
        ] {
            assert!(!may_hold_personal(plain), "{}", String::from_utf8_lossy(plain));
        }
    }
}
