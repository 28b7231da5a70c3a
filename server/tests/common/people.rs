//! A data dir with personal data (grid workers, hazard contacts) in two
//! subdistricts, actors of every kind, and the app served as one of them.

use super::{polygon_feature, Fixture};
use axum::extract::ConnectInfo;
use axum::Router;
use pingan_model::access::Role;
use pingan_model::domain::{CaseCategory, CaseStatus, Department, HazardStatus};
use pingan_model::live::Event;
use pingan_server::auth::accounts::UserIn;
use pingan_server::store::{Account, Actor, Command, NewCase};
use pingan_server::{app, AppState};
use std::net::SocketAddr;

/// Every name and phone of the fixture's files, which must never leave the
/// server unmasked for a public audience.
pub const SECRETS: &[&str] = &[
    "冯军明",
    "18511476806",
    "方娟立",
    "19888709229",
    "唐霞建",
    "18292048858",
    "麦宇建",
    "13437473577",
];
pub const XIXIANG: &str = "西乡街道";
pub const FUHAI: &str = "福海街道";
/// Where test requests come from.
pub const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 7], 5555);

fn grid(id: &str, i: usize, sub: &str, worker: &str, phone: &str) -> String {
    polygon_feature(id, i).replace(
        "\"properties\":{",
        &format!(
            "\"properties\":{{\"subdistrict\":\"{sub}\",\"worker\":\"{worker}\",\"worker_phone\":\"{phone}\","
        ),
    )
}

fn hazard(id: &str, sub: &str, name: &str, phone: &str) -> String {
    format!(
        r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Point","coordinates":[113.85,22.65]}},"properties":{{"id":"{id}","name":"积水点{id}","status":"open","subdistrict":"{sub}","contacts":[{{"name":"{name}","phone":"{phone}","role":"街道责任人"}}]}}}}"#
    )
}

/// Every catalogue layer, with grids G0001 (西乡) and G0002 (福海) and
/// hazards YH000001 (福海) and YH000002 (西乡) carrying people.
pub fn fixture(name: &str) -> Fixture {
    let fx = Fixture::new(name);
    let grids = super::collection(&[
        grid("G0001", 0, XIXIANG, "冯军明", "18511476806"),
        grid("G0002", 1, FUHAI, "方娟立", "19888709229"),
    ]);
    fx.write("grids.geojson", grids.as_bytes());
    let hazards = super::collection(&[
        hazard("YH000001", FUHAI, "唐霞建", "18292048858"),
        hazard("YH000002", XIXIANG, "麦宇建", "13437473577"),
    ]);
    fx.write("hazards.geojson", hazards.as_bytes());
    fx
}

/// A signed-in person.
pub fn user(role: Role, scope: Option<&str>) -> Actor {
    Actor {
        account: Account::User {
            id: 1,
            // One account per role and scope (app_as creates it once).
            username: match scope {
                None => format!("{}-user", role.name()),
                Some(XIXIANG) => format!("{}-user-xixiang", role.name()),
                Some(FUHAI) => format!("{}-user-fuhai", role.name()),
                Some(_) => format!("{}-user-scoped", role.name()),
            },
            role,
            scope: scope.map(str::to_string),
            session: 1,
        },
        name: format!("{}用户", role.label().0),
    }
}

/// The app as `actor` sees it, from [`CLIENT`]: a user account of the
/// actor's username, role, scope and display name is created (once) and
/// signed in, and every request carries its session cookie.
pub fn app_as(state: &AppState, actor: Option<Actor>) -> Router {
    // As through a socket: the peer's address, and the Host a browser sends.
    let router = app(state.clone())
        .layer(axum::Extension(ConnectInfo(SocketAddr::from(CLIENT))))
        .layer(axum::middleware::map_request(
            |mut req: axum::http::Request<axum::body::Body>| async move {
                if !req.headers().contains_key("host") {
                    req.headers_mut()
                        .insert("host", axum::http::HeaderValue::from_static("localhost"));
                }
                req
            },
        ));
    let Some(actor) = actor else {
        return router;
    };
    let Account::User {
        username,
        role,
        scope,
        ..
    } = &actor.account
    else {
        panic!("app_as signs in users only, not {:?}", actor.account);
    };
    const PASSWORD: &str = "people-test-password";
    let auth = state.auth();
    if !auth
        .users()
        .unwrap()
        .iter()
        .any(|u| &u.username == username)
    {
        auth.create_user(&UserIn {
            username: username.clone(),
            display_name: Some(actor.name.clone()),
            role: *role,
            scope: scope.clone(),
            password: Some(PASSWORD.into()),
        })
        .expect("the test user is created");
    }
    let session = auth
        .login(username, PASSWORD, [127, 0, 0, 1].into())
        .unwrap_or_else(|e| panic!("the test user {username} logs in: {e:?}"));
    super::signed_in(
        router,
        super::Credentials::cookie(format!("pingan_session={}", session.token)),
    )
}

/// Reports a case in `sub` named by `reporter` and moves it on by `by`.
pub async fn case_with_people(state: &AppState, sub: &str, reporter: &str, by: &str) -> Vec<Event> {
    let now = pingan_server::clock::now_s();
    let report = Command::ReportCase(NewCase {
        category: CaseCategory::Dispute,
        lon: 113.85,
        lat: 22.65,
        grid: Some("G0001".into()),
        grid_index: Some(0),
        community: None,
        subdistrict: Some(sub.into()),
        description: "邻里纠纷".into(),
        reporter: Actor::anonymous(reporter),
        departments: vec![Department::Police],
        rule: None,
        reported_at: now,
        deadline: now + 3600,
        photo: None,
    });
    let mut events = state.live().execute(report).await.unwrap();
    let id = match &events[0].change {
        pingan_model::live::Change::CaseReported { case } => case.id,
        other => panic!("{other:?}"),
    };
    let step = Command::Transition {
        case_id: id,
        to: CaseStatus::Accepted,
        by: Actor::anonymous(by),
        note: String::new(),
        at: now,
    };
    events.extend(state.live().execute(step).await.unwrap());
    events
}

/// Changes hazard `id`'s status as `by`.
pub async fn hazard_change(state: &AppState, id: &str, by: &str) -> Vec<Event> {
    let cmd = Command::HazardStatus {
        id: id.into(),
        status: HazardStatus::Rectifying,
        by: Actor::anonymous(by),
        note: String::new(),
        at: pingan_server::clock::now_s(),
        photo: None,
    };
    state.live().execute(cmd).await.unwrap()
}
