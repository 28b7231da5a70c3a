//! The app's side of the `/ws` protocol, by hand: server messages are parsed
//! into a `serde_json::Value` (one deserializer the app already has for
//! GeoJSON properties and error bodies) and read field by field into the
//! model's types; the hello is written as a string.
//!
//! Why not `serde_json::from_str::<ServerMsg>`: the derived `Deserialize` of
//! the internally tagged `ServerMsg`/`Change` (serde buffers every field into
//! `Content` to find the tag) and of every nested type cost ~160 KB of wasm.
//! The model's `Serialize` stays the definition of the format: the tests
//! below decode the model's own `to_json()` output for every message and
//! change variant and compare with the original value.

use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus, SensorType};
use pingan_model::live::{
    Alert, AlertChange, Case, Change, Event, HazardState, Level, ResyncReason, Scene, SceneFeature,
    SensorState, Seq, ServerMsg, Snapshot, SnapshotReason, Topic, Transition,
};
use serde_json::{Map, Value};

type Obj = Map<String, Value>;
type R<T> = Result<T, String>;

fn bad(field: &str, want: &str) -> String {
    let mut s = String::with_capacity(field.len() + want.len() + 4);
    s.push_str(field);
    s.push_str(": not ");
    s.push_str(want);
    s
}

fn obj<'a>(v: &'a Value, field: &str) -> R<&'a Obj> {
    v.as_object().ok_or_else(|| bad(field, "an object"))
}

/// A required field (absent or `null` is an error).
fn req<'a>(o: &'a Obj, k: &str) -> R<&'a Value> {
    match o.get(k) {
        Some(Value::Null) | None => Err(bad(k, "present")),
        Some(v) => Ok(v),
    }
}

/// An optional field (absent and `null` are `None`).
fn opt<'a>(o: &'a Obj, k: &str) -> Option<&'a Value> {
    o.get(k).filter(|v| !v.is_null())
}

fn u64_(o: &Obj, k: &str) -> R<u64> {
    req(o, k)?
        .as_u64()
        .ok_or_else(|| bad(k, "an unsigned integer"))
}
fn i64_(o: &Obj, k: &str) -> R<i64> {
    req(o, k)?.as_i64().ok_or_else(|| bad(k, "an integer"))
}
fn f64_(o: &Obj, k: &str) -> R<f64> {
    req(o, k)?.as_f64().ok_or_else(|| bad(k, "a number"))
}
fn u32_(o: &Obj, k: &str) -> R<u32> {
    u32::try_from(u64_(o, k)?).map_err(|_| bad(k, "a u32"))
}
fn str_<'a>(o: &'a Obj, k: &str) -> R<&'a str> {
    req(o, k)?.as_str().ok_or_else(|| bad(k, "a string"))
}
fn string(o: &Obj, k: &str) -> R<String> {
    str_(o, k).map(str::to_string)
}
fn opt_string(o: &Obj, k: &str) -> R<Option<String>> {
    opt(o, k)
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(k, "a string"))
        })
        .transpose()
}
fn opt_i64(o: &Obj, k: &str) -> R<Option<i64>> {
    opt(o, k)
        .map(|v| v.as_i64().ok_or_else(|| bad(k, "an integer")))
        .transpose()
}
fn arr<'a>(o: &'a Obj, k: &str) -> R<&'a Vec<Value>> {
    req(o, k)?.as_array().ok_or_else(|| bad(k, "an array"))
}
/// A field holding a code of a closed set.
fn code<T>(o: &Obj, k: &str, from: impl Fn(&str) -> Option<T>) -> R<T> {
    from(str_(o, k)?).ok_or_else(|| bad(k, "a known code"))
}
fn list<T>(o: &Obj, k: &str, each: impl Fn(&Value) -> R<T>) -> R<Vec<T>> {
    arr(o, k)?.iter().map(each).collect()
}

fn case(v: &Value) -> R<Case> {
    let o = obj(v, "case")?;
    Ok(Case {
        id: u32_(o, "id")?,
        category: code(o, "category", CaseCategory::from_code)?,
        lon: f64_(o, "lon")?,
        lat: f64_(o, "lat")?,
        grid: opt_string(o, "grid")?,
        grid_index: opt(o, "grid_index")
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or_else(|| bad("grid_index", "a u16"))
            })
            .transpose()?,
        community: opt_string(o, "community")?,
        subdistrict: opt_string(o, "subdistrict")?,
        description: string(o, "description")?,
        reporter: string(o, "reporter")?,
        status: code(o, "status", CaseStatus::from_code)?,
        departments: list(o, "departments", |d| {
            d.as_str()
                .and_then(Department::from_code)
                .ok_or_else(|| bad("departments", "known codes"))
        })?,
        rule: opt_string(o, "rule")?,
        photo: opt_string(o, "photo")?,
        reported_at: i64_(o, "reported_at")?,
        deadline: i64_(o, "deadline")?,
        updated_at: i64_(o, "updated_at")?,
    })
}

fn transition(v: &Value) -> R<Transition> {
    let o = obj(v, "transition")?;
    Ok(Transition {
        from: opt(o, "from")
            .map(|v| {
                v.as_str()
                    .and_then(CaseStatus::from_code)
                    .ok_or_else(|| bad("from", "a known code"))
            })
            .transpose()?,
        to: code(o, "to", CaseStatus::from_code)?,
        at: i64_(o, "at")?,
        by: string(o, "by")?,
        note: string(o, "note")?,
    })
}

fn sensor(v: &Value) -> R<SensorState> {
    let o = obj(v, "sensor")?;
    Ok(SensorState {
        id: string(o, "id")?,
        sensor_type: code(o, "type", SensorType::from_code)?,
        value: f64_(o, "value")?,
        at: i64_(o, "at")?,
        level: code(o, "level", Level::from_code)?,
    })
}

fn alert(v: &Value) -> R<Alert> {
    let o = obj(v, "alert")?;
    Ok(Alert {
        id: u64_(o, "id")?,
        sensor: string(o, "sensor")?,
        sensor_type: code(o, "type", SensorType::from_code)?,
        level: code(o, "level", Level::from_code)?,
        peak: f64_(o, "peak")?,
        lon: f64_(o, "lon")?,
        lat: f64_(o, "lat")?,
        raised_at: i64_(o, "raised_at")?,
        cleared_at: opt_i64(o, "cleared_at")?,
        acked_at: opt_i64(o, "acked_at")?,
        acked_by: opt_string(o, "acked_by")?,
        alarm_at_ms: opt_i64(o, "alarm_at_ms")?,
    })
}

fn hazard(v: &Value) -> R<HazardState> {
    let o = obj(v, "hazard")?;
    Ok(HazardState {
        id: string(o, "id")?,
        status: code(o, "status", HazardStatus::from_code)?,
        at: i64_(o, "at")?,
        by: string(o, "by")?,
        note: string(o, "note")?,
        photo: opt_string(o, "photo")?,
    })
}

/// A wall scene (`Change::Scene`, `Snapshot.scenes`, `GET /api/walls/{group}/scene`).
pub fn scene_of(v: &Value) -> R<Scene> {
    scene(v)
}

fn scene(v: &Value) -> R<Scene> {
    let o = obj(v, "scene")?;
    Ok(Scene {
        group: string(o, "group")?,
        lon: f64_(o, "lon")?,
        lat: f64_(o, "lat")?,
        zoom: f64_(o, "zoom")?,
        layers: match opt(o, "layers") {
            Some(_) => list(o, "layers", |l| {
                l.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad("layers", "strings"))
            })?,
            None => Vec::new(),
        },
        highlight: opt(o, "highlight")
            .map(|h| {
                let h = obj(h, "highlight")?;
                Ok::<_, String>(SceneFeature {
                    layer: string(h, "layer")?,
                    id: string(h, "id")?,
                })
            })
            .transpose()?,
        duration_s: opt(o, "duration_s")
            .map(|_| u32_(o, "duration_s"))
            .transpose()?,
        started_ms: i64_(o, "started_ms")?,
        by: string(o, "by")?,
    })
}

fn change(v: &Value) -> R<Change> {
    let o = obj(v, "change")?;
    Ok(match str_(o, "kind")? {
        "case_reported" => Change::CaseReported {
            case: case(req(o, "case")?)?,
        },
        "case_transitioned" => Change::CaseTransitioned {
            case: case(req(o, "case")?)?,
            transition: transition(req(o, "transition")?)?,
        },
        "readings" => Change::Readings {
            sensors: list(o, "sensors", sensor)?,
        },
        "alert" => Change::Alert {
            alert: alert(req(o, "alert")?)?,
            change: code(o, "change", |s| {
                Some(match s {
                    "raised" => AlertChange::Raised,
                    "level" => AlertChange::Level,
                    "cleared" => AlertChange::Cleared,
                    "acked" => AlertChange::Acked,
                    _ => return None,
                })
            })?,
        },
        "hazard_status" => Change::HazardStatus {
            hazard: hazard(req(o, "hazard")?)?,
        },
        "scene" => Change::Scene {
            group: string(o, "group")?,
            scene: opt(o, "scene").map(scene).transpose()?,
        },
        _ => return Err(bad("kind", "a known change")),
    })
}

/// A snapshot object (in a `snapshot` message, or the body of `GET /api/live`).
pub fn snapshot(v: &Value) -> R<Snapshot> {
    let o = obj(v, "snapshot")?;
    Ok(Snapshot {
        epoch: opt_string(o, "epoch")?.unwrap_or_default(),
        seq: u64_(o, "seq")?,
        sensors: list(o, "sensors", sensor)?,
        alerts: list(o, "alerts", alert)?,
        hazards: list(o, "hazards", hazard)?,
        reload: list(o, "reload", |t| {
            t.as_str()
                .and_then(Topic::from_code)
                .ok_or_else(|| bad("reload", "known topics"))
        })?,
        // Each group's current scene (the wall's; absent from servers before scenes).
        scenes: match opt(o, "scenes") {
            Some(_) => list(o, "scenes", scene)?,
            None => Vec::new(),
        },
    })
}

/// The server clock of a welcome or heartbeat: `now_ms`, or from a server
/// before it, `server_time_ms` (the same clock).
fn now_ms(o: &Obj) -> R<i64> {
    match opt(o, "now_ms") {
        Some(v) => v.as_i64().ok_or_else(|| bad("now_ms", "an integer")),
        None => i64_(o, "server_time_ms"),
    }
}

/// Decodes one server message (a `/ws` text frame).
pub fn decode(text: &str) -> R<ServerMsg> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let o = obj(&v, "message")?;
    Ok(match str_(o, "type")? {
        "welcome" => ServerMsg::Welcome {
            epoch: opt_string(o, "epoch")?.unwrap_or_default(),
            head: u64_(o, "head")?,
            replay: u64_(o, "replay")?,
            heartbeat_ms: u64_(o, "heartbeat_ms")?,
            server_time_ms: i64_(o, "server_time_ms")?,
            now_ms: now_ms(o)?,
            build: opt_string(o, "build")?,
        },
        "snapshot" => ServerMsg::Snapshot {
            reason: code(o, "reason", |s| {
                Some(match s {
                    "no_since" => SnapshotReason::NoSince,
                    "too_far_behind" => SnapshotReason::TooFarBehind,
                    "ahead" => SnapshotReason::Ahead,
                    "other_epoch" => SnapshotReason::OtherEpoch,
                    _ => return None,
                })
            })?,
            snapshot: snapshot(req(o, "snapshot")?)?,
        },
        "event" => ServerMsg::Event(Event {
            seq: u64_(o, "seq")?,
            at_ms: i64_(o, "at_ms")?,
            change: change(req(o, "change")?)?,
        }),
        "heartbeat" => ServerMsg::Heartbeat {
            epoch: opt_string(o, "epoch")?.unwrap_or_default(),
            head: u64_(o, "head")?,
            server_time_ms: i64_(o, "server_time_ms")?,
            now_ms: now_ms(o)?,
        },
        "resync" => ServerMsg::Resync {
            epoch: opt_string(o, "epoch")?.unwrap_or_default(),
            reason: code(o, "reason", |s| {
                Some(match s {
                    "slow" => ResyncReason::Slow,
                    "shutdown" => ResyncReason::Shutdown,
                    _ => return None,
                })
            })?,
            head: u64_(o, "head")?,
        },
        "error" => ServerMsg::Error {
            error: string(o, "error")?,
            detail: string(o, "detail")?,
        },
        _ => return Err(bad("type", "a known message")),
    })
}

/// The `GET /api/live` body.
pub fn decode_snapshot(text: &str) -> R<Snapshot> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    snapshot(&v)
}

/// The hello (`ClientMsg::Hello`) as JSON text; `epoch` is the store
/// identity `since` belongs to.
pub fn hello(layers: &[Topic], since: Option<Seq>, epoch: Option<&str>) -> String {
    let mut s = String::from(r#"{"type":"hello","layers":["#);
    for (i, t) in layers.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(t.code());
        s.push('"');
    }
    s.push_str(r#"],"since":"#);
    match since {
        Some(n) => s.push_str(&n.to_string()),
        None => s.push_str("null"),
    }
    if let Some(e) = epoch {
        s.push_str(r#","epoch":"#);
        // A JSON string (the server's epochs are hex, but quote whatever came).
        s.push_str(&Value::String(e.to_string()).to_string());
    }
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingan_model::live::ClientMsg;

    fn case(id: u32, status: CaseStatus, with_options: bool) -> Case {
        Case {
            id,
            category: CaseCategory::ALL[id as usize % CaseCategory::ALL.len()],
            lon: 113.812_345,
            lat: 22.598_765,
            grid: with_options.then(|| "G0001".into()),
            grid_index: with_options.then_some(65_535),
            community: with_options.then(|| "新安社区".into()),
            subdistrict: with_options.then(|| "新安街道".into()),
            description: "家庭纠纷 \"引号\" \\ 换行\n".into(),
            reporter: "网格员".into(),
            status,
            departments: if with_options {
                Department::ALL.to_vec()
            } else {
                Vec::new()
            },
            rule: with_options.then(|| "R01".into()),
            photo: with_options.then(|| "ab".repeat(32)),
            reported_at: -1,
            deadline: i64::MAX,
            updated_at: 1_790_000_000,
        }
    }

    fn alert(id: u64, level: Level, t: SensorType, cleared: bool) -> Alert {
        Alert {
            id,
            sensor: format!("S{id:04}"),
            sensor_type: t,
            level,
            peak: 101.5,
            lon: 113.9,
            lat: 22.7,
            raised_at: 1_790_000_000,
            alarm_at_ms: None,
            cleared_at: cleared.then_some(1_790_000_100),
            acked_at: cleared.then_some(1_790_000_050),
            acked_by: cleared.then(|| "值班员".into()),
        }
    }

    fn sensors() -> Vec<SensorState> {
        SensorType::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| SensorState {
                id: format!("S{i:04}"),
                sensor_type: *t,
                value: i as f64 * 10.25 - 3.0,
                at: 1_790_000_000 + i as i64,
                level: [Level::Normal, Level::Warn, Level::Alarm][i % 3],
            })
            .collect()
    }

    fn hazards() -> Vec<HazardState> {
        HazardStatus::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| HazardState {
                id: format!("H{i:05}"),
                status: *s,
                at: 1_790_000_000,
                by: "安监".into(),
                note: String::new(),
                photo: (i == 1).then(|| "cd".repeat(32)),
            })
            .collect()
    }

    /// Every change variant, every status, level, sensor type, alert change.
    fn changes() -> Vec<Change> {
        let mut out = Vec::new();
        for (i, s) in CaseStatus::ALL.iter().enumerate() {
            out.push(Change::CaseReported {
                case: case(i as u32, *s, i % 2 == 0),
            });
            out.push(Change::CaseTransitioned {
                case: case(100 + i as u32, *s, i % 2 == 1),
                transition: Transition {
                    from: (i % 2 == 0).then_some(CaseStatus::ALL[(i + 1) % CaseStatus::ALL.len()]),
                    to: *s,
                    at: 1_790_000_000,
                    by: "police".into(),
                    note: "ok".into(),
                },
            });
        }
        for c in CaseCategory::ALL {
            let mut k = case(1, CaseStatus::Reported, true);
            k.category = *c;
            out.push(Change::CaseReported { case: k });
        }
        out.push(Change::Readings { sensors: sensors() });
        out.push(Change::Readings {
            sensors: Vec::new(),
        });
        for (i, ch) in [
            AlertChange::Raised,
            AlertChange::Level,
            AlertChange::Cleared,
            AlertChange::Acked,
        ]
        .into_iter()
        .enumerate()
        {
            for (j, t) in SensorType::ALL.iter().enumerate() {
                out.push(Change::Alert {
                    alert: alert(
                        (i * 100 + j) as u64,
                        [Level::Warn, Level::Alarm, Level::Normal][j % 3],
                        *t,
                        i >= 2,
                    ),
                    change: ch,
                });
            }
        }
        for h in hazards() {
            out.push(Change::HazardStatus { hazard: h });
        }
        for sc in scenes() {
            out.push(Change::Scene {
                group: sc.group.clone(),
                scene: Some(sc),
            });
        }
        out.push(Change::Scene {
            group: "指挥中心".into(),
            scene: None,
        });
        out
    }

    fn scenes() -> Vec<Scene> {
        vec![
            Scene {
                group: "default".into(),
                lon: 113.883_1,
                lat: 22.554_2,
                zoom: 14.5,
                layers: vec!["hazards".into(), "sensors".into()],
                highlight: Some(SceneFeature {
                    layer: "hazards".into(),
                    id: "YH000123".into(),
                }),
                duration_s: Some(300),
                started_ms: 1_790_000_000_123,
                by: "值班员".into(),
            },
            Scene {
                group: "西乡_1".into(),
                lon: 113.8,
                lat: 22.6,
                zoom: 11.0,
                layers: Vec::new(),
                highlight: None,
                duration_s: None,
                started_ms: -1,
                by: String::new(),
            },
        ]
    }

    fn messages() -> Vec<ServerMsg> {
        let mut out = vec![
            ServerMsg::Welcome {
                epoch: "9f86d081884c7d65".into(),
                head: u64::MAX >> 12,
                replay: 2,
                heartbeat_ms: 10_000,
                server_time_ms: 1_790_000_000_123,
                now_ms: 1_790_000_000_123,
                build: Some("0123456789abcdef".into()),
            },
            ServerMsg::Welcome {
                epoch: String::new(),
                head: 0,
                replay: 0,
                heartbeat_ms: 10_000,
                server_time_ms: 7,
                now_ms: 7,
                build: None,
            },
            ServerMsg::Heartbeat {
                epoch: String::new(),
                head: 0,
                server_time_ms: -5,
                now_ms: -5,
            },
            ServerMsg::Error {
                error: "bad_hello".into(),
                detail: "layers[0]: unknown \"nope\"".into(),
            },
        ];
        for reason in [ResyncReason::Slow, ResyncReason::Shutdown] {
            out.push(ServerMsg::Resync {
                epoch: "e".into(),
                reason,
                head: 10,
            });
        }
        for (i, reason) in [
            SnapshotReason::NoSince,
            SnapshotReason::TooFarBehind,
            SnapshotReason::Ahead,
            SnapshotReason::OtherEpoch,
        ]
        .into_iter()
        .enumerate()
        {
            out.push(ServerMsg::Snapshot {
                reason,
                snapshot: if i == 0 {
                    Snapshot::default()
                } else {
                    Snapshot {
                        epoch: "e2".into(),
                        seq: 9,
                        sensors: sensors(),
                        alerts: vec![
                            alert(1, Level::Alarm, SensorType::Gas, false),
                            alert(2, Level::Warn, SensorType::WaterLevel, true),
                        ],
                        hazards: hazards(),
                        reload: Topic::ALL.to_vec(),
                        scenes: if i == 1 { Vec::new() } else { scenes() },
                    }
                },
            });
        }
        for (i, c) in changes().into_iter().enumerate() {
            out.push(ServerMsg::Event(Event {
                seq: 1 + i as u64 * 1_000_003,
                at_ms: 1_790_000_000_000 + i as i64,
                change: c,
            }));
        }
        out
    }

    #[test]
    fn every_server_message_and_change_decodes_to_what_the_model_encoded() {
        let msgs = messages();
        assert!(msgs.len() > 60);
        for m in msgs {
            let text = m.to_json();
            assert_eq!(decode(&text), Ok(m), "{text}");
        }
    }

    #[test]
    fn the_live_endpoint_body_decodes() {
        let s = Snapshot {
            epoch: "e3".into(),
            seq: 42,
            sensors: sensors(),
            alerts: vec![alert(7, Level::Alarm, SensorType::Smoke, false)],
            hazards: hazards(),
            reload: Vec::new(),
            scenes: scenes(),
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(decode_snapshot(&text), Ok(s));
    }

    #[test]
    fn the_hello_is_what_the_server_reads() {
        for (layers, since, epoch) in [
            (Topic::ALL.to_vec(), Some(42), Some("9f86d0")),
            (vec![Topic::Cases], None, None),
            (Vec::new(), Some(u64::MAX), Some("\"quoted\"")),
        ] {
            let text = hello(&layers, since, epoch);
            let back: ClientMsg = serde_json::from_str(&text).unwrap();
            let epoch = epoch.map(str::to_string);
            assert_eq!(
                back,
                ClientMsg::Hello {
                    layers,
                    since,
                    epoch,
                    public: false,
                },
                "{text}"
            );
        }
    }

    #[test]
    fn bad_messages_are_errors_naming_the_field_not_panics() {
        for (text, field) in [
            ("", ""),
            ("[]", "message"),
            (r#"{"type":"nope"}"#, "type"),
            (r#"{"type":"welcome","head":1}"#, "replay"),
            (r#"{"type":"event","seq":-1,"at_ms":0,"change":{}}"#, "seq"),
            (
                r#"{"type":"event","seq":1,"at_ms":0,"change":{"kind":"readings","sensors":[{"id":"S","type":"gas","value":1,"at":0,"level":"boom"}]}}"#,
                "level",
            ),
            (
                r#"{"type":"event","seq":1,"at_ms":0,"change":{"kind":"case_reported","case":{"id":1}}}"#,
                "category",
            ),
        ] {
            let e = decode(text).unwrap_err();
            assert!(e.contains(field), "{text}: {e}");
        }
    }
}
