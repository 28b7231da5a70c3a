//! Masking at the source, the server's side (the pure rules are
//! `pingan_model::privacy`): every layer file of the data directory is
//! served masked ([`is_masked_file`], [`mask_layer_file`]), the unmasked
//! contacts of one feature and where every site lies ([`Directory`], read
//! once at start from the data directory), and a snapshot or a case as an
//! audience may see it ([`mask_snapshot`], [`case_for`]).

use pingan_model::access::Audience;
use pingan_model::live::{Case, Change, HazardState, Snapshot, Transition};
use pingan_model::privacy::{
    case_is_personal, has_phone, mask_actor, mask_case, mask_geojson, mask_text_in,
    may_hold_personal, MaskError,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Whether the file at `path` is served masked: every `.geojson` and
/// `.json` file (any case) directly in `data_dir`, whatever its name, so a
/// copy, a symbolic link or another spelling of a layer with personal data
/// (`grids-backup.geojson`, `GRIDS.geojson`) is masked as the layer is. The
/// map never needs thousands of phone numbers; one feature's contacts come
/// from `GET /api/contacts/{layer}/{id}`.
pub fn is_masked_file(data_dir: &Path, path: &Path) -> bool {
    path.parent() == Some(data_dir)
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(crate::paths::extension)
            .is_some_and(|e| e == "geojson" || e == "json")
}

/// A layer file's bytes as served: every contact masked. A file that
/// certainly holds nothing personal (no personal key anywhere,
/// `may_hold_personal`: one pass, no parsing) or has nothing to mask is
/// served byte for byte. A file that may hold personal data but cannot be
/// masked (not JSON, not a FeatureCollection) is not served at all (the
/// error, never the raw file).
pub fn mask_layer_file(bytes: Vec<u8>) -> Result<Vec<u8>, String> {
    if !may_hold_personal(&bytes) {
        return Ok(bytes);
    }
    match mask_geojson(&bytes) {
        Ok((_, 0)) => Ok(bytes),
        Ok((out, _)) => Ok(out),
        Err(e @ MaskError::NotACollection) => Err(format!(
            "it may hold personal data (a contact or phone key) and {e}"
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// The audience a reader is served for: its account's
/// ([`crate::store::Actor::audience`]), or the public one when it asked for
/// it (`?audience=public`, the stream hello's `public: true`: a wall page
/// signed in as an operator still gets personal data masked at the source).
/// Asking can only narrow what is shown, never widen it.
pub fn reader_audience(actor: &crate::store::Actor, public: bool) -> Audience {
    if public {
        Audience::Public
    } else {
        actor.audience()
    }
}

/// The layers whose features have contacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContactLayer {
    Hazards,
    Grids,
}

impl ContactLayer {
    pub fn parse(s: &str) -> Option<ContactLayer> {
        match s {
            "hazards" => Some(ContactLayer::Hazards),
            "grids" => Some(ContactLayer::Grids),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ContactLayer::Hazards => "hazards",
            ContactLayer::Grids => "grids",
        }
    }
    fn file(self) -> &'static str {
        match self {
            ContactLayer::Hazards => "hazards.geojson",
            ContactLayer::Grids => "grids.geojson",
        }
    }
}

/// One person to contact about a feature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub role: String,
}

/// A feature with contacts: its subdistrict and the contacts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Site {
    pub subdistrict: Option<Arc<str>>,
    pub contacts: Vec<Contact>,
}

/// Where every site lies and who its contacts are, read once at start from
/// the raw layer files (which are never served as they are).
#[derive(Debug, Default)]
pub struct Directory {
    sites: HashMap<(ContactLayer, String), Site>,
    /// Sensor id → its subdistrict (an alert's place).
    sensors: HashMap<String, Arc<str>>,
}

fn str_of<'a>(props: &'a Value, key: &str) -> Option<&'a str> {
    props.get(key).and_then(Value::as_str)
}

/// The features of a FeatureCollection file: `(id, properties)`.
fn features(path: &Path) -> Result<Vec<(String, Value)>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let Some(list) = doc.get("features").and_then(Value::as_array) else {
        return Err(format!("{}: not a FeatureCollection", path.display()));
    };
    Ok(list
        .iter()
        .filter_map(|f| {
            let props = f.get("properties")?.clone();
            let id = f
                .get("id")
                .and_then(Value::as_str)
                .or_else(|| str_of(&props, "id"))?
                .to_string();
            Some((id, props))
        })
        .collect())
}

impl Directory {
    /// Reads hazards, grids and sensors from `data_dir`. A missing or broken
    /// file leaves its part empty and is returned as a problem.
    pub fn load(data_dir: &Path) -> (Directory, Vec<String>) {
        let mut dir = Directory::default();
        let mut problems = Vec::new();
        let mut places: HashMap<String, Arc<str>> = HashMap::new();
        let mut place = |props: &Value| {
            str_of(props, "subdistrict").map(|s| {
                places
                    .entry(s.to_string())
                    .or_insert_with(|| Arc::from(s))
                    .clone()
            })
        };
        for layer in [ContactLayer::Hazards, ContactLayer::Grids] {
            match features(&data_dir.join(layer.file())) {
                Ok(list) => {
                    for (id, props) in list {
                        let contacts = contacts_of(layer, &props);
                        let site = Site {
                            subdistrict: place(&props),
                            contacts,
                        };
                        dir.sites.insert((layer, id), site);
                    }
                }
                Err(e) => problems.push(e),
            }
        }
        match features(&data_dir.join("sensors.geojson")) {
            Ok(list) => {
                for (id, props) in list {
                    if let Some(p) = place(&props) {
                        dir.sensors.insert(id, p);
                    }
                }
            }
            Err(e) => problems.push(e),
        }
        (dir, problems)
    }

    /// The site `id` of `layer`, if there is one.
    pub fn site(&self, layer: ContactLayer, id: &str) -> Option<&Site> {
        self.sites.get(&(layer, id.to_string()))
    }

    /// The subdistrict a change belongs to: a case's own, a hazard's or an
    /// alert's sensor's from the files; `None` for readings and wall scenes
    /// (which belong to no subdistrict).
    pub fn place(&self, change: &Change) -> Option<Arc<str>> {
        match change {
            Change::CaseReported { case } | Change::CaseTransitioned { case, .. } => {
                case.subdistrict.as_deref().map(Arc::from)
            }
            Change::HazardStatus { hazard } => self.hazard_place(&hazard.id),
            Change::Alert { alert, .. } => self.sensors.get(&alert.sensor).cloned(),
            Change::Readings { .. } | Change::Scene { .. } => None,
        }
    }

    /// The subdistrict of sensor `id` (from sensors.geojson).
    pub fn sensor_place(&self, id: &str) -> Option<&str> {
        self.sensors.get(id).map(|p| &**p)
    }

    fn hazard_place(&self, id: &str) -> Option<Arc<str>> {
        self.site(ContactLayer::Hazards, id)
            .and_then(|s| s.subdistrict.clone())
    }
}

fn contacts_of(layer: ContactLayer, props: &Value) -> Vec<Contact> {
    match layer {
        ContactLayer::Grids => match (str_of(props, "worker"), str_of(props, "worker_phone")) {
            (Some(name), phone) => vec![Contact {
                name: name.into(),
                phone: phone.unwrap_or_default().into(),
                role: "网格员".into(),
            }],
            (None, _) => vec![],
        },
        ContactLayer::Hazards => props
            .get("contacts")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|c| Contact {
                        name: str_of(c, "name").unwrap_or_default().into(),
                        phone: str_of(c, "phone").unwrap_or_default().into(),
                        role: str_of(c, "role").unwrap_or_default().into(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A snapshot as `audience` may see it: who changed a hazard, its note's
/// phone numbers, who acknowledged an alert and who pushed a wall scene
/// masked where the audience sees no personal data (a scene belongs to no
/// subdistrict: only an unscoped personal audience sees its pusher). Returns
/// how many hazards, alerts and scenes it left
/// carrying personal data unmasked (0 for a public audience), which the
/// caller audits.
pub fn mask_snapshot(snapshot: &mut Snapshot, audience: &Audience, dir: &Directory) -> Unmasked {
    let mut shown = Unmasked::default();
    for h in &mut snapshot.hazards {
        if audience.sees_personal(dir.hazard_place(&h.id).as_deref()) {
            shown.hazards += usize::from(hazard_is_personal(h));
        } else {
            h.by = mask_actor(&h.by);
            mask_text_in(&mut h.note);
        }
    }
    for s in &mut snapshot.scenes {
        if audience.sees_personal(None) {
            shown.scenes += usize::from(mask_actor(&s.by) != s.by);
        } else {
            s.by = mask_actor(&s.by);
        }
    }
    for a in &mut snapshot.alerts {
        let place = dir.sensors.get(&a.sensor).map(|p| &**p);
        let Some(by) = &mut a.acked_by else { continue };
        if audience.sees_personal(place) {
            shown.alerts += usize::from(mask_actor(by) != *by);
        } else {
            *by = mask_actor(by);
        }
    }
    shown
}

/// What an answer left unmasked: how many hazards and alerts carrying
/// personal data (a person's name, a phone number in a note).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unmasked {
    pub hazards: usize,
    pub alerts: usize,
    pub scenes: usize,
}

impl Unmasked {
    pub fn any(self) -> bool {
        self.hazards + self.alerts + self.scenes > 0
    }
}

fn hazard_is_personal(h: &HazardState) -> bool {
    mask_actor(&h.by) != h.by || has_phone(&h.note)
}

/// Whether `audience` sees a case's personal data (its reporter, its
/// description's phone numbers and the actors and notes of its history).
pub fn sees_case(audience: &Audience, case: &Case) -> bool {
    audience.sees_personal(case.subdistrict.as_deref())
}

/// A case (and its history) as `audience` may see it. Returns whether it
/// was left unmasked while carrying personal data (a person as reporter,
/// a phone number in its description; the history is not looked at).
pub fn case_for(audience: &Audience, case: &mut Case, history: &mut [Transition]) -> bool {
    if sees_case(audience, case) {
        return case_is_personal(case);
    }
    mask_case(case);
    for t in history {
        t.by = mask_actor(&t.by);
        mask_text_in(&mut t.note);
    }
    false
}
