//! Sync with the central server (SPEC "Sync"): every closed summary
//! revision not yet answered is sent, oldest date first, by a blocking
//! HTTPS client (ureq with rustls; a private CA from `ca_file`) on its own
//! thread, never on the scan path. The outbox is the store itself (the
//! summaries without a final answer in `sync_log`), so a restart or months
//! offline lose nothing. 201/200 are acknowledgements; 409, 403, 400 and
//! 413 are final refusals, recorded and shown, not sent again; anything
//! else (no route, 5xx, a refused token) is retried with exponential
//! backoff and jitter. The server's `Date` gives the clock offset.
//!
//! The decisions (`answer`, `backoff`) are pure and table-tested; the
//! worker thread wakes when a day closes (a [`Listener`] on the kiosk loop)
//! and at least every few minutes.
//!
//! Behind the summaries, the record chain itself goes (SPEC "Records"):
//! from where the server holds it (`sync.records_sent_to` in the store's
//! settings), a thousand records a call; a refusal (the server found a
//! record that does not follow) is kept in `sync.records_refused`, shown,
//! and stops the stream until someone looks.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::domain::chain::WireRecord;
use crate::domain::config::{CentralConfig, Config};
use crate::domain::time::Instant;
use crate::kiosk::live::Listener;
use crate::kiosk::live::LiveEvent;
use crate::kiosk::store::{Store, StoreError};

/// What an answer means for the summary sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 201 or 200: the server has it.
    Acknowledged,
    /// 409, 403, 400, 413: the server will not take it; recorded, shown,
    /// not sent again.
    Refused,
    /// Anything else (401, 5xx, …): stop this pass, try again later.
    RetryLater,
}

/// The meaning of an HTTP status for a summary upload.
pub fn answer(status: u16) -> Answer {
    match status {
        200 | 201 => Answer::Acknowledged,
        400 | 403 | 409 | 413 => Answer::Refused,
        _ => Answer::RetryLater,
    }
}

/// How long to wait after `failures` failed passes in a row: doubling from
/// 2 s to at most 5 minutes, times `jitter` (0.8 to 1.2, random) so that
/// a hundred kiosks coming back together do not all knock at once.
pub fn backoff(failures: u32, jitter: f64) -> Duration {
    let base = 2f64 * 2f64.powi(failures.min(20) as i32 - 1).max(0.5);
    Duration::from_secs_f64(base.min(300.0) * jitter.clamp(0.8, 1.2))
}

/// The sync state shown on the idle screen, the admin status and `sync status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub waiting: u64,
    pub refused: u64,
    pub last_success: Option<Instant>,
    pub last_error: Option<String>,
    /// Server time minus kiosk time, from the server's `Date` (ms).
    pub clock_offset_ms: Option<i64>,
    /// The server refused the record stream (kept until `sync now
    /// --records-again`): shown like a refused summary.
    pub records_refused: bool,
}

/// Reads the kiosk's token: the file must be a regular file owned by the
/// user the kiosk runs as, that nobody else can read or write (a token
/// readable by others could be used by anyone on the kiosk). The checks
/// are made on the opened file, so what is checked is what is read.
pub fn read_token(path: &Path) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let shown = path.display();
    let mut file = std::fs::File::open(path).map_err(|e| {
        format!("[central] token_file {shown}: {e} (put the token `dutyclock-central kiosk add` printed there)")
    })?;
    let meta = file.metadata().map_err(|e| format!("[central] token_file {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("[central] token_file {shown} is not a file"));
    }
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "[central] token_file {shown} can be read or written by others (mode {:o}): chmod 600 {shown}",
            mode & 0o777
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "[central] token_file {shown} belongs to uid {}, not to the kiosk's user (uid {me}): chown it",
            meta.uid()
        ));
    }
    let mut token = String::new();
    file.read_to_string(&mut token).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(format!("[central] token_file {shown} is empty"));
    }
    Ok(token)
}

/// An HTTPS client for one kiosk.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: String,
    kiosk_id: String,
}

/// The answer to one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// The server's error text, for refusals.
    pub detail: String,
    /// Server time minus ours, from its `Date` header.
    pub clock_offset_ms: Option<i64>,
}

impl Client {
    pub fn new(config: &Config, central: &CentralConfig) -> Result<Client, String> {
        let token = read_token(&central.token_file)?;
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(ca) = &central.ca_file {
            let pem = std::fs::read(ca).map_err(|e| format!("[central] ca_file {}: {e}", ca.display()))?;
            let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(format!("[central] ca_file {}: no certificate in it (PEM expected)", ca.display()));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .tls_config(tls.build())
            .build()
            .into();
        Ok(Client {
            agent,
            base: central.url.trim_end_matches('/').to_string(),
            token,
            kiosk_id: config.kiosk_id.clone(),
        })
    }

    /// Sends one summary; `Err` when the server could not be reached.
    pub fn put(&self, date: chrono::NaiveDate, body: &str) -> Result<Reply, String> {
        self.send(&format!("summaries/{date}"), body).map(|(reply, _)| reply)
    }

    /// Declares a version of the rules (the JSON the store keeps).
    pub fn put_rules(&self, body: &str) -> Result<Reply, String> {
        self.send("rules", body).map(|(reply, _)| reply)
    }

    /// Sends records of the chain from seq `from`; the reply and its JSON.
    pub fn put_records(&self, from: u64, records: &[WireRecord]) -> Result<(Reply, serde_json::Value), String> {
        let body = serde_json::json!({ "from": from, "records": records }).to_string();
        self.send("records", &body)
    }

    /// GETs the kiosk's `path` under `/api/v1/kiosks/{id}/` (with a query):
    /// the status and the body; `Err` when the server could not be reached.
    pub fn fetch(&self, path: &str) -> Result<(u16, String), String> {
        let (status, bytes) = self.fetch_bytes(path, 64 * 1024 * 1024)?;
        let text = String::from_utf8(bytes).map_err(|e| format!("{}: {path}: not UTF-8: {e}", self.base))?;
        Ok((status, text))
    }

    /// [`Client::fetch`] for a body that is not text (a photo), of at
    /// most `limit` bytes.
    pub fn fetch_bytes(&self, path: &str, limit: u64) -> Result<(u16, Vec<u8>), String> {
        let url = format!("{}/api/v1/kiosks/{}/{path}", self.base, self.kiosk_id);
        let mut resp = self
            .agent
            .get(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .call()
            .map_err(|e| format!("{}: {e}", self.base))?;
        let status = resp.status().as_u16();
        let bytes =
            resp.body_mut().with_config().limit(limit).read_to_vec().map_err(|e| format!("{}: {e}", self.base))?;
        Ok((status, bytes))
    }

    /// PUTs `body` to the kiosk's `path` under `/api/v1/kiosks/{id}/`.
    fn send(&self, path: &str, body: &str) -> Result<(Reply, serde_json::Value), String> {
        let url = format!("{}/api/v1/kiosks/{}/{path}", self.base, self.kiosk_id);
        let sent = chrono::Utc::now();
        let mut resp = self
            .agent
            .put(&url)
            .header("Authorization", &format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .header("Date", &sent.to_rfc2822())
            .send(body)
            .map_err(|e| format!("{}: {e}", self.base))?;
        let status = resp.status().as_u16();
        // The server stamped `Date` between our send and its answer: the
        // midpoint of the round trip is the best guess of our time then.
        let back = chrono::Utc::now();
        let midpoint = sent.timestamp_millis() + (back.timestamp_millis() - sent.timestamp_millis()) / 2;
        let clock_offset_ms = resp
            .headers()
            .get("date")
            .and_then(|d| d.to_str().ok())
            .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
            .map(|d| d.timestamp_millis() - midpoint);
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let json = serde_json::from_str::<serde_json::Value>(&text).unwrap_or(serde_json::Value::Null);
        let detail = (|| {
            let e = json.get("error")?.as_str()?.to_string();
            let f = json.get("field").and_then(|f| f.as_str()).unwrap_or("");
            Some(if f.is_empty() { e } else { format!("{e} ({f})") })
        })()
        .unwrap_or(text);
        Ok((Reply { status, detail, clock_offset_ms }, json))
    }
}

/// Records a call carries (the server takes at most 1,000).
const RECORDS_A_CALL: usize = 1_000;
/// About how many bytes of records a call carries (the server takes 1 MiB
/// a call, more only for a single record that is larger alone).
const RECORD_BYTES_A_CALL: usize = 768 * 1024;

/// The store's settings the record stream keeps: how far the server holds
/// the chain, and its refusal (shown; the stream stops until it is dealt
/// with).
pub const RECORDS_SENT_TO: &str = "sync.records_sent_to";
pub const RECORDS_REFUSED: &str = "sync.records_refused";

/// The store's setting for the newest rules version the server took.
pub const RULES_SENT: &str = "sync.rules_sent";
/// The store's setting for a rules version the server refused (shown by
/// `sync status`; the summaries that name it wait at the server).
pub const RULES_REFUSED: &str = "sync.rules_refused";

/// Declares to the server every version of the rules it has not taken,
/// oldest first, before the summaries that name them (a summary whose
/// rules have not arrived is only judged later, so nothing here holds the
/// summaries back). A refusal is kept (`sync.rules_refused`, shown by
/// `sync status`) and the later versions go on; the current version held
/// by the server with other content (a kiosk set up again under its id)
/// is numbered again past the server's and sent (summaries already made
/// under the old number may then be judged with the server's content); a server without
/// `…/rules` (404, 405: an older version) is asked again next pass, and
/// meanwhile gets the summaries without `rules_version` (an older server
/// refuses fields it does not know).
fn send_rules(store: &mut Store, client: &Client, out: &mut Pass) -> Result<(), StoreError> {
    send_rules_once(store, client, out, true)
}

fn send_rules_once(store: &mut Store, client: &Client, out: &mut Pass, may_renumber: bool) -> Result<(), StoreError> {
    let newest = store.meta("rules.version")?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let sent = store.meta(RULES_SENT)?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    for version in sent + 1..=newest {
        let Some(body) = store.meta(&format!("rules.declared.{version}"))? else { continue };
        let reply = match client.put_rules(&body) {
            Ok(r) => r,
            Err(e) => {
                out.stopped = Some(e);
                return Ok(());
            }
        };
        out.clock_offset_ms = reply.clock_offset_ms.or(out.clock_offset_ms);
        match reply.status {
            200 | 201 => {
                let mut w = store.writer()?;
                w.set_meta(RULES_SENT, &version.to_string())?;
                w.commit()?;
            }
            // An older server (none ever took rules from this kiosk: a 404
            // from a server that did is a passing fault, not its version).
            404 | 405 => {
                out.older_server = sent == 0;
                return Ok(());
            }
            // The server holds that number with other content (a kiosk
            // set up again under the same id): the current declaration
            // takes the next number the server has not used, and goes.
            409 if version == newest && may_renumber => {
                if let Some(next) = renumber(store, client, &body, newest)? {
                    eprintln!("sync: rules version {version} is another's at the server; declared again as {next}");
                    let mut w = store.writer()?;
                    w.set_meta(RULES_REFUSED, &format!("version {version}: {} {}", reply.status, reply.detail))?;
                    w.set_meta(RULES_SENT, &version.to_string())?;
                    w.commit()?;
                    return send_rules_once(store, client, out, false);
                }
                let mut w = store.writer()?;
                w.set_meta(RULES_REFUSED, &format!("version {version}: {} {}", reply.status, reply.detail))?;
                w.set_meta(RULES_SENT, &version.to_string())?;
                w.commit()?;
            }
            400 | 403 | 409 | 413 => {
                eprintln!("sync: rules version {version} refused ({}): {}", reply.status, reply.detail);
                let mut w = store.writer()?;
                w.set_meta(RULES_REFUSED, &format!("version {version}: {} {}", reply.status, reply.detail))?;
                w.set_meta(RULES_SENT, &version.to_string())?;
                w.commit()?;
            }
            _ => {
                out.stopped = Some(format!("rules: {} {}", reply.status, reply.detail));
                return Ok(());
            }
        }
    }
    Ok(())
}

/// The current declaration (`body`, version `newest`) numbered past the
/// server's latest version, kept as the kiosk's; `None` when the server's
/// latest cannot be read.
fn renumber(store: &mut Store, client: &Client, body: &str, newest: u64) -> Result<Option<u64>, StoreError> {
    let Ok((200, text)) = client.fetch("rules") else { return Ok(None) };
    let held = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v.get("version")?.as_u64());
    let (Some(held), Ok(mut declared)) = (held, serde_json::from_str::<serde_json::Value>(body)) else {
        return Ok(None);
    };
    let next = held.max(newest) + 1;
    declared["version"] = next.into();
    let mut w = store.writer()?;
    // A newer declaration made meanwhile (the command line closed a day
    // under changed rules) is left for the next pass, not overwritten.
    if w.meta("rules.version")? != Some(newest.to_string()) {
        return Ok(None);
    }
    w.set_meta("rules.version", &next.to_string())?;
    w.set_meta(&format!("rules.declared.{next}"), &declared.to_string())?;
    w.commit()?;
    Ok(Some(next))
}

/// Sends the records again after a refusal was dealt with (`sync now
/// --records-again`): the refusal is forgotten and the stream goes on from
/// where the server holds it.
pub fn records_again(store: &mut Store) -> Result<(), StoreError> {
    let mut w = store.writer()?;
    w.delete_meta(RECORDS_REFUSED)?;
    w.commit()
}

/// Sends the record chain from where the server holds it, in calls of at
/// most [`RECORDS_A_CALL`] records, until it holds all of it. A gap (the
/// server holds less than we thought: a server restored from a backup)
/// starts again where it says; a refusal is recorded and stops the stream.
fn send_records(store: &mut Store, client: &Client, out: &mut Pass) -> Result<(), StoreError> {
    if store.meta(RECORDS_REFUSED)?.is_some() {
        return Ok(());
    }
    let mut from = store.meta(RECORDS_SENT_TO)?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + 1;
    let mut gaps = 0;
    loop {
        let (batch, unreadable) = store.chain_records(from, RECORDS_A_CALL, RECORD_BYTES_A_CALL)?;
        if batch.is_empty() {
            if let Some(problem) = unreadable {
                eprintln!("sync: records: {problem}");
                let mut w = store.writer()?;
                w.set_meta(RECORDS_REFUSED, &problem)?;
                w.commit()?;
                out.records_refused = true;
            }
            return Ok(());
        }
        let last = batch.last().map_or(from, |r| r.seq);
        let (reply, json) = match client.put_records(from, &batch) {
            Ok(r) => r,
            Err(e) => {
                out.stopped = Some(e);
                return Ok(());
            }
        };
        out.clock_offset_ms = reply.clock_offset_ms.or(out.clock_offset_ms);
        let expected = json.get("expected").and_then(|e| e.as_u64());
        let stored_to = json.get("stored_to").and_then(|e| e.as_u64());
        match (reply.status, stored_to, expected) {
            (200, Some(to), _) => {
                // Never past what was sent: a server holding more (this
                // store restored from an older copy) is then asked about
                // the next records, which it checks against its own.
                let to = to.min(last);
                let mut w = store.writer()?;
                w.set_meta(RECORDS_SENT_TO, &to.to_string())?;
                w.commit()?;
                out.records_sent += batch.len();
                from = to + 1;
            }
            (409, _, Some(e)) if e >= 1 && e != from && gaps < 3 => {
                gaps += 1;
                from = e;
            }
            // A server that does not take records yet (an older version):
            // the summaries went; the records wait for its upgrade.
            (404 | 405, _, _) => return Ok(()),
            (400 | 409 | 413, _, None) => {
                eprintln!("sync: records from {from} refused ({}): {}", reply.status, reply.detail);
                let mut w = store.writer()?;
                w.set_meta(RECORDS_REFUSED, &format!("records from {from}: {} {}", reply.status, reply.detail))?;
                w.commit()?;
                out.records_refused = true;
                return Ok(());
            }
            _ => {
                out.stopped = Some(format!("records: {} {}", reply.status, reply.detail));
                return Ok(());
            }
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    pub acknowledged: usize,
    /// Records of the chain the server took in this pass.
    pub records_sent: usize,
    /// The record stream stopped on a refusal (kept in the store).
    pub records_refused: bool,
    pub refused: usize,
    /// Why the pass stopped early (the server unreachable, 5xx, 401).
    pub stopped: Option<String>,
    /// The server has no `…/rules` (an older version).
    pub older_server: bool,
    pub clock_offset_ms: Option<i64>,
}

/// Sends the outbox, oldest first, until it is empty or the server cannot
/// take more now. Every final answer is recorded before the next is sent.
/// One pass at a time per store: the running kiosk's worker and a `sync
/// now` from the command line take the same lock file beside the
/// database (`<db>.sync-lock`), so a revision is never in flight twice.
pub fn pass(store: &mut Store, client: &Client, now: impl Fn() -> Instant) -> Result<Pass, StoreError> {
    let lock_path = {
        let mut p = store.path().as_os_str().to_owned();
        p.push(".sync-lock");
        PathBuf::from(p)
    };
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StoreError::Invalid(format!("sync lock {}: {e}", lock_path.display())))?;
    lock.lock().map_err(|e| StoreError::Invalid(format!("sync lock {}: {e}", lock_path.display())))?;
    let mut out = Pass::default();
    send_rules(store, client, &mut out)?;
    if out.stopped.is_some() {
        return Ok(out);
    }
    loop {
        let batch = store.outbox(50)?;
        if batch.is_empty() {
            // The summaries first (the bureau's reports wait on them),
            // then the records behind them.
            send_records(store, client, &mut out)?;
            return Ok(out);
        }
        for (id, date, revision, content) in batch {
            let content = if out.older_server { without_rules_version(&content) } else { content };
            let reply = match client.put(date, &content) {
                Ok(r) => r,
                Err(e) => {
                    out.stopped = Some(e);
                    return Ok(out);
                }
            };
            out.clock_offset_ms = reply.clock_offset_ms.or(out.clock_offset_ms);
            match answer(reply.status) {
                Answer::Acknowledged => {
                    let mut w = store.writer()?;
                    w.record_sync(id, reply.status, "", now())?;
                    w.commit()?;
                    out.acknowledged += 1;
                }
                Answer::Refused => {
                    eprintln!("sync: {date} revision {revision} refused ({}): {}", reply.status, reply.detail);
                    let mut w = store.writer()?;
                    w.record_sync(id, reply.status, &reply.detail, now())?;
                    w.commit()?;
                    out.refused += 1;
                }
                Answer::RetryLater => {
                    out.stopped = Some(format!("{} {}", reply.status, reply.detail));
                    return Ok(out);
                }
            }
        }
    }
}

/// A summary as an older server takes it: without `rules_version`, which
/// it does not know (it refuses unknown fields); the stored summary keeps it.
fn without_rules_version(content: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(content) {
        Ok(mut v) if v.get("rules_version").is_some() => {
            if let Some(o) = v.as_object_mut() {
                o.shift_remove("rules_version");
            }
            v.to_string()
        }
        _ => content.to_string(),
    }
}

/// Keeps what a pass learned in the store's settings (`sync status` reads them).
pub fn remember(store: &mut Store, p: &Pass, now: Instant) -> Result<(), StoreError> {
    let mut w = store.writer()?;
    match &p.stopped {
        None => {
            w.set_meta("sync.last_success", &crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, now))?;
            // An error is news until the next pass that goes through.
            w.delete_meta("sync.last_error")?;
        }
        Some(e) => w.set_meta(
            "sync.last_error",
            &format!("{} {e}", crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, now)),
        )?,
    }
    if let Some(o) = p.clock_offset_ms {
        w.set_meta("sync.clock_offset_ms", &o.to_string())?;
    }
    w.commit()
}

/// The sync thread: sends when woken (a day closed) and at least every
/// `PERIOD`, backing off while the server cannot be reached.
pub struct Worker {
    wake: Sender<()>,
    /// Every punch wakes the worker too (a door's punches reach the unit's
    /// home kiosk through the server: sent at once, they wait only for the
    /// home's next pull).
    every_punch: bool,
    pub status: Arc<Mutex<Status>>,
}

/// How often the outbox is looked at without a wake (a `summary --date`
/// from the command line may have stored a revision).
const PERIOD: Duration = Duration::from_secs(300);

/// How often a kiosk with `[central] master = true` pulls its master data
/// and its doors' punches while the server answers (SPEC "Master data"):
/// `pull_interval_s`, 30 s unless set.
pub fn pull_period(config: &Config) -> Duration {
    Duration::from_secs(config.central.as_ref().map_or(30, |c| c.pull_interval_s))
}

impl Worker {
    /// Starts the thread; it opens its own connection to the store.
    pub fn start(config: &Config, db: PathBuf) -> Result<Worker, String> {
        let central = config.central.as_ref().ok_or("no [central] in the config")?;
        let client = Client::new(config, central)?;
        let status = Arc::new(Mutex::new(Status::default()));
        let (wake, rx) = mpsc::channel();
        let st = status.clone();
        let master = central.master.then(|| config.clone());
        // The district's schedules this process judges with: when the
        // store holds others after a pull (this thread's, or `sync now`'s
        // beside it), the kiosk starts again to take them.
        let rules_at_start = match central.master {
            true => Store::open(&db).and_then(|s| s.meta(super::master::MASTER_RULES)).map_err(|e| e.to_string())?,
            false => None,
        };
        std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || worker(client, db, rx, st, master.map(|c| (c, rules_at_start))))
            .map_err(|e| format!("cannot start the sync thread: {e}"))?;
        let _ = wake.send(());
        Ok(Worker { wake, status, every_punch: central.master })
    }

    /// The listener that wakes the worker when a day closes.
    pub fn listener(&self) -> Box<dyn Listener> {
        Box::new(Waker(self.wake.clone(), self.every_punch))
    }
}

struct Waker(Sender<()>, bool);

impl Listener for Waker {
    fn event(&mut self, e: &LiveEvent) {
        if matches!(e, LiveEvent::DayClosed { .. }) || (self.1 && matches!(e, LiveEvent::Punch { .. })) {
            let _ = self.0.send(());
        }
    }
}

fn now() -> Instant {
    chrono::Utc::now().timestamp_millis()
}

/// The sync thread's loop. `master`: the kiosk takes its master data
/// from the server (its schedules say which attendance day a card
/// assignment is made on and which zone a leave's times are in), with the
/// district's schedules it started with; it pulls before each pass, and
/// at least every `[central] pull_interval_s` (30 s unless set).
fn worker(
    client: Client,
    db: PathBuf,
    rx: Receiver<()>,
    status: Arc<Mutex<Status>>,
    master: Option<(Config, Option<String>)>,
) {
    let mut failures = 0u32;
    let mut wait = Duration::ZERO;
    loop {
        match rx.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Wakes that piled up while sending are one pass.
        while rx.try_recv().is_ok() {}
        let started = std::time::Instant::now();
        let result = Store::open(&db).and_then(|mut store| {
            let mut pulled = None;
            if let Some((config, rules_at_start)) = &master {
                match super::master::pull(&mut store, &client, config, now) {
                    Ok(p) => {
                        if p.changes > 0 || p.peer_punches > 0 {
                            eprintln!("sync: {} master changes, {} punches of other doors", p.changes, p.peer_punches);
                        }
                    }
                    // Said, and the pass goes on: what the kiosk has
                    // recorded still goes up.
                    Err(e) => pulled = Some(format!("master: {e}")),
                }
                // Schedules are read at start: when the store holds others
                // than this process began with (applied by this pull, a
                // failed one's earlier answer, or `sync now`), stop as for
                // SIGTERM, and systemd starts the kiosk again. Never a loop:
                // started again, the two agree.
                if store.meta(super::master::MASTER_RULES)? != *rules_at_start {
                    eprintln!("sync: the district's schedules changed: starting again to take them");
                    crate::kiosk::stop::restart();
                }
            }
            let mut p = pass(&mut store, &client, now)?;
            if p.stopped.is_none() {
                p.stopped = pulled;
            }
            remember(&mut store, &p, now())?;
            Ok((p, store.sync_counts()?, store.meta(RECORDS_REFUSED)?.is_some()))
        });
        let mut st = status.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok((p, (waiting, refused), records_refused)) => {
                // The server's clock, the kiosk's time source when its own
                // is not synchronized (see `clock`).
                if let Some(o) = p.clock_offset_ms {
                    crate::kiosk::clock::server_time_measured(o);
                }
                st.waiting = waiting;
                st.refused = refused;
                st.records_refused = records_refused;
                st.clock_offset_ms = p.clock_offset_ms.or(st.clock_offset_ms);
                match p.stopped {
                    None => {
                        failures = 0;
                        st.last_success = Some(now());
                        st.last_error = None;
                        // A pull every period from the last one's start: a
                        // door's punch waits at most that long at the server.
                        wait = match &master {
                            Some((config, _)) => pull_period(config).saturating_sub(started.elapsed()),
                            None => PERIOD,
                        };
                    }
                    Some(e) => {
                        failures += 1;
                        eprintln!("sync: {e} ({waiting} waiting; trying again later)");
                        st.last_error = Some(e);
                        wait = backoff(failures, 0.8 + 0.4 * rand_unit());
                    }
                }
            }
            Err(e) => {
                failures += 1;
                st.last_error = Some(format!("store: {e}"));
                wait = backoff(failures, 0.8 + 0.4 * rand_unit());
            }
        }
    }
}

/// A number in [0, 1) for the jitter (no need for a cryptographic source).
fn rand_unit() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        for (status, want) in [
            (201, Answer::Acknowledged),
            (200, Answer::Acknowledged),
            (409, Answer::Refused),
            (403, Answer::Refused),
            (400, Answer::Refused),
            (413, Answer::Refused),
            (401, Answer::RetryLater),
            (500, Answer::RetryLater),
            (503, Answer::RetryLater),
            (404, Answer::RetryLater),
        ] {
            assert_eq!(answer(status), want, "{status}");
        }
    }

    #[test]
    fn backoff_doubles_to_five_minutes_with_jitter() {
        assert_eq!(backoff(1, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(2, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(30, 1.0), Duration::from_secs(300));
        assert_eq!(backoff(30, 1.2), Duration::from_secs(360));
        assert!(backoff(4, 0.8) < backoff(4, 1.2));
        assert_eq!(backoff(4, 5.0), backoff(4, 1.2), "jitter is bounded");
    }

    #[test]
    fn a_token_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        std::fs::write(&p, "dck_abc\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_token(&p).unwrap_err();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_token(&p).unwrap(), "dck_abc");
        assert!(read_token(&dir.path().join("none")).unwrap_err().contains("token_file"));
    }
}
