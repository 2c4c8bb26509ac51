//! `dutyclock-central`'s command line (SPEC "Central server command
//! line"): flags and glue. Exit codes as the kiosk's: 0 done, 1 a failure
//! at run time, 2 bad usage or bad input (nothing stored).

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use super::admin::{self, AdminError};
use super::api::{self, App};
use super::auth;
use super::clients::Proxies;
use super::listener::{self, Limits};
use super::master;
use super::postgres::Postgres;
use super::sqlite::Sqlite;
use super::storage::{Places, Role, Storage, StorageError, TOKEN_ID_LEN};
use crate::domain::time::{parse_date, Instant};

#[derive(Parser, Debug)]
#[command(name = "dutyclock-central", version, about = "dutyclock's central server: kiosks' summaries for the bureau")]
pub struct Cli {
    /// The data directory (the SQLite database, unless --database says otherwise).
    #[arg(long, global = true, env = "DUTYCLOCK_CENTRAL_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `postgres://user@host:port/db` for PostgreSQL (default: SQLite in DIR).
    #[arg(long, global = true, env = "DUTYCLOCK_CENTRAL_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// PostgreSQL: the connections this process holds at most. About
    /// twice the database machine's cores in all, shared among the server
    /// processes: work beyond them waits in the server, not in the
    /// database's scheduler.
    #[arg(
        long,
        global = true,
        env = "DUTYCLOCK_CENTRAL_DATABASE_CONNECTIONS",
        value_name = "N",
        default_value_t = 16,
        value_parser = clap::value_parser!(u16).range(1..=1000)
    )]
    pub database_connections: u16,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create DIR and the database (or the schema in PostgreSQL).
    Init,
    /// The HTTP(S) server.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8470")]
        listen: String,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// A reverse proxy whose `X-Forwarded-For` is believed (repeatable;
        /// loopback always is): sign-in limits then count the client's
        /// address, not the proxy's.
        #[arg(long = "trusted-proxy", value_name = "IP")]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// Open connections at most (lowered to fit the descriptor limit).
        #[arg(long, default_value_t = 1024)]
        max_connections: usize,
        /// Seconds a client has to finish its TLS handshake and to send a
        /// request's head, and that an idle kept-alive connection stays open.
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_timeout: u64,
    },
    /// Kiosks: register, list, revoke.
    #[command(subcommand)]
    Kiosk(KioskCmd),
    /// The district's units (SPEC "Master data").
    #[command(subcommand)]
    Unit(UnitCmd),
    /// The district's people (SPEC "Master data").
    #[command(subcommand)]
    Staff(StaffCmd),
    /// The holiday calendar every kiosk takes.
    #[command(subcommand)]
    Calendar(CalendarCmd),
    /// 值班 sessions (roster file) for the people's kiosks.
    #[command(subcommand)]
    Roster(DutyCmd),
    /// Leave and duty entered by the bureau (leave file).
    #[command(subcommand)]
    Leave(DutyCmd),
    /// The district's schedules (a TOML file of `[schedules.NAME]` tables,
    /// as in a kiosk's config.toml), for every kiosk with master = true.
    #[command(subcommand)]
    Rules(DutyCmd),
    /// People's accounts.
    #[command(subcommand)]
    User(UserCmd),
    /// An empty staff, roster or leave file with its header (the kiosk's
    /// templates; the leave kinds with the district's duty kinds).
    Template {
        #[arg(value_enum)]
        kind: crate::files::template::Kind,
        #[arg(long, value_enum, default_value_t = crate::files::template::Format::Csv)]
        format: crate::files::template::Format,
        /// Where to write it (default: stdout; a workbook needs a file or a pipe).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Logins, exports, kiosk and user changes.
    Audit {
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KioskCmd {
    /// Registers a kiosk and prints its token once (stored hashed).
    Add {
        id: String,
        /// A unit the kiosk is the home of (repeatable): it judges its
        /// days and sends their summaries.
        #[arg(long = "units", required_unless_present = "doors")]
        units: Vec<String>,
        /// A unit homed at another kiosk that this one is a door of
        /// (repeatable): its punches reach the unit's home kiosk.
        #[arg(long = "doors-for", value_name = "UNIT")]
        doors: Vec<String>,
        /// The kiosk's display name (正门, 侧门).
        #[arg(long)]
        name: Option<String>,
    },
    List,
    /// Cards enrolled at a kiosk that central had given to someone else
    /// (central's assignment won).
    Conflicts {
        id: Option<String>,
    },
    /// A new token for a registered kiosk (a lost token, or a revoked
    /// kiosk put back into service); the old token stops working.
    Token {
        id: String,
    },
    /// Revokes a kiosk's token: its uploads get 401.
    Revoke {
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UnitCmd {
    /// Adds a unit (under --parent, which must be known already).
    Add {
        name: String,
        #[arg(long)]
        parent: Option<String>,
    },
    /// Every unit: its parent, the kiosk in service that serves it, who
    /// added it when.
    List,
}

#[derive(Subcommand, Debug)]
pub enum StaffCmd {
    /// The kiosk's staff file (CSV in UTF-8 or GB18030, or .xlsx): all
    /// rows or none; kiosks with `master = true` take the changes.
    Import { file: PathBuf },
    /// The district's people as they stand: staff number, name, unit,
    /// role, schedule, active from/until.
    List {
        #[arg(long)]
        unit: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum DutyCmd {
    /// The kiosk's file of the same kind (CSV or .xlsx), all rows or none,
    /// for the people's units.
    Import { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum CalendarCmd {
    /// One year of holiday-cn JSON, replacing that year at every kiosk.
    Import { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Adds an account; the password is read from stdin.
    Add {
        name: String,
        #[arg(long)]
        role: String,
    },
    /// Prints a bearer token for scripts (stored hashed), working for
    /// --days days.
    Token {
        name: String,
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
        days: u32,
    },
    /// Lists NAME's script tokens: id, made, works until.
    Tokens { name: String },
    /// Revokes one of NAME's script tokens by its id (from `user tokens`).
    RevokeToken { name: String, id: String },
    /// A new password, read from stdin; unlocks the account and ends its
    /// sessions and script tokens (the way back in for a locked-out admin).
    Password { name: String },
    /// Clears an account's failed logins and lock.
    Unlock { name: String },
}

enum Failure {
    Input(String),
    Runtime(String),
}

impl From<StorageError> for Failure {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Exists(_) | StorageError::NotFound(_) | StorageError::Refused(_) => {
                Failure::Input(e.to_string())
            }
            StorageError::Db(m) => Failure::Runtime(m),
        }
    }
}

impl From<AdminError> for Failure {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Input(m) => Failure::Input(m),
            AdminError::Storage(e) => e.into(),
        }
    }
}

fn master_failure(e: master::MasterError) -> Failure {
    match e {
        master::MasterError::Import(e) => Failure::Input(e.to_string()),
        master::MasterError::Storage(e) => e.into(),
    }
}

/// A password from the first line of stdin.
fn password_from_stdin() -> Result<String, Failure> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| Failure::Input(format!("cannot read the password from stdin: {e}")))?;
    Ok(password.trim_end_matches(['\n', '\r']).to_string())
}

fn now() -> Instant {
    chrono::Utc::now().timestamp_millis()
}

fn default_data_dir() -> PathBuf {
    let installed = std::env::current_exe().is_ok_and(|p| p.starts_with("/usr"));
    PathBuf::from(if installed { "/var/lib/dutyclock-central" } else { "dutyclock-central-data" })
}

/// The database file in a data directory (SQLite).
pub const DB_FILE: &str = "central.sqlite3";

/// `--database` when it is a PostgreSQL URL.
fn postgres_url(cli: &Cli) -> Option<&str> {
    cli.database.as_deref().filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
}

/// Opens the storage: PostgreSQL when `--database` is a postgres URL,
/// else SQLite in DIR (`init` creates it; other commands refuse without it).
async fn storage(cli: &Cli, init: bool) -> Result<Arc<dyn Storage>, Failure> {
    if let Some(url) = postgres_url(cli) {
        let pg = Postgres::connect(url, usize::from(cli.database_connections))?;
        if init {
            pg.init().await?;
        } else if let Err(e) = pg.upgrade().await {
            // A database made by an earlier version is brought up to date
            // (SQLite does the same on every open); one never initialised
            // is said so, and a refused connection or certificate as it is.
            let hint =
                if e.to_string().contains("not initialised") { ": run dutyclock-central init first" } else { "" };
            return Err(Failure::Input(format!("{e}{hint}")));
        }
        return Ok(Arc::new(pg));
    }
    if let Some(other) = &cli.database {
        return Err(Failure::Input(format!("--database {other:?}: expected postgres://…, or none for SQLite in DIR")));
    }
    let dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let path = dir.join(DB_FILE);
    if init {
        std::fs::create_dir_all(&dir).map_err(|e| Failure::Runtime(format!("cannot create {}: {e}", dir.display())))?;
    } else if !path.is_file() {
        return Err(Failure::Input(format!("{} has no database: run dutyclock-central init first", dir.display())));
    }
    let sqlite = Sqlite::open(&path)?;
    if init {
        // Passwords' hashes, tokens' digests and everyone's days: readable
        // by the server's user only, with or without the Debian package.
        private(&dir, 0o700)?;
        private(&path, 0o600)?;
    }
    Ok(Arc::new(sqlite))
}

/// An instant as the district's RFC 3339 time.
fn stamp(t: Instant) -> String {
    crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, t)
}

/// Sets `path`'s permission bits.
fn private(path: &std::path::Path, mode: u32) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Failure::Runtime(format!("cannot make {} private: {e}", path.display())))
}

/// `template KIND`: the kiosk's template of a file central imports; the
/// leave kinds with the duty kinds of the district's schedules.
async fn template(
    cli: &Cli,
    kind: crate::files::template::Kind,
    format: crate::files::template::Format,
    output: Option<&std::path::Path>,
) -> Result<(), Failure> {
    use crate::files::template::{self as t, Format, Importer, Kind};
    if !Kind::AT_CENTRAL.contains(&kind) {
        return Err(Failure::Input(format!(
            "{}: imported at the kiosk (dutyclock template {0}); the server takes staff, roster and leave files",
            kind.word()
        )));
    }
    // Without a database yet (SQLite in DIR not made), the usual kinds;
    // a database given or found is read, and its failure said.
    let sqlite_missing =
        cli.database.is_none() && !cli.data_dir.clone().unwrap_or_else(default_data_dir).join(DB_FILE).is_file();
    let duty = match sqlite_missing {
        true => Vec::new(),
        false => master::duty_kinds(&*storage(cli, false).await?).await?,
    };
    let bytes = t::file(kind, format, crate::domain::config::Language::ZhCn, &t::leave_kinds(duty), Importer::Central)
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    match output {
        Some(f) => {
            std::fs::write(f, &bytes).map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", f.display())))
        }
        None if format == Format::Xlsx && std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            Err(Failure::Input("--format xlsx writes a workbook: give --output FILE.xlsx, or redirect it".into()))
        }
        None => std::io::stdout().write_all(&bytes).map_err(|e| Failure::Runtime(format!("output: {e}"))),
    }
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dutyclock-central: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let (reads, logins) = match (listener::lane("reads", 2, listener::LOW_PRIORITY), listener::lane("logins", 1, 5)) {
        (Ok(r), Ok(l)) => (r, l),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("dutyclock-central: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let lanes = listener::Lanes { reads: reads.handle().clone(), logins: logins.handle().clone() };
    let answer = rt.block_on(dispatch(&cli, lanes));
    drop((reads, logins));
    match answer {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("{m}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(m)) => {
            eprintln!("dutyclock-central: {m}");
            ExitCode::from(1)
        }
    }
}

fn out(text: impl std::fmt::Display) -> Result<(), Failure> {
    writeln!(std::io::stdout(), "{text}").map_err(|e| Failure::Runtime(format!("output: {e}")))
}

async fn dispatch(cli: &Cli, lanes: listener::Lanes) -> Result<(), Failure> {
    match &cli.command {
        Command::Init => {
            storage(cli, true).await?;
            out("database ready")
        }
        Command::Serve { listen, tls_cert, tls_key, trusted_proxies, max_connections, header_timeout } => {
            let addr: SocketAddr =
                listen.parse().map_err(|_| Failure::Input(format!("--listen {listen:?}: expected HOST:PORT")))?;
            let storage = storage(cli, false).await?;
            let limits = Limits {
                max_connections: listener::fit_to_descriptors(*max_connections),
                read_slots: match postgres_url(cli) {
                    Some(_) => listener::out_of_process_read_slots(),
                    None => listener::READ_SLOTS,
                },
                header_timeout: std::time::Duration::from_secs(*header_timeout),
                handshake_timeout: std::time::Duration::from_secs(*header_timeout),
            };
            let app = App::new(storage, tls_cert.is_some(), Proxies::new(trusted_proxies))
                .map_err(|e| Failure::Runtime(format!("cannot start the password checks: {e}")))?;
            serve(app, addr, tls_cert.clone().zip(tls_key.clone()), limits, lanes).await
        }
        Command::Kiosk(KioskCmd::Add { id, units, doors, name }) => {
            let places = Places { units, doors, name: name.as_deref() };
            admin::check_kiosk(id, &places)?;
            let s = storage(cli, false).await?;
            let token = admin::add_kiosk(&*s, "cli", id, &places, now()).await?;
            eprintln!("kiosk {id} registered; its token follows, shown once: put it in the kiosk's token_file");
            out(token)
        }
        Command::Kiosk(KioskCmd::List) => {
            let s = storage(cli, false).await?;
            let today = chrono::Utc::now().date_naive();
            for k in s.kiosks(today).await? {
                out(format!(
                    "{}\t{}\t{}\tlast seen {}\tlatest {}\tmissing {}\tchain {}",
                    k.id,
                    k.units.join(","),
                    if k.revoked { "revoked" } else { "active" },
                    k.last_seen.map_or("never".into(), |t| crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, t)),
                    k.latest.map_or("-".into(), |(d, r)| format!("{d} r{r}")),
                    k.missing_days.len(),
                    k.chain.as_str()
                ))?;
            }
            Ok(())
        }
        Command::Kiosk(KioskCmd::Conflicts { id }) => {
            let s = storage(cli, false).await?;
            for c in s.conflicts(id.as_deref()).await? {
                out(format!(
                    "{}\tcard {}\tenrolled to {} by {}\theld by {}\t{}",
                    c.kiosk_id,
                    c.card,
                    c.enrolled,
                    c.enrolled_by,
                    c.held_by,
                    crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, c.at)
                ))?;
            }
            Ok(())
        }
        Command::Template { kind, format, output } => template(cli, *kind, *format, output.as_deref()).await,
        Command::Staff(StaffCmd::Import { file }) => {
            let s = storage(cli, false).await?;
            let o = master::import_staff(&*s, file, true, "cli", now()).await.map_err(master_failure)?;
            for n in &o.notes {
                eprintln!("{n}");
            }
            out(format!("{} people changed, {} unchanged (version {})", o.changed, o.unchanged, o.version))
        }
        Command::Staff(StaffCmd::List { unit }) => {
            let s = storage(cli, false).await?;
            let units = unit.as_ref().map(|u| vec![u.clone()]);
            let stints = master::Stints::load(&*s, units.as_deref()).await?;
            for p in stints.all() {
                let day = |d: Option<chrono::NaiveDate>| d.map_or("-".to_string(), |d| d.to_string());
                out(format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    p.staff_no,
                    p.name,
                    p.unit,
                    p.role,
                    p.schedule,
                    day(p.active_from),
                    day(p.active_until)
                ))?;
            }
            Ok(())
        }
        Command::Roster(DutyCmd::Import { file })
        | Command::Leave(DutyCmd::Import { file })
        | Command::Rules(DutyCmd::Import { file }) => {
            let s = storage(cli, false).await?;
            let o = match &cli.command {
                Command::Roster(_) => master::import_roster(&*s, file, "cli", now()).await,
                Command::Rules(_) => master::import_rules(&*s, file, "cli", now()).await,
                _ => master::import_leave(&*s, file, "cli", now()).await,
            }
            .map_err(master_failure)?;
            for n in &o.notes {
                eprintln!("{n}");
            }
            out(format!("{} added, {} held already (version {})", o.changed, o.unchanged, o.version))
        }
        Command::Calendar(CalendarCmd::Import { file }) => {
            let s = storage(cli, false).await?;
            let o = master::import_calendar(&*s, file, "cli", now()).await.map_err(master_failure)?;
            for n in &o.notes {
                eprintln!("{n}");
            }
            out(format!("calendar: {} changed (version {})", o.changed, o.version))
        }
        Command::Unit(UnitCmd::Add { name, parent }) => {
            admin::check_unit(name, parent.as_deref())?;
            let s = storage(cli, false).await?;
            admin::add_unit(&*s, "cli", name, parent.as_deref(), now()).await?;
            out(format!("unit {name} added{}", parent.as_ref().map_or(String::new(), |p| format!(" under {p}"))))
        }
        Command::Unit(UnitCmd::List) => {
            let s = storage(cli, false).await?;
            let kiosks = s.kiosks(chrono::Utc::now().date_naive()).await?;
            for u in s.units().await? {
                let served: Vec<&str> =
                    kiosks.iter().filter(|k| !k.revoked && k.units.contains(&u.name)).map(|k| k.id.as_str()).collect();
                out(format!(
                    "{}\t{}\t{}\tadded by {} {}",
                    u.name,
                    u.parent.as_deref().unwrap_or("-"),
                    if served.is_empty() { "no kiosk".to_string() } else { served.join(",") },
                    u.added_by,
                    crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, u.added_at)
                ))?;
            }
            Ok(())
        }
        Command::Kiosk(KioskCmd::Token { id }) => {
            let s = storage(cli, false).await?;
            let token = admin::rekey_kiosk(&*s, "cli", id, now()).await?;
            eprintln!("kiosk {id} has a new token (the old one no longer works); shown once: put it in the kiosk's token_file");
            out(token)
        }
        Command::Kiosk(KioskCmd::Revoke { id }) => {
            let s = storage(cli, false).await?;
            admin::revoke_kiosk(&*s, "cli", id, now()).await?;
            out(format!("kiosk {id} revoked: its uploads now get 401"))
        }
        Command::User(UserCmd::Add { name, role }) => {
            let role = Role::parse(role)
                .ok_or_else(|| Failure::Input(format!("--role {role:?}: bureau, admin or inspector")))?;
            let password = password_from_stdin()?;
            admin::check_user(name, &password)?;
            let s = storage(cli, false).await?;
            admin::add_user(&*s, "cli", name, role, &password, now()).await?;
            out(format!("user {name} ({}) added", role.as_str()))
        }
        Command::User(UserCmd::Password { name }) => {
            let password = password_from_stdin()?;
            let s = storage(cli, false).await?;
            admin::set_password(&*s, "cli", name, &password, now()).await?;
            out(format!("user {name}: new password set; unlocked, sessions and tokens ended"))
        }
        Command::User(UserCmd::Unlock { name }) => {
            let s = storage(cli, false).await?;
            admin::unlock(&*s, "cli", name, now()).await?;
            out(format!("user {name} unlocked"))
        }
        Command::User(UserCmd::Token { name, days }) => {
            let s = storage(cli, false).await?;
            let token = auth::new_secret("dcu_");
            let digest = auth::digest(&token);
            let until = now() + i64::from(*days) * 86_400_000;
            s.add_user_token(name, &digest, now(), until).await?;
            let id = &digest[..TOKEN_ID_LEN];
            s.audit("cli", "user token", &format!("{name} {id} until {}", stamp(until)), now()).await?;
            eprintln!("a token for {name} follows, shown once: id {id}, works until {}", stamp(until));
            out(token)
        }
        Command::User(UserCmd::Tokens { name }) => {
            let s = storage(cli, false).await?;
            if s.user(name).await?.is_none() {
                return Err(Failure::Input(format!("no user {name}")));
            }
            let at = now();
            for t in s.user_tokens(name).await? {
                let state = if t.expires_at <= at { "\texpired" } else { "" };
                out(format!("{}\tmade {}\tuntil {}{state}", t.id, stamp(t.created_at), stamp(t.expires_at)))?;
            }
            Ok(())
        }
        Command::User(UserCmd::RevokeToken { name, id }) => {
            let s = storage(cli, false).await?;
            s.revoke_user_token(name, id).await?;
            s.audit("cli", "user token revoke", &format!("{name} {id}"), now()).await?;
            out(format!("token {id} of {name} revoked"))
        }
        Command::Audit { from, to } => {
            let day = |t: &Option<String>, flag: &str| -> Result<Option<chrono::NaiveDate>, Failure> {
                t.as_deref().map(|t| parse_date(t).map_err(|m| Failure::Input(format!("--{flag}: {m}")))).transpose()
            };
            let tz = chrono_tz::Asia::Shanghai;
            let start =
                |d: chrono::NaiveDate| crate::domain::time::local_to_instant(tz, d.and_time(chrono::NaiveTime::MIN));
            let lo = day(from, "from")?.map_or(Instant::MIN, start);
            let hi = day(to, "to")?.map_or(Instant::MAX, |d| start(d + chrono::Duration::days(1)));
            let s = storage(cli, false).await?;
            for a in s.audit_log(lo, hi).await? {
                out(format!("{}\t{}\t{}\t{}", crate::domain::time::rfc3339(tz, a.at), a.who, a.action, a.detail))?;
            }
            Ok(())
        }
    }
}

/// Serves until interrupted (Ctrl-C or SIGTERM), over TLS when given PEM files.
async fn serve(
    app: App,
    addr: SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
    limits: Limits,
    lanes: listener::Lanes,
) -> Result<(), Failure> {
    let storage = app.storage.clone();
    // This process among the servers sharing the database: the holder of
    // the background work it claims (see `Storage::claim_work`).
    let holder = format!("{} {}", std::process::id(), crate::central::auth::new_secret(""));
    tokio::spawn(app.rejudging.clone().run(storage.clone(), holder.clone()));
    let router = api::router(app);
    let acceptor = match tls {
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key).await.map_err(|e| {
                Failure::Input(format!("TLS: cannot use {} and {}: {e}", cert.display(), key.display()))
            })?;
            Some(tokio_rustls::TlsAcceptor::from(config.get_inner()))
        }
        None => None,
    };
    // Bound before it is said: a script waiting for the line finds the
    // port listening, and a port in use fails here, named.
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot listen on {addr}: {e}")))?;
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    eprintln!(
        "listening on {scheme}://{} (at most {} connections)",
        listener.local_addr().map_or(addr, |a| a),
        limits.max_connections
    );
    tokio::spawn(prune_every(storage.clone(), std::time::Duration::from_secs(600), holder.clone()));
    listener::serve(listener, acceptor, router, limits, lanes, shutdown()).await;
    // Stopped: its claims are given up, so a server started next (or
    // another one) takes the work at once instead of when they run out.
    if let Err(e) = storage.release_claims(&holder).await {
        eprintln!("giving up the background work's claims (they run out by themselves): {e}");
    }
    Ok(())
}

/// Deletes expired sessions and ended lockouts every `period` (and at
/// start when the last pruning's period is over), once between the
/// servers sharing the database: the server that claims the period's
/// pruning does it, the others find it claimed.
async fn prune_every(storage: Arc<dyn Storage>, period: std::time::Duration, holder: String) {
    let mut tick = tokio::time::interval(period);
    let period_ms = i64::try_from(period.as_millis()).unwrap_or(i64::MAX);
    loop {
        tick.tick().await;
        let at = now();
        match storage.claim_work("prune", &holder, at.saturating_add(period_ms), at).await {
            Ok(true) => {
                if let Err(e) = storage.prune(at).await {
                    eprintln!("pruning sessions: {e}");
                }
            }
            Ok(false) => {}
            Err(e) => eprintln!("pruning sessions: cannot claim the work: {e}"),
        }
    }
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => return ctrl_c.await.unwrap_or(()),
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
