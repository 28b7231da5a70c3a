//! The audit log, service side (rows and storage are `store::audit` and the
//! store): entries built from who acted and what ([`entry`], [`of_command`]),
//! and retention
//! ([`retain`], `--audit-retain-days`, 180 by default: the Cybersecurity
//! Law's six months). Every write command is audited in one place,
//! [`crate::live::Live::execute_audited`], in the command's own transaction.

use crate::clock::now_s;
use crate::store::{Account, Actor, AuditEntry, Command, Store, StoreResult};
use std::sync::Arc;

/// Default retention of the audit log, in days.
pub const DEFAULT_RETAIN_DAYS: u32 = 180;

/// The actor's name, kind and role as the log records them.
fn who(actor: &Actor) -> (String, &'static str, Option<String>) {
    let role = actor.role().map(|r| r.name().to_string());
    match &actor.account {
        Account::Anonymous => (actor.name.clone(), "anonymous", role),
        Account::User { username, .. } => (username.clone(), "user", role),
        Account::Device { name, .. } => (name.clone(), "device", role),
        Account::Key { name, .. } => (name.clone(), "key", role),
        Account::System => (actor.name.clone(), "system", role),
    }
}

/// An entry: `actor` did `action` on `target` from `from`, now.
pub fn entry(
    actor: &Actor,
    action: &str,
    target: impl Into<String>,
    from: &str,
    detail: impl Into<String>,
) -> AuditEntry {
    let (name, kind, role) = who(actor);
    AuditEntry {
        at: now_s(),
        actor: name,
        kind: kind.into(),
        role,
        action: action.into(),
        target: target.into(),
        from: from.into(),
        detail: detail.into(),
    }
}

/// At most 200 characters of `s` (a request's query in `detail`), `…`
/// after when cut.
pub fn clip(s: &str) -> String {
    const MAX: usize = 200;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// `, photo <id>` for a command that names one.
fn with_photo(photo: Option<&str>) -> String {
    photo
        .map(|p| format!(", photo {}", clip(p)))
        .unwrap_or_default()
}

/// The entry of a write command run for `actor` from `from`.
pub fn of_command(actor: &Actor, cmd: &Command, from: &str) -> AuditEntry {
    match cmd {
        Command::ReportCase(c) => entry(
            actor,
            "case.report",
            crate::store::audit::NEW_CASE,
            from,
            format!(
                "{} in {}{}",
                c.category.code(),
                c.subdistrict.as_deref().unwrap_or("?"),
                with_photo(c.photo.as_deref())
            ),
        ),
        Command::Transition { case_id, to, .. } => entry(
            actor,
            "case.transition",
            format!("cases/{case_id}"),
            from,
            format!("→ {}", to.code()),
        ),
        Command::Readings { readings, .. } => entry(
            actor,
            "readings",
            "readings",
            from,
            format!("{} readings", readings.len()),
        ),
        Command::AckAlert { id, .. } => entry(actor, "alert.ack", format!("alerts/{id}"), from, ""),
        Command::HazardStatus {
            id, status, photo, ..
        } => entry(
            actor,
            "hazard.status",
            format!("hazards/{id}"),
            from,
            format!("→ {}{}", status.code(), with_photo(photo.as_deref())),
        ),
        Command::PushScene { scene, .. } => entry(
            actor,
            "wall.scene_push",
            format!("walls/{}", scene.group),
            from,
            format!(
                "{:.5},{:.5} z{:.2}{}{}",
                scene.lon,
                scene.lat,
                scene.zoom,
                scene
                    .highlight
                    .as_ref()
                    .map(|h| format!(", highlight {}/{}", h.layer, h.id))
                    .unwrap_or_default(),
                scene
                    .duration_s
                    .map(|d| format!(", {d} s"))
                    .unwrap_or_default()
            ),
        ),
        Command::ClearScene { group, .. } => entry(
            actor,
            "wall.scene_clear",
            format!("walls/{group}"),
            from,
            "",
        ),
    }
}

/// Deletes audit entries older than `days` days (0: keeps everything).
pub fn prune_once(store: &dyn Store, days: u32) -> StoreResult<u64> {
    if days == 0 {
        return Ok(0);
    }
    let cut = now_s().saturating_sub(i64::from(days).saturating_mul(86_400));
    store.prune_audit_before(cut)
}

/// The audit retention task: prunes past `days` a minute after start and
/// then every `every`.
pub async fn retain(store: Arc<dyn Store>, days: u32, every: std::time::Duration) {
    if days == 0 {
        tracing::info!("audit log retention off: entries are kept forever");
        return;
    }
    let mut wait = std::time::Duration::from_secs(60).min(every);
    loop {
        tokio::time::sleep(wait).await;
        wait = every;
        let s = store.clone();
        match crate::blocking::run(move || prune_once(s.as_ref(), days)).await {
            Ok(0) => tracing::debug!(days, "audit retention: nothing to prune"),
            Ok(n) => tracing::info!(days, deleted = n, "audit retention: pruned old entries"),
            Err(e) => tracing::warn!(error = %e, "audit retention failed"),
        }
    }
}
