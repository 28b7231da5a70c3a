//! The binary's account subcommands (part of `main.rs`'s crate, not the
//! library): `pingan-server user add|set|list` and `key add|list|revoke`,
//! on the store named by `--db`/`--data-dir`, through the same `Auth`
//! service as the admin API (a scope must be a subdistrict of the data
//! dir's grids, when it has them). A password comes from standard input
//! (`--password-stdin`, one line) or is drawn and printed once; a key is
//! printed once. Every change is journaled (the audit log) as `cli`.

use anyhow::{bail, Context};
use clap::Subcommand;
use pingan_model::access::{Permission, Role};
use pingan_server::auth::accounts::{UserIn, UserPatch};
use pingan_server::auth::{Auth, AuthConfig};
use pingan_server::intake::GridLocator;
use pingan_server::store::sqlite::SqliteStore;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, change or list users.
    #[command(subcommand)]
    User(UserCmd),
    /// Add, list or revoke API keys (machine clients such as sensor gateways).
    #[command(subcommand)]
    Key(KeyCmd),
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user (a random password is printed unless --password-stdin).
    Add {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
        /// Limit the user to one subdistrict (its name, e.g. 西乡街道).
        #[arg(long)]
        scope: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user; disabling it or changing its role, scope or password
    /// ends its sessions.
    Set {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        #[arg(long)]
        display_name: Option<String>,
        /// A subdistrict's name; "" removes the scope.
        #[arg(long)]
        scope: Option<String>,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
    },
    /// List the users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Add a key with exactly the given scopes (printed once): read and
    /// readings:write only (machine clients); it expires (365 days by default).
    Add {
        name: String,
        /// A permission the key holds (repeatable), e.g. readings:write.
        #[arg(long = "scope", required = true, value_parser = parse_permission)]
        scopes: Vec<Permission>,
        /// Days until the key expires (at most 730).
        #[arg(long, default_value_t = 365)]
        expires_days: u32,
    },
    /// List the keys (never the keys themselves).
    List,
    /// Revoke a key by its id.
    Revoke { id: i64 },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
        format!("{s:?} is not a role; one of {}", names.join(", "))
    })
}

fn parse_permission(s: &str) -> Result<Permission, String> {
    Permission::parse(s).ok_or_else(|| {
        let names: Vec<_> = Permission::ALL.iter().map(|p| p.name()).collect();
        format!("{s:?} is not a permission; one of {}", names.join(", "))
    })
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.is_empty() {
        bail!("standard input held no password");
    }
    Ok(pw)
}

/// Runs one subcommand on the store at `db`, with the subdistricts of
/// `data_dir`'s grids (if readable) as the valid scopes.
pub fn run(cmd: Command, db: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let store = SqliteStore::open(db).with_context(|| format!("opening {}", db.display()))?;
    let subdistricts = GridLocator::load(&data_dir.join("grids.geojson"))
        .map(|g| g.subdistricts())
        .unwrap_or_default();
    let config = AuthConfig {
        // The CLI never creates demo accounts.
        demo_accounts: false,
        subdistricts,
        ..AuthConfig::default()
    };
    let auth = Auth::open(Arc::new(store), config).context("opening the accounts")?;
    if let Some(created) = auth.bootstrap() {
        print!("{}", pingan_server::auth::bootstrap::describe(created));
    }
    // Changes are journaled as the command line's (the audit log and the log).
    let cli = pingan_server::store::Actor::system("cli");
    match cmd {
        Command::User(UserCmd::Add {
            username,
            role,
            display_name,
            scope,
            password_stdin,
        }) => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let u = auth.create_user(&UserIn {
                username,
                display_name,
                role,
                scope,
                password,
            })?;
            auth.journal(
                &cli,
                "user.create",
                format!("users/{}", u.username),
                "cli",
                format!("role {}", u.role),
            );
            println!("added user {} (id {}, role {})", u.username, u.id, u.role);
            if let Some(pw) = u.password {
                println!("password (shown once): {pw}");
            }
        }
        Command::User(UserCmd::Set {
            username,
            role,
            display_name,
            scope,
            password_stdin,
            disable,
            enable,
        }) => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            let disabled = if disable {
                Some(true)
            } else if enable {
                Some(false)
            } else {
                None
            };
            let patch = UserPatch {
                display_name,
                role,
                scope,
                password,
                disabled,
            };
            let u = auth.update_user(&username, &patch)?;
            auth.journal(
                &cli,
                "user.update",
                format!("users/{}", u.username),
                "cli",
                patch.summary(),
            );
            println!(
                "changed user {} (role {}{})",
                u.username,
                u.role,
                if u.disabled { ", disabled" } else { "" }
            );
        }
        Command::User(UserCmd::List) => {
            for u in auth.users()? {
                println!(
                    "{:<20} {:<9} {:<12} {}{}",
                    u.username,
                    u.role.name(),
                    u.scope.as_deref().unwrap_or("-"),
                    u.display_name,
                    if u.disabled { " (disabled)" } else { "" }
                );
            }
        }
        Command::Key(KeyCmd::Add {
            name,
            scopes,
            expires_days,
        }) => {
            let expires_at = pingan_server::clock::now_s() + i64::from(expires_days) * 86_400;
            let k = auth.create_key(&name, &scopes, Some(expires_at))?;
            auth.journal(
                &cli,
                "key.create",
                format!("keys/{}", k.id),
                "cli",
                k.name.clone(),
            );
            println!("added key {} (id {})", k.name, k.id);
            println!("key (shown once): {}", k.key);
        }
        Command::Key(KeyCmd::List) => {
            for k in auth.keys()? {
                let scopes: Vec<_> = k.scopes.iter().map(|p| p.name()).collect();
                println!(
                    "{:<5} {:<24} {:<30} {}",
                    k.id,
                    k.name,
                    scopes.join(","),
                    if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "live"
                    }
                );
            }
        }
        Command::Key(KeyCmd::Revoke { id }) => {
            auth.revoke_key(id)?;
            auth.journal(&cli, "key.revoke", format!("keys/{id}"), "cli", "");
            println!("revoked key {id}");
        }
    }
    Ok(())
}
