//! A real `dutyclock-central` process on 127.0.0.1, over SQLite in a
//! temporary directory or over a fresh database on the test PostgreSQL
//! server (`DUTYCLOCK_TEST_PG`, which `deploy/test.sh` starts). A test that
//! needs PostgreSQL and does not find it fails, saying so.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Both backends: every server test runs against each.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// The test PostgreSQL server's URL, or a failure that says what is missing.
pub fn pg_admin_url() -> String {
    std::env::var("DUTYCLOCK_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "this test needs PostgreSQL: set DUTYCLOCK_TEST_PG=postgres://… or run it through \
             `bash deploy/test.sh` (or `bash deploy/with-postgres.sh cargo test …`), which starts a throwaway cluster"
        )
    })
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// A fresh database on the test server, dropped with this value.
pub struct PgDb {
    admin: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub fn new() -> PgDb {
        let admin = pg_admin_url();
        let name = format!("t_{}_{}", std::process::id(), rand_suffix());
        runtime().block_on(async {
            let (c, conn) =
                tokio_postgres::connect(&admin, tokio_postgres::NoTls).await.expect("connect to the test PostgreSQL");
            tokio::spawn(conn);
            c.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
        });
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_string();
        let url = format!("{base}/{name}");
        PgDb { admin, name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        runtime().block_on(async move {
            if let Ok((c, conn)) = tokio_postgres::connect(&admin, tokio_postgres::NoTls).await {
                tokio::spawn(conn);
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            }
        });
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    h.finish()
}

/// A free port on 127.0.0.1, for a server started later (a kiosk's config
/// names it first). Picked below Linux's ephemeral range (32768–60999),
/// where no client connection of another test is given a local port in
/// the meantime, as one bound to port 0 could be.
/// No port is handed out twice in one test process (a server stopped and
/// started again keeps its own).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..1000 {
        let port = 20_000 + (rand_suffix() % 12_000) as u16;
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between 20000 and 32000");
}

/// A central server: its data directory or database, and its process when serving.
pub struct Central {
    pub backend: Backend,
    pub tmp: tempfile::TempDir,
    pg: Option<PgDb>,
    child: Option<Child>,
    pub port: u16,
    pub url: String,
    extra: Vec<String>,
    /// The server's soft and hard `RLIMIT_NOFILE`, when set.
    pub fd_limit: Option<u64>,
}

impl Central {
    /// `init` on a fresh SQLite directory or PostgreSQL database.
    pub fn new(backend: Backend) -> Central {
        let tmp = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres).then(PgDb::new);
        let port = free_port();
        let c = Central {
            backend,
            tmp,
            pg,
            child: None,
            port,
            url: format!("http://127.0.0.1:{port}"),
            extra: vec![],
            fd_limit: None,
        };
        c.ok(&["init"]);
        c
    }

    pub fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("central")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dutyclock-central"));
        cmd.env_remove("DUTYCLOCK_CENTRAL_DATABASE").env_remove("DUTYCLOCK_CENTRAL_DATA_DIR");
        cmd.env_remove("DUTYCLOCK_CENTRAL_DATABASE_CONNECTIONS");
        cmd.arg("--data-dir").arg(self.data_dir());
        if let Some(pg) = &self.pg {
            cmd.arg("--database").arg(&pg.url);
        }
        cmd
    }

    pub fn cli(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.cli(args, "");
        assert!(o.status.success(), "dutyclock-central {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    }

    /// Registers a kiosk; returns its token.
    pub fn kiosk(&self, id: &str, units: &[&str]) -> String {
        let mut args = vec!["kiosk", "add", id];
        for u in units {
            args.extend(["--units", u]);
        }
        self.ok(&args).trim().to_string()
    }

    /// The server's storage, opened beside it (a pool of 4 on PostgreSQL).
    pub fn storage(&self) -> std::sync::Arc<dyn dutyclock::central::storage::Storage> {
        match &self.pg {
            Some(pg) => std::sync::Arc::new(dutyclock::central::postgres::Postgres::connect(&pg.url, 4).unwrap()),
            None => std::sync::Arc::new(dutyclock::central::sqlite::Sqlite::open(&self.sqlite_path()).unwrap()),
        }
    }

    /// Registers many kiosks straight through the storage (the CLI, one
    /// process a kiosk, is tested elsewhere), kiosk `k{i:03}` serving the
    /// unit `{unit}{i}` (a unit is one kiosk's); returns their tokens.
    pub fn bulk_kiosks(&self, n: usize, unit: &str) -> Vec<String> {
        use dutyclock::central::auth;
        let storage = self.storage();
        runtime().block_on(async {
            let mut tokens = Vec::new();
            for i in 0..n {
                let t = auth::new_secret("dck_");
                storage.add_kiosk(&format!("k{i:03}"), &[format!("{unit}{i}")], &auth::digest(&t), 0).await.unwrap();
                tokens.push(t);
            }
            tokens
        })
    }

    /// Adds an account with a password; returns a user token.
    pub fn user(&self, name: &str, role: &str, password: &str) -> String {
        let o = self.cli(&["user", "add", name, "--role", role], &format!("{password}\n"));
        assert!(o.status.success(), "user add: {}", String::from_utf8_lossy(&o.stderr));
        self.ok(&["user", "token", name]).trim().to_string()
    }

    /// Serve with extra arguments (TLS) instead of plain HTTP.
    pub fn with_args(mut self, args: &[&str], scheme: &str) -> Central {
        self.extra = args.iter().map(|s| s.to_string()).collect();
        self.url = format!("{scheme}://127.0.0.1:{}", self.port);
        self
    }

    /// Starts serving on its port; returns when it listens.
    pub fn start(&mut self) {
        let listen = format!("127.0.0.1:{}", self.port);
        let mut cmd = self.command();
        cmd.args(["serve", "--listen", &listen]).args(&self.extra).stdout(Stdio::null()).stderr(Stdio::piped());
        if let Some(n) = self.fd_limit {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
            unsafe {
                cmd.pre_exec(move || {
                    let lim = libc::rlimit { rlim_cur: n, rlim_max: n };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        self.child = Some(listening(cmd));
    }

    /// Another `serve` process on the same database (PostgreSQL), on a
    /// port of its own: a second server behind a load balancer.
    pub fn another_server(&self) -> Server {
        let port = free_port();
        let mut cmd = self.command();
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")]).stdout(Stdio::null()).stderr(Stdio::piped());
        Server { child: listening(cmd), url: format!("http://127.0.0.1:{port}") }
    }

    /// The serving process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("serving").id()
    }

    /// The serving process's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Stops serving (the data stays).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The PostgreSQL database's URL, when on PostgreSQL.
    pub fn database_url(&self) -> Option<String> {
        self.pg.as_ref().map(|p| p.url.clone())
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir().join("central.sqlite3")
    }
}

/// Spawns a `serve` command (stderr piped) and returns once it listens.
fn listening(mut cmd: Command) -> Child {
    let mut child = cmd.spawn().unwrap();
    let err = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { return };
            if line.starts_with("listening on") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(20)).expect("the server listens");
    child
}

/// A further server process (see [`Central::another_server`]), stopped
/// when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An HTTP agent that hands back every status (no error for 4xx/5xx).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// A closed summary for `kiosk` and `date`, revision `rev`, with people
/// `(staff_no, name, unit, late_minutes)`.
pub fn summary(kiosk: &str, date: &str, rev: i64, people: &[(&str, &str, &str, u32)]) -> serde_json::Value {
    let people: Vec<serde_json::Value> = people
        .iter()
        .map(|(no, name, unit, late)| {
            serde_json::json!({
                "staff_no": no, "name": name, "unit": unit,
                "status": if *late > 0 { "exception" } else { "normal" },
                "late_minutes": late, "late_count": u32::from(*late > 0), "early_minutes": 0, "early_count": 0,
                "absent_sessions": 0, "absent_minutes": 0, "off_post_count": 0, "off_post_minutes": 0,
                "missing_punches": 0, "spot_check_absences": 0, "spot_checks_present": 0,
                "leave_minutes": 0, "duty_minutes": 0, "corrections": 0,
                "punches": ["08:29:00", "12:01:00", "14:25:00", "17:31:00"]
            })
        })
        .collect();
    serde_json::json!({
        "schema": "dutyclock.daily-summary/1", "kiosk_id": kiosk, "date": date, "revision": rev,
        "workday": true, "closed": true, "generated_at": "2026-11-27T04:00:02+08:00", "calendar_known": true,
        "clock_unsynced_punches": 0, "unknown_card_punches": 0,
        "totals": { "staff": people.len(), "expected": people.len(), "present": people.len(), "normal": 0,
                    "exception": 0, "absent": 0, "leave": 0, "duty": 0, "pending": 0, "rest": 0, "late_count": 0,
                    "early_count": 0, "absent_sessions": 0, "off_post_count": 0, "missing_punches": 0,
                    "spot_check_absences": 0 },
        "people": people
    })
}

/// PUT a body; returns (status, body text).
pub fn put(
    agent: &ureq::Agent,
    base: &str,
    kiosk: &str,
    date: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut req = agent.put(&format!("{base}/api/v1/kiosks/{kiosk}/summaries/{date}"));
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.send(body).unwrap();
    (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap_or_default())
}

/// GET with a bearer token; returns (status, body text).
pub fn get(agent: &ureq::Agent, url: &str, token: &str) -> (u16, String) {
    let mut resp = agent.get(url).header("Authorization", &format!("Bearer {token}")).call().unwrap();
    (resp.status().as_u16(), resp.body_mut().read_to_string().unwrap_or_default())
}

/// Rows in the server's summaries table (either backend).
pub fn stored_summaries(c: &Central) -> i64 {
    match &c.pg {
        Some(pg) => runtime().block_on(async {
            let (cl, conn) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            cl.query_one("SELECT count(*) FROM summaries", &[]).await.unwrap().get::<_, i64>(0)
        }),
        None => rusqlite::Connection::open(c.sqlite_path())
            .unwrap()
            .query_row("SELECT count(*) FROM summaries", [], |r| r.get(0))
            .unwrap(),
    }
}

/// Runs SQL statements straight on the server's database (either
/// backend): for tests that make a state an earlier version left.
pub fn sql(c: &Central, statements: &str) {
    match &c.pg {
        Some(pg) => runtime().block_on(async {
            let (cl, conn) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            cl.batch_execute(statements).await.unwrap();
        }),
        None => rusqlite::Connection::open(c.sqlite_path()).unwrap().execute_batch(statements).unwrap(),
    }
}

/// The rows of a query, each row's columns joined by tabs and rows by
/// newlines, straight from the server's database (either backend; the
/// columns must be text: cast in the query).
pub fn rows_text(c: &Central, query: &str) -> String {
    match &c.pg {
        Some(pg) => runtime().block_on(async {
            let (cl, conn) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let mut out = String::new();
            for m in cl.simple_query(query).await.unwrap() {
                if let tokio_postgres::SimpleQueryMessage::Row(r) = m {
                    let cols: Vec<&str> = (0..r.len()).map(|i| r.get(i).unwrap_or("NULL")).collect();
                    out.push_str(&cols.join("\t"));
                    out.push('\n');
                }
            }
            out
        }),
        None => {
            let db = rusqlite::Connection::open(c.sqlite_path()).unwrap();
            let mut stmt = db.prepare(query).unwrap();
            let n = stmt.column_count();
            let mut out = String::new();
            let mut rows = stmt.query([]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                let cols: Vec<String> =
                    (0..n).map(|i| r.get::<_, Option<String>>(i).unwrap().unwrap_or_else(|| "NULL".into())).collect();
                out.push_str(&cols.join("\t"));
                out.push('\n');
            }
            out
        }
    }
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Signs in through the login form; returns the session cookie (`name=value`).
pub fn sign_in(c: &Central, user: &str, password: &str) -> String {
    sign_in_at(&c.url, user, password)
}

/// [`sign_in`] at the server at `url`.
pub fn sign_in_at(url: &str, user: &str, password: &str) -> String {
    let a = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
    let mut form = a.get(&format!("{url}/login")).call().unwrap();
    let csrf_cookie =
        form.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string();
    let page = form.body_mut().read_to_string().unwrap();
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let ok = a
        .post(&format!("{url}/login"))
        .header("Cookie", &csrf_cookie)
        .send_form([("username", user), ("password", password), ("csrf", &csrf)])
        .unwrap();
    assert_eq!(ok.status().as_u16(), 303, "signed in");
    ok.headers().get("set-cookie").unwrap().to_str().unwrap().split(';').next().unwrap().to_string()
}

/// Percent-encodes every byte that is not unreserved (a path segment or a
/// query value as a browser would send it).
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
