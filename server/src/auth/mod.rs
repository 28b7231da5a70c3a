//! Who is asking: the [`Auth`] service in `AppState`. Logging in (argon2id,
//! the same work for unknown, disabled and wrong-password attempts; rate
//! limited per username and address), sessions (an opaque random token in an
//! HttpOnly cookie, its SHA-256 in the store; expiry, revocation, the sweep),
//! API keys (`Authorization: Bearer pk_…`, exact scopes), wall devices
//! (pairing codes → long-lived device sessions) and the broadcast of revoked
//! sessions and keys ([`Auth::subscribe_revocations`], [`Revoked`]: the
//! stream closes their sockets; revocations made by another process on the
//! same database, the CLI, are found by [`Auth::poll_revocations`]). Resolving credentials never fails loudly: anything malformed,
//! forged, expired or revoked is anonymous, and the check layer answers 401
//! without saying which part was wrong.
//!
//! Files: `password.rs` (argon2id), `token.rs` (secrets and their digests),
//! `limit.rs` (governor), `accounts.rs` (users, keys and devices as the
//! admin API and CLI change them), `bootstrap.rs` (demo accounts, the first
//! admin), `journal.rs` (account actions into the audit log and the log), `me.rs` (what `GET /api/session` answers). The blocking methods
//! (argon2, the store) run on a blocking thread; callers on the runtime go
//! through `tokio::task::spawn_blocking`.

pub mod accounts;
pub mod bootstrap;
pub mod credential;
pub mod journal;
pub mod limit;
pub mod me;
pub mod password;
pub mod token;

pub use me::Me;

pub use credential::{presented, session_cookie, Credential, Presented, COOKIE};

use crate::clock::now_s;
use crate::store::accounts::{SessionRecord, Sessions, Subject};
use crate::store::{Account, Actor, Store, StoreError};
use limit::{LimitConfig, Limited, Limits};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// Lifetime of a wall device's session.
pub const DEVICE_SESSION: Duration = Duration::from_secs(400 * 86_400);
/// How long ended sessions and keys are kept before the daily prune
/// deletes them (the audit log keeps the long record).
pub const ENDED_RETAIN_DAYS: i64 = 30;
/// Lifetime of a pairing code.
pub const PAIRING_CODE: Duration = Duration::from_secs(10 * 60);

/// How accounts behave.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthConfig {
    /// Create the documented demo accounts on a fresh store (else one admin
    /// with a random password).
    pub demo_accounts: bool,
    /// Lifetime of a login session.
    pub session_ttl: Duration,
    pub limits: LimitConfig,
    /// Password hashes (argon2id: ~19 MiB and tens of ms of CPU each)
    /// computed at once; 0: twice the cores.
    pub hash_slots: usize,
    /// How long a request waits for a hashing slot before it is answered
    /// 503 `busy` with `Retry-After`.
    pub hash_wait: Duration,
    /// The district's subdistrict names (from the grids the server
    /// loaded): a user's scope must be one of them. Empty: any non-empty
    /// text (no data loaded).
    pub subdistricts: Vec<String>,
}

impl Default for AuthConfig {
    fn default() -> AuthConfig {
        AuthConfig {
            demo_accounts: true,
            session_ttl: Duration::from_secs(12 * 3600),
            limits: LimitConfig::default(),
            hash_slots: 0,
            hash_wait: Duration::from_secs(1),
            subdistricts: Vec::new(),
        }
    }
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong password, unknown or disabled user, unknown or spent pairing
    /// code: one answer for all.
    #[error("the username or password is wrong")]
    BadCredentials,
    #[error("too many attempts; retry in {} s", retry_after_s(.0))]
    RateLimited(Limited),
    /// Every password-hashing slot stayed taken for [`AuthConfig::hash_wait`].
    #[error("the server is busy checking passwords; retry in a second")]
    Busy,
    /// A field of the request is unacceptable.
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    /// A field names something that does not exist (a scope that is no
    /// subdistrict, a permission keys cannot hold): 400.
    #[error("{field}: {detail}")]
    BadField { field: String, detail: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error(transparent)]
    Random(#[from] token::RandomError),
    #[error("storage: {0}")]
    Store(String),
}

fn retry_after_s(l: &Limited) -> u64 {
    l.retry_after.as_secs_f64().ceil().max(1.0) as u64
}

impl AuthError {
    /// A short name of the failure, for logs (never a secret).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::BadCredentials => "bad_credentials",
            AuthError::RateLimited(_) => "rate_limited",
            AuthError::Busy => "busy",
            AuthError::Invalid { .. } => "invalid",
            AuthError::BadField { .. } => "bad_field",
            AuthError::NotFound(_) => "not_found",
            AuthError::Conflict(_) => "conflict",
            AuthError::Hash(_) | AuthError::Random(_) => "internal",
            AuthError::Store(_) => "storage",
        }
    }

    /// Whole seconds to wait, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AuthError::RateLimited(l) => Some(retry_after_s(l)),
            AuthError::Busy => Some(1),
            _ => None,
        }
    }
}

impl From<crate::blocking::TaskFailed> for AuthError {
    fn from(e: crate::blocking::TaskFailed) -> Self {
        AuthError::Store(e.to_string())
    }
}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> AuthError {
        match e {
            StoreError::NotFound { .. } => AuthError::NotFound(e.to_string()),
            StoreError::Conflict(m) => AuthError::Conflict(m),
            StoreError::Invalid { field, detail } => AuthError::Invalid { field, detail },
            StoreError::Backend(m) => AuthError::Store(m),
            // Not answers of account calls; kept whole, never lost.
            StoreError::KeyReused(m) | StoreError::UnknownPhoto(m) => AuthError::Conflict(m),
        }
    }
}

pub type AuthResult<T> = Result<T, AuthError>;

/// A credential that ended, as [`Auth::subscribe_revocations`] announces it:
/// a session (logout, admin, a user disabled or changed, a device revoked,
/// expiry) or an API key (revoked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Revoked {
    Session(i64),
    Key(i64),
}

/// Who a request is, as resolved from its credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub actor: Actor,
    /// When its session or key expires (Unix seconds), if it does.
    pub expires_at: Option<i64>,
    /// Whether the credential came as a cookie (ambient: CSRF checks apply).
    pub by_cookie: bool,
}

impl Resolved {
    pub fn anonymous() -> Resolved {
        Resolved {
            actor: Actor::anonymous(""),
            expires_at: None,
            by_cookie: false,
        }
    }

    pub fn is_anonymous(&self) -> bool {
        matches!(self.actor.account, Account::Anonymous)
    }

    /// The session or key this was resolved from: what its end is announced as.
    pub fn credential_id(&self) -> Option<Revoked> {
        match &self.actor.account {
            Account::User { session, .. } | Account::Device { session, .. } => {
                Some(Revoked::Session(*session))
            }
            Account::Key { id, .. } => Some(Revoked::Key(*id)),
            Account::Anonymous | Account::System => None,
        }
    }
}

/// A new session: the token to hand out (once) and who it is.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub resolved: Resolved,
    /// Seconds until it expires (the cookie's `Max-Age`).
    pub max_age: i64,
}

/// The accounts service. Cheap to share (`Arc`).
pub struct Auth {
    store: Arc<dyn Store>,
    config: AuthConfig,
    limits: Limits,
    revoked: broadcast::Sender<Revoked>,
    /// Where [`Auth::poll_revocations`] continues (Unix seconds).
    polled: std::sync::Mutex<i64>,
    /// The argon2 slots ([`AuthConfig::hash_slots`], [`Auth::hash_slot`]).
    hashing: Arc<tokio::sync::Semaphore>,
    /// Verified for unknown users, so their attempts cost what others do.
    dummy_hash: String,
    /// What was created at start on a fresh store (printed by the binary).
    bootstrap: Option<bootstrap::Created>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("config", &self.config)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Auth {
    /// The service over `store`; on a store created new, creates the demo
    /// accounts or the first admin ([`Auth::bootstrap`]). Blocking (argon2).
    pub fn open(store: Arc<dyn Store>, config: AuthConfig) -> AuthResult<Auth> {
        let dummy_hash = password::hash(&token::password()?)?;
        let (revoked, _) = broadcast::channel(1024);
        let slots = match config.hash_slots {
            0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let mut auth = Auth {
            hashing: Arc::new(tokio::sync::Semaphore::new(slots)),
            store,
            limits: Limits::new(config.limits),
            config,
            revoked,
            polled: std::sync::Mutex::new(now_s()),
            dummy_hash,
            bootstrap: None,
        };
        auth.bootstrap = bootstrap::ensure(&auth)?;
        Ok(auth)
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// A place among the bounded password-hashing slots, waited for at most
    /// [`AuthConfig::hash_wait`] ([`AuthError::Busy`] after that). The API
    /// takes one before every argon2 call (login, setting a password) and
    /// holds it on the blocking thread until the hash is done, so CPU and
    /// memory stay bounded however many requests arrive.
    pub async fn hash_slot(&self) -> AuthResult<tokio::sync::OwnedSemaphorePermit> {
        match tokio::time::timeout(self.config.hash_wait, self.hashing.clone().acquire_owned())
            .await
        {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AuthError::Busy),
        }
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The accounts created at start (demo accounts or the first admin with
    /// its password), when the store was created new.
    pub fn bootstrap(&self) -> Option<&bootstrap::Created> {
        self.bootstrap.as_ref()
    }

    /// Sessions and keys as they end: a session at logout, by an admin, when
    /// its user is disabled or changed, its device revoked or its time is up
    /// (the sweep); a key when it is revoked. Also those ended by another
    /// process on the same store, once [`Auth::poll_revocations`] finds them.
    pub fn subscribe_revocations(&self) -> broadcast::Receiver<Revoked> {
        self.revoked.subscribe()
    }

    pub(crate) fn announce(&self, ended: impl IntoIterator<Item = Revoked>) {
        for r in ended {
            // No subscriber is fine: nothing to close.
            let _ = self.revoked.send(r);
        }
    }

    /// Announces the sessions and keys revoked in the store since the last
    /// poll, whoever revoked them (the CLI is another process; what this
    /// process revoked is announced twice, which closes nothing twice).
    /// Returns how many were announced. Blocking.
    pub fn poll_revocations(&self) -> AuthResult<usize> {
        let now = now_s();
        let since = {
            let polled = self.polled.lock().unwrap_or_else(|p| p.into_inner());
            // One second of overlap: `revoked_at` has whole seconds.
            *polled - 1
        };
        let (sessions, keys) = self.store.revoked_since(since)?;
        let n = sessions.len() + keys.len();
        self.announce(
            sessions
                .into_iter()
                .map(Revoked::Session)
                .chain(keys.into_iter().map(Revoked::Key)),
        );
        *self.polled.lock().unwrap_or_else(|p| p.into_inner()) = now;
        Ok(n)
    }

    /// Whether the session or key `id` still resolves to someone (not
    /// revoked, not expired, its user enabled, its device not revoked).
    /// Blocking.
    pub fn still_live(&self, id: Revoked) -> Result<bool, StoreError> {
        let now = now_s();
        match id {
            Revoked::Session(id) => match self.store.session(id)? {
                Some(s) => Ok(self.session_actor(&s, now)?.is_some()),
                None => Ok(false),
            },
            Revoked::Key(id) => Ok(self
                .store
                .key(id)?
                .is_some_and(|k| k.revoked_at.is_none() && k.expires_at.is_none_or(|t| t > now))),
        }
    }

    /// Logs `username` in with `password` from `from`. Unknown user, disabled
    /// user and wrong password all verify one argon2 hash and answer
    /// [`AuthError::BadCredentials`]. Blocking.
    pub fn login(&self, username: &str, password: &str, from: IpAddr) -> AuthResult<NewSession> {
        self.count_login(username, from)?;
        self.login_counted(username, password)
    }

    /// Counts a login attempt against the rate limits (cheap, not
    /// blocking): the API does this before it waits for a hashing slot, so
    /// attempts over the limit never queue for one.
    pub fn count_login(&self, username: &str, from: IpAddr) -> AuthResult<()> {
        self.limits
            .login(username, from)
            .map_err(AuthError::RateLimited)
    }

    /// [`Auth::login`] for an attempt already counted ([`Auth::count_login`]).
    /// Blocking.
    pub fn login_counted(&self, username: &str, password: &str) -> AuthResult<NewSession> {
        let user = self.store.user_by_name(username)?;
        let hash = user
            .as_ref()
            .map_or(self.dummy_hash.as_str(), |u| u.password_hash.as_str());
        let matches = password::verify(password, hash);
        let user = match user {
            Some(u) if matches && !u.disabled => u,
            _ => return Err(AuthError::BadCredentials),
        };
        self.start_session(Subject::User(user.id), self.config.session_ttl)
    }

    /// A new session for `subject`, valid for `ttl`.
    pub(crate) fn start_session(&self, subject: Subject, ttl: Duration) -> AuthResult<NewSession> {
        let token = token::session_token()?;
        let now = now_s();
        let max_age = ttl.as_secs().min(i64::MAX as u64 / 2) as i64;
        let record =
            self.store
                .create_session(&token::digest(&token), subject, now, now + max_age)?;
        let resolved = self
            .session_actor(&record, now)?
            .ok_or_else(|| AuthError::Store("the new session does not resolve".into()))?;
        Ok(NewSession {
            token,
            resolved: Resolved {
                by_cookie: true,
                ..resolved
            },
            max_age,
        })
    }

    /// Who `credential` is; anonymous when it is malformed, unknown,
    /// expired or revoked, or its user is disabled. Blocking.
    pub fn resolve(&self, credential: &Credential) -> Result<Resolved, StoreError> {
        let now = now_s();
        let (secret, by_cookie) = match credential {
            Credential::Cookie(s) => (s.as_str(), true),
            Credential::Bearer(s) => (s.as_str(), false),
        };
        if !token::well_formed(secret) {
            return Ok(Resolved::anonymous());
        }
        let digest = token::digest(secret);
        if secret.starts_with(token::KEY_PREFIX) {
            if by_cookie {
                return Ok(Resolved::anonymous());
            }
            let Some(key) = self.store.key_by_token(&digest)? else {
                return Ok(Resolved::anonymous());
            };
            if key.revoked_at.is_some() || key.expires_at.is_some_and(|t| t <= now) {
                return Ok(Resolved::anonymous());
            }
            return Ok(Resolved {
                actor: Actor {
                    name: key.name.clone(),
                    account: Account::Key {
                        id: key.id,
                        name: key.name,
                        scopes: key.scopes,
                    },
                },
                expires_at: key.expires_at,
                by_cookie: false,
            });
        }
        let Some(session) = self.store.session_by_token(&digest)? else {
            return Ok(Resolved::anonymous());
        };
        Ok(match self.session_actor(&session, now)? {
            Some(r) => Resolved { by_cookie, ..r },
            None => Resolved::anonymous(),
        })
    }

    /// The actor of a live session; `None` when it is revoked, expired, or
    /// its user is disabled or its device revoked.
    fn session_actor(&self, s: &SessionRecord, now: i64) -> Result<Option<Resolved>, StoreError> {
        if s.revoked_at.is_some() || s.expires_at <= now {
            return Ok(None);
        }
        let actor = match s.subject {
            Subject::User(id) => match self.store.user(id)? {
                Some(u) if !u.disabled => Actor {
                    name: u.display_name,
                    account: Account::User {
                        id: u.id,
                        username: u.username,
                        role: u.role,
                        scope: u.scope,
                        session: s.id,
                    },
                },
                _ => return Ok(None),
            },
            Subject::Device(id) => match self.store.device(id)? {
                Some(d) if d.revoked_at.is_none() => Actor {
                    name: d.name.clone(),
                    account: Account::Device {
                        id: d.id,
                        name: d.name,
                        session: s.id,
                    },
                },
                _ => return Ok(None),
            },
        };
        Ok(Some(Resolved {
            actor,
            expires_at: Some(s.expires_at),
            by_cookie: false,
        }))
    }

    /// Revokes the chosen sessions and announces them. Blocking.
    pub fn revoke(&self, which: Sessions) -> AuthResult<Vec<i64>> {
        let ids = self.store.revoke_sessions(which, now_s())?;
        self.announce(ids.iter().copied().map(Revoked::Session));
        Ok(ids)
    }

    /// Ends the sessions whose time is up (announced like revocations),
    /// announces what another process revoked ([`Auth::poll_revocations`])
    /// and forgets recovered rate-limit keys. Blocking.
    pub fn sweep(&self) -> AuthResult<Vec<i64>> {
        self.limits.forget_idle();
        let ended = self.revoke(Sessions::ExpiredBy(now_s()))?;
        self.poll_revocations()?;
        Ok(ended)
    }

    /// Deletes the sessions and keys that ended more than
    /// [`ENDED_RETAIN_DAYS`] ago; returns how many of each. Blocking.
    pub fn prune_ended(&self) -> AuthResult<(u64, u64)> {
        Ok(self
            .store
            .prune_ended(now_s() - ENDED_RETAIN_DAYS * 86_400)?)
    }

    /// Pairs a wall device with its one-use code from `from`: a long-lived
    /// device session. Unknown, expired or spent codes are
    /// [`AuthError::BadCredentials`]. Blocking.
    ///
    /// A failed attempt counts towards voiding every open code
    /// ([`limit::Limits::pairing_failed`]): after 20 failures within a
    /// code's lifetime no code can be guessed any further; the admin draws
    /// new ones.
    pub fn pair(&self, code: &str, from: IpAddr) -> AuthResult<NewSession> {
        self.limits.pairing(from).map_err(AuthError::RateLimited)?;
        let code = code.trim();
        let device = if code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()) {
            self.store.pair_device(&token::digest(code), now_s())?
        } else {
            None
        };
        let Some(device) = device else {
            if self.limits.pairing_failed() {
                let voided = self.store.void_pairing_codes(now_s())?;
                tracing::warn!(
                    voided,
                    "too many failed pairings: every open pairing code is void; draw new ones"
                );
                self.journal(
                    &Actor::system("server"),
                    "device.codes_voided",
                    "devices",
                    "internal",
                    format!("{voided} open pairing codes voided after repeated failed pairings"),
                );
            }
            return Err(AuthError::BadCredentials);
        };
        self.start_session(Subject::Device(device.id), DEVICE_SESSION)
    }
}

/// Runs [`Auth::sweep`] every `every`, and [`Auth::prune_ended`] once a
/// day (the first an hour after start), until the runtime stops.
pub async fn sweep_task(auth: Arc<Auth>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let day = Duration::from_secs(86_400);
    let mut next_prune = tokio::time::Instant::now() + Duration::from_secs(3600);
    loop {
        tick.tick().await;
        if tokio::time::Instant::now() >= next_prune {
            next_prune += day;
            let a = auth.clone();
            match crate::blocking::run(move || a.prune_ended()).await {
                Ok((sessions, keys)) => {
                    tracing::info!(
                        sessions,
                        keys,
                        "pruned sessions and keys that ended long ago"
                    )
                }
                Err(e) => tracing::warn!(error = %e, "pruning ended sessions and keys failed"),
            }
        }
        let a = auth.clone();
        match crate::blocking::run(move || a.sweep()).await {
            Ok(ids) if !ids.is_empty() => {
                tracing::info!(sessions = ids.len(), "expired sessions ended")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "session sweep failed"),
        }
    }
}
