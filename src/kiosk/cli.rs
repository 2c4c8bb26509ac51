//! The kiosk's admin command line (SPEC.md "Kiosk command line"): flags and
//! glue. The work is done by `import`, `attendance`, `summary` and `render`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::attendance::{read_range, Attendance};
use crate::domain::config::{default_config_text, Config, Language};
use crate::domain::model::{PunchOwner, PunchSource};
use crate::domain::render;
use crate::domain::rules::Verdict;
use crate::domain::summary;
use crate::domain::time::{parse_date, parse_time, rfc3339, Instant};
use crate::kiosk::import::{self, PunchFormat};
use crate::kiosk::store::{Store, StoreError, VoidTarget, DB_FILE};

#[derive(Parser, Debug)]
#[command(name = "dutyclock", version, about = "Attendance kiosk: punches, rules and discipline summaries")]
pub struct Cli {
    /// The data directory (database and config.toml).
    #[arg(long, global = true, env = "DUTYCLOCK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The config file (default DIR/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// The format of `template`.
pub use crate::files::template::Format as TemplateFormat;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the data directory, a commented config.toml and the database.
    Init {
        /// kiosk_id to write into the new config (default: the host name).
        #[arg(long)]
        kiosk_id: Option<String>,
        /// A unit this kiosk serves (repeatable).
        #[arg(long = "unit")]
        units: Vec<String>,
    },
    /// Staff and their cards.
    #[command(subcommand)]
    Staff(ImportOnly),
    /// The holiday calendar (holiday-cn JSON, one year).
    #[command(subcommand)]
    Calendar(ImportOnly),
    /// The 值班 roster.
    #[command(subcommand)]
    Roster(ImportOnly),
    /// Leave and duty (请假, 公出, 出差).
    #[command(subcommand)]
    Leave(ImportOrVoid),
    /// Punches.
    #[command(subcommand)]
    Punches(PunchesCmd),
    /// Spot checks (查岗).
    #[command(subcommand)]
    Spotcheck(ImportOrVoid),
    /// Corrections (补卡).
    #[command(subcommand)]
    Correction(CorrectionCmd),
    /// The day's discipline summary.
    Summary {
        #[arg(long)]
        date: String,
        #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
        format: SummaryFormat,
    },
    /// Per-person totals over a period (--to inclusive).
    Report {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// An empty import file of KIND with its header (xlsx: and a sheet
    /// explaining each column, lists for the fixed values).
    Template {
        #[arg(value_enum)]
        kind: crate::files::template::Kind,
        #[arg(long, value_enum, default_value_t = TemplateFormat::Csv)]
        format: TemplateFormat,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The kiosk: reader, live events, day closing (and the touchscreen).
    Run {
        /// Demo staff, a simulated reader and a throw-away data directory.
        #[arg(long)]
        demo: bool,
        /// No screen: live events as JSON lines on stdout.
        #[arg(long)]
        headless: bool,
    },
    /// Check the database and its record chain.
    Verify,
    /// Rebuild the database of a kiosk whose SD card was lost, from the
    /// central server's copy of its records (the data directory holds its
    /// config.toml with [central] and a token from `kiosk token ID`).
    Restore {
        /// From the central server (the one source there is).
        #[arg(long)]
        from_central: bool,
    },
    /// Sync with the central server.
    #[command(subcommand)]
    Sync(SyncCmd),
    /// The screen on a Raspberry Pi.
    #[command(subcommand)]
    Display(DisplayCmd),
}

#[derive(Subcommand, Debug)]
pub enum DisplayCmd {
    /// The udev rule that turns the touch with [display] rotation (the
    /// kiosk's unit writes it to /run/udev/rules.d at every start).
    TouchRule {
        /// Write the rule here (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Waiting revisions, refusals, last success, last error, clock offset.
    Status,
    /// Send everything waiting now.
    Now {
        /// Send the record chain again after its refusal was dealt with
        /// (`sync status` shows it).
        #[arg(long)]
        records_again: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportOnly {
    Import { file: PathBuf },
}

#[derive(Args, Debug)]
pub struct VoidArgs {
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub by: String,
}

/// Records that are imported and voided by id: leave (销假) and spot checks.
#[derive(Subcommand, Debug)]
pub enum ImportOrVoid {
    Import {
        file: PathBuf,
    },
    /// Revoke a record by its id (a leave record: 销假).
    Void {
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        why: VoidArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum PunchesCmd {
    Import {
        file: PathBuf,
        #[arg(long, value_enum)]
        format: Option<PunchFileFormat>,
    },
    /// The day's punches with ids and flags.
    List {
        #[arg(long)]
        date: String,
        #[arg(long)]
        staff: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum CorrectionCmd {
    /// Add a punch (补卡).
    Add {
        #[arg(long)]
        staff: String,
        #[arg(long)]
        at: String,
        #[command(flatten)]
        why: VoidArgs,
    },
    /// Void a punch.
    Void {
        #[arg(long)]
        punch: i64,
        #[command(flatten)]
        why: VoidArgs,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryFormat {
    Json,
    Table,
    Csv,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Csv,
    Xlsx,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PunchFileFormat {
    Csv,
    Attlog,
}

/// A command's failure, with the exit code SPEC.md gives it.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage or bad input: exit 2, nothing stored.
    Input(String),
    /// A failure at run time (database, disk): exit 1.
    Runtime(String),
    /// `verify` found problems: exit 1.
    Verify(Vec<String>),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotInitialised(_) | StoreError::AlreadyExists(_) | StoreError::Invalid(_) => {
                Failure::Input(e.to_string())
            }
            _ => Failure::Runtime(e.to_string()),
        }
    }
}

impl From<import::Error> for Failure {
    fn from(e: import::Error) -> Self {
        match e {
            import::Error::Input(i) => Failure::Input(i.to_string()),
            import::Error::Store(s) => s.into(),
        }
    }
}

type Outcome = Result<(), Failure>;

fn input<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, Failure> {
    r.map_err(|e| Failure::Input(e.to_string()))
}

/// The default data directory: `/var/lib/dutyclock` when installed (the
/// binary lives under `/usr`), `./dutyclock-data` otherwise.
fn default_data_dir() -> PathBuf {
    let installed = std::env::current_exe().is_ok_and(|p| p.starts_with("/usr"));
    if installed {
        PathBuf::from("/var/lib/dutyclock")
    } else {
        PathBuf::from("dutyclock-data")
    }
}

/// The paths a command works on.
pub struct Paths {
    pub dir: PathBuf,
    pub config: PathBuf,
    pub db: PathBuf,
}

impl Paths {
    pub fn new(cli: &Cli) -> Paths {
        let dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
        let config = cli.config.clone().unwrap_or_else(|| dir.join("config.toml"));
        let db = dir.join(DB_FILE);
        Paths { dir, config, db }
    }

    /// Opens an initialised data directory: the database, then the config.
    pub fn open(&self) -> Result<(Store, Config), Failure> {
        if !self.db.is_file() {
            return Err(Failure::Input(format!(
                "{} has no dutyclock database: run dutyclock init first",
                self.dir.display()
            )));
        }
        let mut store = Store::open(&self.db).map_err(|e| match e {
            // A disk that is full or read-only says so, with the database.
            StoreError::Sqlite(_) => Failure::Runtime(format!("{}: {}", self.db.display(), e.for_the_door(&self.db))),
            e => e.into(),
        })?;
        let mut config = input(Config::load(&self.config))?;
        crate::kiosk::master::use_server_rules(&mut config, &store)?;
        store.pin_legacy_leave(&config)?;
        Ok((store, config))
    }
}

/// Writes a file whole: its folder made if missing (`/run/udev/rules.d`
/// is not there on a fresh boot), the text written beside it and renamed
/// over it, so a reader never sees half a file.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn now() -> Instant {
    chrono::Utc::now().timestamp_millis()
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let paths = Paths::new(&cli);
    let mut stdout = std::io::stdout().lock();
    let result = dispatch(cli.command, &paths, &mut stdout);
    drop(stdout);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("{m}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(m)) => {
            eprintln!("dutyclock: {m}");
            ExitCode::from(1)
        }
        Err(Failure::Verify(problems)) => {
            for p in problems {
                eprintln!("verify: {p}");
            }
            ExitCode::from(1)
        }
    }
}

fn io(e: std::io::Error) -> Failure {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Failure::Runtime("output closed".into());
    }
    Failure::Runtime(format!("write: {e}"))
}

/// Refuses an import of master data on a kiosk that takes it from the
/// server (`[central] master = true`), naming the server: two places
/// keeping the same people would disagree.
fn kept_here(config: &Config, what: &str) -> Result<(), Failure> {
    match config.central.as_ref().filter(|c| c.master) {
        Some(c) => Err(Failure::Input(format!(
            "this kiosk's {what} is kept at the central server {} ([central] master = true in the config): \
             import it there (dutyclock-central {what} import FILE); the kiosk takes it within 30 s",
            c.url
        ))),
        None => Ok(()),
    }
}

fn dispatch(cmd: Command, paths: &Paths, out: &mut dyn Write) -> Outcome {
    match cmd {
        Command::Init { kiosk_id, units } => init(paths, kiosk_id, units, out),
        Command::Staff(ImportOnly::Import { file }) => {
            let (mut store, config) = paths.open()?;
            kept_here(&config, "staff")?;
            let o = import::staff(&mut store, &config, &file, now())?;
            report_import(out, &file, "staff", &o, false)
        }
        Command::Calendar(ImportOnly::Import { file }) => {
            let (mut store, config) = paths.open()?;
            kept_here(&config, "calendar")?;
            let o = import::calendar(&mut store, &file, now())?;
            for n in &o.notes {
                writeln!(out, "{n}").map_err(io)?;
            }
            Ok(())
        }
        Command::Roster(ImportOnly::Import { file }) => {
            let (mut store, config) = paths.open()?;
            kept_here(&config, "roster")?;
            let o = import::roster(&mut store, &config, &file, now())?;
            report_import(out, &file, "roster sessions", &o, false)
        }
        Command::Leave(ImportOrVoid::Import { file }) => {
            let (mut store, config) = paths.open()?;
            kept_here(&config, "leave")?;
            let o = import::leave(&mut store, &config, &file, now())?;
            report_import(out, &file, "leave records", &o, true)
        }
        Command::Leave(ImportOrVoid::Void { id, why }) => void(paths, VoidTarget::Leave, id, why, out),
        Command::Punches(PunchesCmd::Import { file, format }) => {
            let (mut store, config) = paths.open()?;
            let format = format.map(|f| match f {
                PunchFileFormat::Csv => PunchFormat::Csv,
                PunchFileFormat::Attlog => PunchFormat::Attlog,
            });
            let o = import::punches(&mut store, &config, &file, format, true, now())?;
            report_import(out, &file, "punches", &o, true)
        }
        Command::Punches(PunchesCmd::List { date, staff }) => list_punches(paths, &date, staff.as_deref(), out),
        Command::Spotcheck(ImportOrVoid::Import { file }) => {
            let (mut store, config) = paths.open()?;
            let o = import::spot_checks(&mut store, &config, &file, now())?;
            report_import(out, &file, "spot checks", &o, true)
        }
        Command::Spotcheck(ImportOrVoid::Void { id, why }) => void(paths, VoidTarget::SpotCheck, id, why, out),
        Command::Correction(CorrectionCmd::Add { staff, at, why }) => correction_add(paths, &staff, &at, why, out),
        Command::Correction(CorrectionCmd::Void { punch, why }) => void(paths, VoidTarget::Punch, punch, why, out),
        Command::Summary { date, format } => summary_cmd(paths, &date, format, out),
        Command::Report { from, to, unit, format, output } => {
            report_cmd(paths, &from, &to, unit.as_deref(), format, output.as_deref(), out)
        }
        Command::Template { kind, format, output } => template_cmd(paths, kind, format, output.as_deref(), out),
        Command::Run { demo, headless } => run_kiosk(paths, demo, headless, out),
        Command::Sync(cmd) => sync_cmd(paths, cmd, out),
        Command::Restore { from_central } => restore_cmd(paths, from_central, out),
        Command::Display(DisplayCmd::TouchRule { output }) => {
            let config = input(Config::load(&paths.config))?;
            let rule = crate::kiosk::display::touch_rule(config.display.rotation);
            match output {
                Some(f) => write_whole(&f, rule.as_bytes())
                    .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", f.display()))),
                None => out.write_all(rule.as_bytes()).map_err(io),
            }
        }
        Command::Verify => {
            let (store, _) = paths.open()?;
            let problems = store.verify()?;
            if problems.is_empty() {
                writeln!(out, "ok: {} (schema {})", store.path().display(), store.schema_version()?).map_err(io)?;
                Ok(())
            } else {
                Err(Failure::Verify(problems))
            }
        }
    }
}

#[cfg(feature = "kiosk")]
fn run_kiosk(paths: &Paths, demo: bool, headless: bool, out: &mut dyn Write) -> Outcome {
    let paths = if demo {
        let dir = crate::kiosk::demo::demo_dir().map_err(Failure::Runtime)?;
        eprintln!("demo: data in {} (type card ids, e.g. 4F68DD7CAD, then Enter)", dir.display());
        Paths { config: dir.join("config.toml"), db: dir.join(DB_FILE), dir }
    } else {
        Paths { dir: paths.dir.clone(), config: paths.config.clone(), db: paths.db.clone() }
    };
    let (store, config) = paths.open()?;
    // The picture's rotation for Slint's linuxkms backend (the touch turns
    // with it through the udev rule of `display touch-rule`, which the
    // kiosk's unit writes before it starts).
    // Set before any thread starts; an explicit SLINT_KMS_ROTATION wins.
    if config.display.rotation != 0 && std::env::var_os("SLINT_KMS_ROTATION").is_none() {
        std::env::set_var("SLINT_KMS_ROTATION", config.display.rotation.to_string());
    }
    if !headless {
        let display = ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
            // On the Pi the screen is DRM/KMS itself (the Pi build, or SLINT_BACKEND).
            || cfg!(feature = "pi")
            || std::env::var("SLINT_BACKEND").is_ok_and(|b| b.starts_with("linuxkms"));
        if !display {
            return Err(Failure::Runtime(
                "no display (DISPLAY and WAYLAND_DISPLAY are unset): run the kiosk with --headless, \
                 or start it from the touchscreen's session"
                    .into(),
            ));
        }
    }
    // The buzzer and LEDs, turned off for good when the kiosk is stopped.
    let door = crate::kiosk::door_feedback(&config);
    let off = || door.as_ref().map(|f| Box::new(f.off_for_good()) as crate::kiosk::stop::Step);
    crate::kiosk::stop::on_stop(off().into_iter().collect()).map_err(Failure::Runtime)?;
    let _off_at_exit = crate::kiosk::stop::OnExit(off());
    // Sync, after the stop's handler (a change of the district's schedules
    // stops the kiosk as SIGTERM does, to start again). The token must be
    // there and readable by its owner only, or the kiosk does not start (a
    // kiosk that cannot sync would pile up unseen).
    let sync = match &config.central {
        Some(_) => Some(crate::kiosk::sync::Worker::start(&config, paths.db.clone()).map_err(Failure::Input)?),
        None => None,
    };
    let door: Vec<_> = door.map(|f| f.listener()).into_iter().collect();
    if !headless {
        // The window lives as long as the process: the config does too.
        let config: &'static Config = Box::leak(Box::new(config));
        return crate::kiosk::ui::run_window(config, store, demo, sync, door).map_err(Failure::Runtime);
    }
    let mut listeners: Vec<_> = sync.map(|w| w.listener()).into_iter().collect();
    listeners.extend(door);
    crate::kiosk::run_headless(&config, store, out, listeners).map_err(Failure::Runtime)
}

fn sync_cmd(paths: &Paths, cmd: SyncCmd, out: &mut dyn Write) -> Outcome {
    let (mut store, config) = paths.open()?;
    let Some(central) = &config.central else {
        return Err(Failure::Input(format!("{} has no [central] url: nothing to sync with", paths.config.display())));
    };
    match cmd {
        SyncCmd::Status => {
            let (waiting, refused) = store.sync_counts()?;
            writeln!(out, "central: {}", central.url).map_err(io)?;
            writeln!(out, "waiting: {waiting} summary revisions").map_err(io)?;
            writeln!(out, "refused: {refused}").map_err(io)?;
            for (date, rev, status, detail) in store.sync_refusals()? {
                writeln!(out, "  {date} revision {rev}: {status} {detail}").map_err(io)?;
            }
            let length = store.chain_length()?;
            let sent: u64 = store.meta(crate::kiosk::sync::RECORDS_SENT_TO)?.and_then(|v| v.parse().ok()).unwrap_or(0);
            writeln!(out, "records: {sent} of {length} held by the server").map_err(io)?;
            if let Some(r) = store.meta(crate::kiosk::sync::RECORDS_REFUSED)? {
                writeln!(out, "records refused: {r}").map_err(io)?;
            }
            let rules_sent = store.meta(crate::kiosk::sync::RULES_SENT)?.unwrap_or_else(|| "none".into());
            let rules = store.meta("rules.version")?.unwrap_or_else(|| "none".into());
            writeln!(out, "rules: version {rules} declared, {rules_sent} taken by the server").map_err(io)?;
            if let Some(r) = store.meta(crate::kiosk::sync::RULES_REFUSED)? {
                writeln!(out, "rules refused: {r}").map_err(io)?;
            }
            writeln!(out, "clock: {}", clock_words(&store)?).map_err(io)?;
            if central.master {
                let version = store.meta(crate::kiosk::master::MASTER_VERSION)?.unwrap_or_else(|| "none".into());
                writeln!(out, "master: kept at the server, version {version} applied").map_err(io)?;
            }
            for key in ["sync.last_success", "sync.last_error", "sync.clock_offset_ms"] {
                writeln!(out, "{}: {}", &key[5..], store.meta(key)?.unwrap_or_else(|| "-".into())).map_err(io)?;
            }
            Ok(())
        }
        SyncCmd::Now { records_again } => {
            let client = crate::kiosk::sync::Client::new(&config, central).map_err(Failure::Input)?;
            if records_again {
                crate::kiosk::sync::records_again(&mut store)?;
            }
            if central.master {
                match crate::kiosk::master::pull(&mut store, &client, &config, now) {
                    Ok(p) => {
                        writeln!(
                            out,
                            "master: {} changes applied, {} punches of other doors stored",
                            p.changes, p.peer_punches
                        )
                        .map_err(io)?;
                        if p.rules_changed {
                            writeln!(
                                out,
                                "master: the district's schedules changed: a running kiosk starts again to take them"
                            )
                            .map_err(io)?;
                        }
                    }
                    Err(crate::kiosk::master::PullError::Store(e)) => return Err(e.into()),
                    Err(crate::kiosk::master::PullError::Server(e)) => {
                        return Err(Failure::Runtime(format!("sync stopped: {e}")))
                    }
                }
            }
            let p = crate::kiosk::sync::pass(&mut store, &client, now)?;
            let (waiting, _) = store.sync_counts()?;
            crate::kiosk::sync::remember(&mut store, &p, now())?;
            writeln!(out, "sent: {} acknowledged, {} refused; {waiting} waiting", p.acknowledged, p.refused)
                .map_err(io)?;
            writeln!(out, "records sent: {}", p.records_sent).map_err(io)?;
            if p.records_refused {
                writeln!(out, "records refused: see sync status; once dealt with, sync now --records-again")
                    .map_err(io)?;
            }
            match p.stopped {
                Some(e) => Err(Failure::Runtime(format!("sync stopped: {e}"))),
                None => Ok(()),
            }
        }
    }
}

/// Where this machine's time comes from, for `sync status` (another
/// process than the running kiosk: its clock is judged from the system's
/// and the last offset measured against the server).
fn clock_words(store: &Store) -> Result<String, Failure> {
    if crate::kiosk::clock::system_clock_synced() {
        return Ok("the system clock is synchronized".into());
    }
    Ok(match store.meta("sync.clock_offset_ms")?.and_then(|o| o.parse::<i64>().ok()) {
        Some(o) => format!(
            "the system clock is not synchronized: the running kiosk takes the server's time (last offset {o:+} ms)"
        ),
        None => "the system clock is not synchronized, and no server has answered yet: punches are flagged".into(),
    })
}

/// `restore --from-central`: the store rebuilt from the server's copy.
fn restore_cmd(paths: &Paths, from_central: bool, out: &mut dyn Write) -> Outcome {
    if !from_central {
        return Err(Failure::Input("restore needs --from-central (the one place a kiosk's records are kept)".into()));
    }
    let config = input(Config::load(&paths.config))?;
    let Some(central) = &config.central else {
        return Err(Failure::Input(format!(
            "{} has no [central] url: nothing to restore from",
            paths.config.display()
        )));
    };
    let client = crate::kiosk::sync::Client::new(&config, central).map_err(Failure::Input)?;
    let r = crate::kiosk::restore::from_central(&paths.config, &config, &client, &paths.db, now(), out)
        .map_err(Failure::Runtime)?;
    writeln!(out, "restored {} records into {}", r.records, paths.db.display()).map_err(io)?;
    if let Some(head) = &r.head {
        writeln!(out, "chain head: {head}").map_err(io)?;
    }
    match r.rules_version {
        Some(v) => {
            writeln!(out, "rules version {v}; calendar years: {}", r.calendar_years.join(", ")).map_err(io)?;
        }
        None => writeln!(out, "the server holds no rules for this kiosk: import the calendar again").map_err(io)?,
    }
    if r.schedules_written {
        writeln!(out, "the declared [schedules] were written into {}", paths.config.display()).map_err(io)?;
    }
    if let Some(beside) = &r.schedules_beside {
        writeln!(
            out,
            "{} has other [schedules] than the kiosk declared (or cannot be written): the declared ones are in {}; compare them",
            paths.config.display(),
            beside.display()
        )
        .map_err(io)?;
    }
    if let Some(problem) = &r.schedules_problem {
        writeln!(out, "the declared [schedules] could not be placed: {problem}").map_err(io)?;
    }
    if r.later_at_server > 0 {
        writeln!(
            out,
            "the server holds a later summary revision of {} day(s) than the records brought back (made just before the card failed): their next revisions are numbered after it",
            r.later_at_server
        )
        .map_err(io)?;
    }
    if r.revisions_unknown {
        writeln!(out, "the server does not say which summary revisions it holds (an older version): a correction of a recent day may be refused (409) until it is upgraded").map_err(io)?;
    }
    writeln!(out, "staff photos are not kept at the server: import the staff file's photos again if they were used")
        .map_err(io)?;
    Ok(())
}

#[cfg(not(feature = "kiosk"))]
fn run_kiosk(_: &Paths, _: bool, _: bool, _: &mut dyn Write) -> Outcome {
    Err(Failure::Input("this build has no kiosk (built without the kiosk feature)".into()))
}

fn init(paths: &Paths, kiosk_id: Option<String>, units: Vec<String>, out: &mut dyn Write) -> Outcome {
    if paths.dir.exists() && !paths.dir.is_dir() {
        return Err(Failure::Input(format!("{} exists and is not a directory", paths.dir.display())));
    }
    if paths.db.exists() {
        return Err(Failure::Input(format!("{} already exists: refusing to overwrite it", paths.db.display())));
    }
    if paths.config.exists() {
        return Err(Failure::Input(format!("{} already exists: refusing to overwrite it", paths.config.display())));
    }
    std::fs::create_dir_all(&paths.dir)
        .map_err(|e| Failure::Runtime(format!("cannot create {}: {e}", paths.dir.display())))?;
    let kiosk_id = kiosk_id.unwrap_or_else(|| {
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "kiosk-1".into())
    });
    let units = if units.is_empty() { vec!["本单位".to_string()] } else { units };
    let text = default_config_text(&kiosk_id, &units);
    // Check our own text before writing it, so init never leaves a bad config.
    input(Config::parse(&text, &paths.config))?;
    let store = Store::create(&paths.db)?;
    std::fs::write(&paths.config, text)
        .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", paths.config.display())))?;
    writeln!(out, "created {} and {}", paths.config.display(), store.path().display()).map_err(io)?;
    Ok(())
}

fn report_import(out: &mut dyn Write, file: &Path, what: &str, o: &import::Outcome, ids: bool) -> Outcome {
    let mut line = format!("{}: {} {what} added, {} already stored", file.display(), o.added, o.existing);
    if ids && !o.ids.is_empty() {
        let (lo, hi) = (o.ids.iter().min().copied().unwrap_or(0), o.ids.iter().max().copied().unwrap_or(0));
        let contiguous = (hi - lo + 1) as usize == o.ids.len();
        if contiguous && o.ids.len() > 3 {
            line.push_str(&format!(" (ids {lo}–{hi})"));
        } else {
            let list: Vec<String> = o.ids.iter().map(i64::to_string).collect();
            line.push_str(&format!(" (ids {})", list.join(", ")));
        }
    }
    writeln!(out, "{line}").map_err(io)?;
    for n in &o.notes {
        writeln!(out, "{n}").map_err(io)?;
    }
    Ok(())
}

/// `template KIND`: the header (CSV) or the workbook (XLSX); the language
/// and the leave kinds from the config when there is one.
fn template_cmd(
    paths: &Paths,
    kind: crate::files::template::Kind,
    format: TemplateFormat,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Outcome {
    let config = paths.config.is_file().then(|| input(Config::load(&paths.config))).transpose()?;
    let lang = config.as_ref().map_or(Language::ZhCn, |c| c.language);
    let kinds = crate::files::template::leave_kinds(
        config.iter().flat_map(|c| c.schedules.values().flat_map(|s| s.duty_kinds.clone())),
    );
    let bytes = crate::files::template::file(kind, format, lang, &kinds, crate::files::template::Importer::Kiosk)
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    match output {
        Some(f) => write_whole(f, &bytes).map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", f.display()))),
        // A workbook is not for a terminal; into a pipe or a file it is fine.
        None if format == TemplateFormat::Xlsx && std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            Err(Failure::Input("--format xlsx writes a workbook: give --output FILE.xlsx, or redirect it".into()))
        }
        None => out.write_all(&bytes).map_err(io),
    }
}

fn void(paths: &Paths, target: VoidTarget, id: i64, why: VoidArgs, out: &mut dyn Write) -> Outcome {
    if why.reason.trim().is_empty() || why.by.trim().is_empty() {
        return Err(Failure::Input("--reason and --by must not be empty".into()));
    }
    let (mut store, _) = paths.open()?;
    let mut w = store.writer()?;
    let void_id = w.void(target, id, why.reason.trim(), why.by.trim(), now())?;
    w.commit()?;
    writeln!(out, "voided {id} (void record {void_id})").map_err(io)?;
    Ok(())
}

fn correction_add(paths: &Paths, staff_no: &str, at: &str, why: VoidArgs, out: &mut dyn Write) -> Outcome {
    if why.reason.trim().is_empty() || why.by.trim().is_empty() {
        return Err(Failure::Input("--reason and --by must not be empty".into()));
    }
    let (mut store, config) = paths.open()?;
    let staff =
        store.staff_member(staff_no)?.ok_or_else(|| Failure::Input(format!("unknown staff number {staff_no:?}")))?;
    let tz = config.schedule(&staff.schedule).tz;
    let at = input(parse_time(at, tz).map_err(|m| format!("--at: {m}")))?;
    let mut w = store.writer()?;
    let r = w.add_punch(
        &PunchOwner::Staff(staff.staff_no.clone()),
        at,
        PunchSource::Correction,
        None,
        Some((why.reason.trim(), why.by.trim())),
        now(),
    )?;
    if !r.is_new() && w.is_voided(VoidTarget::Punch, r.id())? {
        return Err(Failure::Input(format!(
            "a correction for {} at {} was added and voided before (punch {}): it is not added again; \
             give another time",
            staff.staff_no,
            rfc3339(tz, at),
            r.id()
        )));
    }
    w.commit()?;
    if r.is_new() {
        writeln!(out, "added punch {} for {} at {}", r.id(), staff.staff_no, rfc3339(tz, at)).map_err(io)?;
    } else {
        writeln!(out, "already recorded: punch {} for {} at {}", r.id(), staff.staff_no, rfc3339(tz, at))
            .map_err(io)?;
    }
    Ok(())
}

fn date_arg(flag: &str, text: &str) -> Result<NaiveDate, Failure> {
    input(parse_date(text).map_err(|m| format!("--{flag}: {m}")))
}

fn warn_calendar(att: &Attendance<'_>, from: NaiveDate, to: NaiveDate) {
    let mut years: Vec<i32> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| !att.calendar_known(*d))
        .map(|d| chrono::Datelike::year(&d))
        .collect();
    years.dedup();
    for y in years {
        eprintln!(
            "warning: no holiday calendar imported for {y}: workdays are judged by weekday alone \
             (run dutyclock calendar import {y}.json)"
        );
    }
}

fn summary_cmd(paths: &Paths, date: &str, format: SummaryFormat, out: &mut dyn Write) -> Outcome {
    let date = date_arg("date", date)?;
    let (mut store, config) = paths.open()?;
    let s = crate::kiosk::closing::summary(&mut store, &config, date, now())?;
    if !s.calendar_known {
        eprintln!(
            "warning: no holiday calendar imported for {}: workdays are judged by weekday alone",
            chrono::Datelike::year(&date)
        );
    }
    match format {
        SummaryFormat::Json => {
            let text = serde_json::to_string_pretty(&s).map_err(|e| Failure::Runtime(e.to_string()))?;
            writeln!(out, "{text}").map_err(io)
        }
        SummaryFormat::Table => write!(out, "{}", render::summary_table(&s, config.language)).map_err(io),
        SummaryFormat::Csv => render::summary_csv(&s, out).map_err(|e| Failure::Runtime(e.to_string())),
    }
}

fn report_cmd(
    paths: &Paths,
    from: &str,
    to: &str,
    unit: Option<&str>,
    format: ReportFormat,
    output: Option<&Path>,
    out: &mut dyn Write,
) -> Outcome {
    let (from, to) = (date_arg("from", from)?, date_arg("to", to)?);
    if to < from {
        return Err(Failure::Input(format!("--to {to} is before --from {from}")));
    }
    if (to - from).num_days() > 366 {
        return Err(Failure::Input("a report covers at most 367 days".into()));
    }
    let (store, config) = paths.open()?;
    if let Some(u) = unit {
        if !config.units.iter().any(|x| x == u) {
            return Err(Failure::Input(format!(
                "--unit {u:?} is not one of this kiosk's units ({})",
                config.units.join(", ")
            )));
        }
    }
    if format == ReportFormat::Xlsx && output.is_none() {
        return Err(Failure::Input("--format xlsx needs --output FILE.xlsx".into()));
    }
    let (lo, hi) = read_range(&config, from, to);
    let snap = store.snapshot(lo, hi, (from, to))?;
    let att = Attendance::new(&config, snap, now());
    warn_calendar(&att, from, to);
    let r = summary::report(&att, from, to, unit);
    let bytes = match format {
        ReportFormat::Table => render::report_table(&r, config.language).into_bytes(),
        ReportFormat::Csv => {
            let mut buf = Vec::new();
            render::report_csv(&r, config.language, &mut buf).map_err(|e| Failure::Runtime(e.to_string()))?;
            buf
        }
        ReportFormat::Xlsx => render::report_xlsx(&r, config.language).map_err(|e| Failure::Runtime(e.to_string()))?,
    };
    match output {
        Some(path) => {
            std::fs::write(path, bytes)
                .map_err(|e| Failure::Runtime(format!("cannot write {}: {e}", path.display())))?;
            writeln!(out, "wrote {}", path.display()).map_err(io)
        }
        None => out.write_all(&bytes).map_err(io),
    }
}

fn list_punches(paths: &Paths, date: &str, staff: Option<&str>, out: &mut dyn Write) -> Outcome {
    let date = date_arg("date", date)?;
    let (store, config) = paths.open()?;
    if let Some(no) = staff {
        if store.staff_member(no)?.is_none() {
            return Err(Failure::Input(format!("unknown staff number {no:?}")));
        }
    }
    let (lo, hi) = read_range(&config, date, date);
    let snap = store.snapshot(lo, hi, (date, date))?;
    let att = Attendance::new(&config, snap, now());
    let tz = config.default_schedule().tz;
    let mut rows: Vec<(Instant, Vec<String>)> = Vec::new();
    let people: Vec<_> = match staff {
        Some(no) => att.staff_member(no).into_iter().collect(),
        None => att.all_staff().collect(),
    };
    let flags = |synced: Option<bool>, verdict: Option<Verdict>, added: bool| {
        let mut f = Vec::new();
        match verdict {
            Some(Verdict::Duplicate) => f.push("duplicate"),
            Some(Verdict::Voided) => f.push("voided"),
            _ => {}
        }
        if added {
            f.push("added");
        }
        if synced == Some(false) {
            f.push("clock-unsynced");
        }
        f.join(",")
    };
    for s in people {
        let day = att.day(s, date);
        for p in day.punches {
            let card = match &p.row.owner {
                PunchOwner::Card(c) => c.clone(),
                PunchOwner::Staff(_) => String::new(),
            };
            rows.push((
                p.row.at,
                vec![
                    p.row.id.to_string(),
                    rfc3339(day.schedule.tz, p.row.at),
                    s.staff_no.clone(),
                    s.name.clone(),
                    card,
                    p.row.source.as_str().into(),
                    flags(p.row.clock_synced, Some(p.verdict), p.added()),
                ],
            ));
        }
    }
    if staff.is_none() {
        for p in att.unknown_card_punches(date) {
            let card = match &p.owner {
                PunchOwner::Card(c) => c.clone(),
                PunchOwner::Staff(_) => String::new(),
            };
            rows.push((
                p.at,
                vec![
                    p.id.to_string(),
                    rfc3339(tz, p.at),
                    String::new(),
                    "(unknown card)".into(),
                    card,
                    p.source.as_str().into(),
                    flags(p.clock_synced, None, false),
                ],
            ));
        }
    }
    rows.sort_by_key(|(at, r)| (*at, r[0].parse::<i64>().unwrap_or(0)));
    let headers: Vec<String> =
        ["id", "at", "staff_no", "name", "card", "source", "flags"].iter().map(|s| s.to_string()).collect();
    let rows: Vec<Vec<String>> = rows.into_iter().map(|(_, r)| r).collect();
    write!(out, "{}", render::table(&headers, &rows)).map_err(io)?;
    Ok(())
}
