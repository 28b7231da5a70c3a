//! Actions on the selected item, in the details panel, each offered only
//! with its permission (`Me.permissions`): a case's next statuses as the
//! status machine allows them (`CaseStatus::next`; `cases:transition`), a
//! sensor's active alert acknowledged (`alerts:ack`), a hazard set
//! rectifying or rectified with a note (`hazards:status`). The answer is
//! not applied here: the change comes back over the live stream like any
//! other, and the details follow it. A 401 brings the sign-in back; a 403
//! says which permission is missing ([`describe`]). What to offer is pure
//! ([`offer`], tested natively).

use crate::auth;
use crate::data::{Items, LayerData};
use crate::i18n::t;
use crate::state::use_app;
use crate::web::fetch::{send_json, FetchError, Method};
use leptos::prelude::*;
use pingan_model::access::Permission;
use pingan_model::domain::{CaseStatus, HazardStatus, Lang};
use pingan_model::layers::LayerId;
use pingan_model::live::Alert;
use serde_json::json;

/// What can be done to the selected item.
#[derive(Clone, Debug, PartialEq)]
pub enum Offer {
    /// A case (its id) and the statuses it may move to.
    Case { id: u32, to: Vec<CaseStatus> },
    /// A hazard (its id) and the statuses it may be set to.
    Hazard { id: String, to: Vec<HazardStatus> },
    /// A sensor's active, unacknowledged alert.
    Ack { alert: u64 },
}

/// The action offered for `key` of `layer` to someone holding `allows`;
/// `None` when there is nothing they may do (an archived case, an alert
/// already acknowledged, a permission missing).
pub fn offer(
    layer: LayerId,
    data: &LayerData,
    key: u32,
    alerts: &[Alert],
    allows: impl Fn(Permission) -> bool,
    scope: Option<&str>,
) -> Option<Offer> {
    let LayerData::Points(p) = data else {
        return None;
    };
    match (layer, &p.items) {
        (LayerId::Cases, Items::Cases(cases)) if allows(Permission::CasesTransition) => {
            let c = cases.get(key as usize)?;
            let to = c.status.next().to_vec();
            (!to.is_empty()).then_some(Offer::Case { id: c.id, to })
        }
        (LayerId::Hazards, Items::Features(f)) if allows(Permission::HazardsStatus) => {
            let feature = f.get(key as usize)?;
            // A scoped account changes hazards of its own subdistrict only
            // (the server refuses the others).
            if scope.is_some() && feature.str_prop("subdistrict") != scope {
                return None;
            }
            let id = feature.id.clone()?;
            let now = p
                .state
                .get(key as usize)
                .and_then(|s| HazardStatus::from_index(*s as usize));
            let to = [HazardStatus::Rectifying, HazardStatus::Rectified]
                .into_iter()
                .filter(|s| Some(*s) != now)
                .collect();
            Some(Offer::Hazard { id, to })
        }
        (LayerId::Sensors, Items::Features(f)) if allows(Permission::AlertsAck) => {
            let sensor = f.get(key as usize)?.id.as_deref()?;
            alerts
                .iter()
                .find(|a| a.sensor == sensor && a.cleared_at.is_none() && a.acked_at.is_none())
                .map(|a| Offer::Ack { alert: a.id })
        }
        _ => None,
    }
}

/// A failed call as the panel says it: the missing permission for a 403
/// (`Permission::label`), the wait for a 429, the server's detail otherwise.
pub fn describe(lang: Lang, e: &FetchError) -> String {
    let sep = lang.pick("：", ": ");
    match e {
        FetchError::Forbidden {
            scope: Some(scope), ..
        } => match lang {
            Lang::Zh => format!("不在您负责的{scope}范围内"),
            Lang::En => format!("Outside your subdistrict ({scope})"),
        },
        FetchError::Forbidden {
            permission: Some(p),
            ..
        } => {
            let (zh, en) = p.label();
            format!("{}{sep}{}", t(lang, "forbidden"), lang.pick(zh, en))
        }
        FetchError::Forbidden { detail, .. } => format!("{}{sep}{detail}", t(lang, "forbidden")),
        FetchError::Unauthenticated { .. } => t(lang, "session_lost").to_string(),
        FetchError::TooMany { retry_after_s, .. } => match (lang, retry_after_s) {
            (Lang::Zh, Some(s)) => format!("请求过于频繁，请 {s} 秒后再试"),
            (Lang::Zh, None) => "请求过于频繁，请稍后再试".into(),
            (Lang::En, Some(s)) => format!("Too many requests: try again in {s} s"),
            (Lang::En, None) => "Too many requests: try again later".into(),
        },
        FetchError::Http { detail, .. } if !detail.is_empty() => detail.clone(),
        e => e.to_string(),
    }
}

/// How the last call went.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Sent,
    Failed(FetchError),
}

fn enc(id: &str) -> String {
    String::from(js_sys::encode_uri_component(id))
}

#[component]
pub fn Actions() -> impl IntoView {
    let state = use_app();
    let note = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let outcome: RwSignal<Option<Outcome>> = RwSignal::new(None);
    let current = Memo::new(move |_| {
        state.live.rev.track();
        let (layer, key) = state.selected.get()?;
        let e = state.entry(layer)?;
        let alerts = state.live.alerts.get();
        let session = state.session;
        let scope = auth::scope(session);
        e.data.with(|d| {
            offer(
                layer,
                d.as_deref()?,
                key,
                &alerts,
                |p| auth::permits(session, p),
                scope.as_deref(),
            )
        })
    });
    // A new selection starts afresh; a changed offer (the stream brought
    // the change) ends "sent".
    Effect::new(move |before: Option<Option<(LayerId, u32)>>| {
        let sel = state.selected.get();
        if before.is_some_and(|b| b != sel) {
            note.set(String::new());
        }
        outcome.set(None);
        sel
    });
    Effect::new(move |_| {
        current.track();
        if outcome.get_untracked() == Some(Outcome::Sent) {
            outcome.set(None);
        }
    });
    let send = move |url: String, body: serde_json::Value| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let got = send_json(Method::Post, &url, Some(&body)).await;
            // `try_set` hands the value back when the panel is gone.
            if busy.try_set(false).is_some() {
                return;
            }
            match got {
                Ok(_) => outcome.set(Some(Outcome::Sent)),
                Err(e) => {
                    if e.is_unauthenticated() {
                        auth::lost(state.session);
                    }
                    outcome.set(Some(Outcome::Failed(e)));
                }
            }
        });
    };
    let note_box = move || {
        view! {
            <input
                class="action-note"
                data-testid="action-note"
                maxlength="500"
                placeholder=move || t(state.lang.get(), "note")
                prop:value=move || note.get()
                on:input=move |ev| note.set(event_target_value(&ev))
            />
        }
    };
    let buttons = move || {
        let lang = state.lang.get();
        current.get().map(|o| match o {
            Offer::Case { id, to } => view! {
                {note_box()}
                <div class="action-row">
                    <span class="muted">{t(lang, "move_to")}</span>
                    {to.into_iter().map(|s| view! {
                        <button
                            class="btn small"
                            data-testid=format!("action-{}", s.code())
                            disabled=move || busy.get()
                            on:click=move |_| send(
                                format!("api/cases/{id}/transitions"),
                                json!({ "to": s.code(), "note": note.get_untracked() }),
                            )
                        >{s.label(lang)}</button>
                    }).collect_view()}
                </div>
            }
            .into_any(),
            Offer::Hazard { id, to } => view! {
                {note_box()}
                <div class="action-row">
                    {to.into_iter().map(|s| {
                        let id = id.clone();
                        view! {
                            <button
                                class="btn small"
                                data-testid=format!("action-{}", s.code())
                                disabled=move || busy.get()
                                on:click=move |_| send(
                                    format!("api/hazards/{}/status", enc(&id)),
                                    json!({ "status": s.code(), "note": note.get_untracked() }),
                                )
                            >{s.label(lang)}</button>
                        }
                    }).collect_view()}
                </div>
            }
            .into_any(),
            Offer::Ack { alert } => view! {
                <div class="action-row">
                    <button
                        class="btn small"
                        data-testid="action-ack"
                        disabled=move || busy.get()
                        on:click=move |_| send(format!("api/alerts/{alert}/ack"), json!({}))
                    >{t(lang, "ack")}</button>
                </div>
            }
            .into_any(),
        })
    };
    let result = move || {
        let lang = state.lang.get();
        outcome.get().map(|o| match o {
            Outcome::Sent => view! {
                <p class="action-result" data-testid="action-result" data-state="sent">{t(lang, "sent")}</p>
            }
            .into_any(),
            Outcome::Failed(e) => view! {
                <p class="action-result error" data-testid="action-result" data-state="failed">{describe(lang, &e)}</p>
            }
            .into_any(),
        })
    };
    view! {
        <Show when=move || current.with(Option::is_some) || outcome.with(Option::is_some)>
            <section class="actions" data-testid="actions">
                <h3>{move || t(state.lang.get(), "actions")}</h3>
                {buttons}
                {result}
            </section>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::build;
    use pingan_model::cases::{encode, CaseFile, CaseRecord, DeptSet};
    use pingan_model::domain::{CaseCategory, Department, SensorType};
    use pingan_model::layers::layer;
    use pingan_model::live::Level;

    const HAZARDS: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"YH1","name":"积水点","type":"waterlogging","status":"rectifying","subdistrict":"西乡街道"},"geometry":{"type":"Point","coordinates":[113.82,22.57]}}]}"#;
    const SENSORS: &str = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"id":"S1","type":"gas","warn":10,"alarm":20,"value":1},"geometry":{"type":"Point","coordinates":[113.82,22.57]}}]}"#;

    fn cases(status: CaseStatus) -> LayerData {
        let bytes = encode(&CaseFile {
            grid_count: 1,
            window_start: 1_789_000_000,
            window_end: 1_791_000_000,
            records: vec![CaseRecord {
                id: 42,
                time: 1_790_000_000,
                lon: 113.82,
                lat: 22.57,
                grid: 0,
                category: CaseCategory::Dispute,
                status,
                departments: DeptSet::of(&[Department::Police]),
                deadline_hours: 48,
            }],
        });
        build(layer("cases").unwrap(), &bytes, 1_790_000_000).unwrap()
    }

    fn alert(acked: bool, cleared: bool) -> Alert {
        Alert {
            id: 7,
            sensor: "S1".into(),
            sensor_type: SensorType::Gas,
            level: Level::Warn,
            peak: 12.0,
            lon: 113.82,
            lat: 22.57,
            raised_at: 1_790_000_000,
            alarm_at_ms: None,
            cleared_at: cleared.then_some(1_790_000_100),
            acked_at: acked.then_some(1_790_000_050),
            acked_by: acked.then(|| "值班员".into()),
        }
    }

    #[test]
    fn a_case_offers_the_next_statuses_only_with_the_permission() {
        let d = cases(CaseStatus::Dispatched);
        let all = |_| true;
        assert_eq!(
            offer(LayerId::Cases, &d, 0, &[], all, None),
            Some(Offer::Case {
                id: 42,
                to: vec![
                    CaseStatus::InProgress,
                    CaseStatus::Returned,
                    CaseStatus::Escalated
                ]
            })
        );
        let officer = |p| p != Permission::CasesTransition;
        assert_eq!(offer(LayerId::Cases, &d, 0, &[], officer, None), None);
        // Archived is final: nothing to offer; a key out of range neither.
        assert_eq!(
            offer(
                LayerId::Cases,
                &cases(CaseStatus::Archived),
                0,
                &[],
                all,
                None
            ),
            None
        );
        assert_eq!(offer(LayerId::Cases, &d, 9, &[], all, None), None);
    }

    #[test]
    fn a_hazard_offers_the_statuses_it_is_not_in() {
        let d = build(layer("hazards").unwrap(), HAZARDS.as_bytes(), 0).unwrap();
        assert_eq!(
            offer(LayerId::Hazards, &d, 0, &[], |_| true, None),
            Some(Offer::Hazard {
                id: "YH1".into(),
                to: vec![HazardStatus::Rectified]
            })
        );
        assert_eq!(
            offer(
                LayerId::Hazards,
                &d,
                0,
                &[],
                |p| p == Permission::Read,
                None
            ),
            None
        );
        // A scoped officer: its own subdistrict's hazards only.
        let d = build(layer("hazards").unwrap(), HAZARDS.as_bytes(), 0).unwrap();
        let own = offer(LayerId::Hazards, &d, 0, &[], |_| true, Some("西乡街道"));
        assert!(own.is_some());
        assert_eq!(
            offer(LayerId::Hazards, &d, 0, &[], |_| true, Some("福海街道")),
            None
        );
    }

    #[test]
    fn only_an_active_unacknowledged_alert_is_offered() {
        let d = build(layer("sensors").unwrap(), SENSORS.as_bytes(), 0).unwrap();
        let ack = |p| p == Permission::AlertsAck;
        assert_eq!(
            offer(LayerId::Sensors, &d, 0, &[alert(false, false)], ack, None),
            Some(Offer::Ack { alert: 7 })
        );
        assert_eq!(
            offer(LayerId::Sensors, &d, 0, &[alert(true, false)], ack, None),
            None
        );
        assert_eq!(
            offer(LayerId::Sensors, &d, 0, &[alert(false, true)], ack, None),
            None
        );
        assert_eq!(
            offer(
                LayerId::Sensors,
                &d,
                0,
                &[alert(false, false)],
                |_| false,
                None
            ),
            None
        );
    }

    #[test]
    fn a_403_names_the_missing_permission() {
        let e = FetchError::Forbidden {
            url: "api/cases/7/transitions".into(),
            permission: Some(Permission::CasesTransition),
            scope: None,
            detail: "needs cases:transition".into(),
        };
        assert_eq!(describe(Lang::Zh, &e), "无权限：流转案件");
        assert_eq!(
            describe(Lang::En, &e),
            "Not permitted: move cases through their statuses"
        );
        // Holding the permission, outside the account's subdistrict.
        let e = FetchError::Forbidden {
            url: "api/contacts/hazards/YH1".into(),
            permission: Some(Permission::PersonalRead),
            scope: Some("西乡街道".into()),
            detail: "outside 西乡街道".into(),
        };
        assert_eq!(describe(Lang::Zh, &e), "不在您负责的西乡街道范围内");
        assert_eq!(
            describe(Lang::En, &e),
            "Outside your subdistrict (西乡街道)"
        );
        let e = FetchError::Http {
            url: "x".into(),
            status: 409,
            status_text: "Conflict".into(),
            detail: "alert 7 was already acknowledged".into(),
        };
        assert_eq!(describe(Lang::En, &e), "alert 7 was already acknowledged");
        let e = FetchError::TooMany {
            url: "x".into(),
            retry_after_s: Some(3),
            detail: String::new(),
        };
        assert_eq!(describe(Lang::Zh, &e), "请求过于频繁，请 3 秒后再试");
    }
}
