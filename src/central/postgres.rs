//! The PostgreSQL backend (tokio-postgres with a deadpool pool): for a
//! province-sized deployment, where many kiosks upload at once and the
//! bureau reads large periods. Same schema and behaviour as `sqlite`; an
//! upload locks its kiosk's row, so two uploads of one kiosk never both
//! decide against the same stored revision.

use async_trait::async_trait;
use chrono::NaiveDate;
use deadpool_postgres::{Manager, Pool};
use tokio_postgres::NoTls;

use super::ingest;
use super::sqlite::{
    day_counts, figures_from, figures_of, rejudged_from, report_row, status_of, FIGURES, REJUDGED_COUNTS, UNJUDGED,
};
use super::storage::*;
use crate::domain::chain::{self, WireRecord};
use crate::domain::summary::{PersonSummary, ReportRow};
use crate::domain::time::Instant;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS kiosks (
    id              TEXT PRIMARY KEY,
    units           TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    revoked         BOOLEAN NOT NULL DEFAULT false,
    created_at      BIGINT NOT NULL,
    last_seen       BIGINT,
    clock_offset_ms BIGINT,
    chain_state     TEXT NOT NULL DEFAULT 'ok'
);
CREATE TABLE IF NOT EXISTS chain_points (
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    length   BIGINT NOT NULL,
    head     TEXT NOT NULL,
    made_at  BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, length, head)
);
CREATE TABLE IF NOT EXISTS summaries (
    kiosk_id    TEXT NOT NULL REFERENCES kiosks(id),
    date        TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    content     TEXT NOT NULL,
    content_key TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    latest      BOOLEAN NOT NULL,
    PRIMARY KEY (kiosk_id, date, revision)
);
CREATE INDEX IF NOT EXISTS summaries_latest_date ON summaries (date) WHERE latest;
CREATE TABLE IF NOT EXISTS summary_people (
    kiosk_id TEXT NOT NULL,
    date     TEXT NOT NULL,
    revision BIGINT NOT NULL,
    latest   BOOLEAN NOT NULL,
    staff_no TEXT NOT NULL,
    name     TEXT NOT NULL,
    unit     TEXT NOT NULL,
    status   TEXT NOT NULL,
    late_minutes BIGINT NOT NULL, late_count BIGINT NOT NULL,
    early_minutes BIGINT NOT NULL, early_count BIGINT NOT NULL,
    absent_sessions BIGINT NOT NULL, absent_minutes BIGINT NOT NULL,
    off_post_count BIGINT NOT NULL, off_post_minutes BIGINT NOT NULL,
    missing_punches BIGINT NOT NULL, spot_check_absences BIGINT NOT NULL,
    spot_checks_present BIGINT NOT NULL, leave_minutes BIGINT NOT NULL,
    duty_minutes BIGINT NOT NULL, corrections BIGINT NOT NULL,
    punches  TEXT NOT NULL,
    expected INTEGER NOT NULL,
    present  INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, date, revision, staff_no),
    FOREIGN KEY (kiosk_id, date, revision) REFERENCES summaries (kiosk_id, date, revision)
);
CREATE INDEX IF NOT EXISTS summary_people_latest ON summary_people (date, unit) WHERE latest;
CREATE INDEX IF NOT EXISTS summary_people_staff ON summary_people (staff_no, date);
-- Whose a person's day is: the first kiosk that reported them for the
-- date. Another kiosk naming them that date is refused (409).
CREATE TABLE IF NOT EXISTS person_days (
    date     TEXT NOT NULL,
    staff_no TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    PRIMARY KEY (date, staff_no)
);
-- Bytes of summaries each kiosk had stored on a day (its daily budget).
CREATE TABLE IF NOT EXISTS upload_budget (
    kiosk_id TEXT NOT NULL,
    day      TEXT NOT NULL,
    bytes    BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, day)
);
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failures      BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL
);
-- Wrong passwords by account and client address (users.failures and
-- users.locked_until are no longer used: a stranger's guesses must not
-- lock the account for its owner).
CREATE TABLE IF NOT EXISTS login_failures (
    user_name    TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    client       TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_name, client)
);
CREATE TABLE IF NOT EXISTS user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users(name),
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash    TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users(name),
    csrf       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id     BIGSERIAL PRIMARY KEY,
    at     BIGINT NOT NULL,
    who    TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
-- A kiosk's claims on a date, found without reading every kiosk's.
CREATE INDEX IF NOT EXISTS person_days_kiosk ON person_days (kiosk_id, date);
-- Every kiosk's record chain, verified as it arrived (SPEC "Records"):
-- the content is what the record's hash covers. Append-only.
CREATE TABLE IF NOT EXISTS chain_records (
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    seq      BIGINT NOT NULL,
    tbl      TEXT NOT NULL,
    row_id   BIGINT NOT NULL,
    content  TEXT NOT NULL,
    hash     TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
);
CREATE INDEX IF NOT EXISTS chain_records_tbl ON chain_records (kiosk_id, tbl, seq);
CREATE INDEX IF NOT EXISTS chain_punches_at ON chain_records (kiosk_id, ((content::jsonb ->> 2)::bigint))
    WHERE tbl = 'punches';
CREATE OR REPLACE FUNCTION chain_records_append_only() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'chain_records are append-only'; END $$;
DROP TRIGGER IF EXISTS chain_records_kept ON chain_records;
CREATE TRIGGER chain_records_kept BEFORE UPDATE OR DELETE ON chain_records
    FOR EACH ROW EXECUTE FUNCTION chain_records_append_only();
DROP TRIGGER IF EXISTS chain_records_not_truncated ON chain_records;
CREATE TRIGGER chain_records_not_truncated BEFORE TRUNCATE ON chain_records
    FOR EACH STATEMENT EXECUTE FUNCTION chain_records_append_only();
-- What each kiosk's rules read besides its records, by version, and each
-- received summary revision judged again (see the SQLite schema).
CREATE TABLE IF NOT EXISTS kiosk_rules (
    kiosk_id    TEXT NOT NULL REFERENCES kiosks(id),
    version     BIGINT NOT NULL,
    content     TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, version)
);
CREATE TABLE IF NOT EXISTS rejudged (
    kiosk_id  TEXT NOT NULL REFERENCES kiosks(id),
    date      TEXT NOT NULL,
    revision  BIGINT NOT NULL,
    state     TEXT NOT NULL,
    detail    TEXT NOT NULL,
    judged_at BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, date, revision)
);
-- Columns added since the tables were first made.
ALTER TABLE kiosks ADD COLUMN IF NOT EXISTS records_broken_at BIGINT;
ALTER TABLE user_tokens ADD COLUMN IF NOT EXISTS expires_at BIGINT;
ALTER TABLE login_failures ADD COLUMN IF NOT EXISTS updated_at BIGINT NOT NULL DEFAULT 0;
-- The schema's version: `upgrade` runs `init` only below SCHEMA_VERSION.
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"#;

/// A database from before `person_days`, sorted out (see `make_schema`).
const CLAIM_EARLIER_DAYS: &str = "
INSERT INTO person_days (date, staff_no, kiosk_id)
    SELECT DISTINCT ON (sp.date, sp.staff_no) sp.date, sp.staff_no, sp.kiosk_id
    FROM summary_people sp
    JOIN (SELECT p2.kiosk_id, p2.date, p2.staff_no, min(s2.received_at) AS first
          FROM summary_people p2
          JOIN summaries s2 ON s2.kiosk_id = p2.kiosk_id AND s2.date = p2.date AND s2.revision = p2.revision
          GROUP BY p2.kiosk_id, p2.date, p2.staff_no) s
        ON s.kiosk_id = sp.kiosk_id AND s.date = sp.date AND s.staff_no = sp.staff_no
    WHERE sp.latest
    ORDER BY sp.date, sp.staff_no, s.first, sp.kiosk_id;
UPDATE summary_people sp SET latest = false WHERE latest AND NOT EXISTS (
    SELECT 1 FROM person_days pd
    WHERE pd.date = sp.date AND pd.staff_no = sp.staff_no AND pd.kiosk_id = sp.kiosk_id);";

/// The advisory lock schema changes take turns on ("dutysche").
const SCHEMA_LOCK: i64 = 0x6475_7479_7363_6865;

/// The schema's version (0 before versions were kept).
async fn schema_version(c: &tokio_postgres::Client) -> Result<i32> {
    let versioned: bool =
        c.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[]).await.map_err(pg)?.get(0);
    if !versioned {
        return Ok(0);
    }
    Ok(c.query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[]).await.map_err(pg)?.get(0))
}

/// The schema's version. Raise it with every change to `SCHEMA` (a table,
/// a column, an index), which must be written so that running it again
/// on any older database brings that database up to date.
const SCHEMA_VERSION: i32 = 4;

fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Db(e.to_string())
}

fn pg(e: tokio_postgres::Error) -> StorageError {
    // The server's own message (e.g. "relation … does not exist").
    match e.as_db_error() {
        Some(d) => StorageError::Db(d.message().to_string()),
        None => StorageError::Db(with_causes(&e)),
    }
}

/// An error and what caused it ("error performing TLS handshake: invalid
/// peer certificate: UnknownIssuer"): the cause is what a person can act on.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

/// The PostgreSQL backend.
pub struct Postgres {
    pool: Pool,
}

impl Postgres {
    /// The latest person rows in `[from, to]` (of one unit, when given)
    /// that meet `condition` (SQL over `p.`), in `order`.
    async fn latest_days(
        &self,
        (from, to, unit): (NaiveDate, NaiveDate, Option<&str>),
        condition: &str,
        order: &str,
    ) -> Result<Vec<PersonDay>> {
        let sql = format!(
            "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
             FROM summary_people p JOIN summaries s USING (kiosk_id, date, revision)
             WHERE p.date >= $1 AND p.date <= $2 AND p.latest AND ($3::text IS NULL OR p.unit = $3) AND ({condition})
             ORDER BY {order}",
            person_columns("p.")
        );
        let rows = self.client().await?.query(&sql, &[&from.to_string(), &to.to_string(), &unit]).await.map_err(pg)?;
        rows.iter().map(person_day).collect()
    }

    /// Connects to `url` (`postgres://user@host:port/db`) with a pool of
    /// `size` connections.
    pub fn connect(url: &str, size: usize) -> Result<Postgres> {
        let (url, tls) = super::pgtls::split_url(url).map_err(|e| db(format!("bad database URL: {e}")))?;
        let mut cfg: tokio_postgres::Config = url.parse().map_err(|e| db(format!("bad database URL: {e}")))?;
        // PostgreSQL's JIT compiles a period report's aggregate (a few
        // hundred thousand rows, over its cost threshold) for longer than
        // it then saves: off for our sessions. Options in the URL are kept.
        let options = cfg.get_options().map_or_else(|| "-c jit=off".to_string(), |o| format!("{o} -c jit=off"));
        cfg.options(&options);
        let mgr = match super::pgtls::connector(&tls).map_err(|e| db(format!("database TLS: {e}")))? {
            None => Manager::new(cfg, NoTls),
            Some(connector) => {
                cfg.ssl_mode(match tls.mode {
                    super::pgtls::SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
                    _ => tokio_postgres::config::SslMode::Require,
                });
                Manager::new(cfg, connector)
            }
        };
        let pool = Pool::builder(mgr).max_size(size).build().map_err(db)?;
        Ok(Postgres { pool })
    }

    /// Brings a database made by an earlier version up to this schema
    /// (`init`), only when its version is older: the statements that
    /// change a schema need its owner and lock tables, and most starts
    /// need none of them.
    pub async fn upgrade(&self) -> Result<()> {
        let made: bool =
            self.client().await?.query_one("SELECT to_regclass('kiosks') IS NOT NULL", &[]).await.map_err(pg)?.get(0);
        if !made {
            return Err(db("the database is not initialised (it has no kiosks table)"));
        }
        self.make_schema(true).await
    }

    /// Makes or updates the schema in one transaction, under a session
    /// lock: processes started together (several servers, a server and a
    /// command) take turns, and the second finds the work done (when
    /// `only_if_older`) or does it again harmlessly.
    async fn make_schema(&self, only_if_older: bool) -> Result<()> {
        let mut c = self.client().await?;
        c.execute("SELECT pg_advisory_lock($1)", &[&SCHEMA_LOCK]).await.map_err(pg)?;
        let done = async {
            if only_if_older && schema_version(&c).await? >= SCHEMA_VERSION {
                return Ok(());
            }
            let tx = c.transaction().await.map_err(pg)?;
            tx.batch_execute(SCHEMA).await.map_err(pg)?;
            // Tokens from before tokens expired: 90 days from this upgrade.
            let until = chrono::Utc::now().timestamp_millis() + 90 * 86_400_000;
            tx.execute("UPDATE user_tokens SET expires_at = $1 WHERE expires_at IS NULL", &[&until])
                .await
                .map_err(pg)?;
            // A database from before `person_days`: each person's day is
            // the kiosk's that reported it first; another kiosk's row for
            // it is no longer read as the latest (it stays stored). Once:
            // while empty.
            tx.execute("LOCK TABLE person_days IN EXCLUSIVE MODE", &[]).await.map_err(pg)?;
            if tx.query_opt("SELECT 1 FROM person_days LIMIT 1", &[]).await.map_err(pg)?.is_none() {
                tx.batch_execute(CLAIM_EARLIER_DAYS).await.map_err(pg)?;
            }
            tx.execute("DELETE FROM schema_version", &[]).await.map_err(pg)?;
            tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&SCHEMA_VERSION]).await.map_err(pg)?;
            tx.commit().await.map_err(pg)
        }
        .await;
        // A connection that cannot say it let go of the lock is not given
        // back to the pool (it would hold the lock for its next user).
        if c.execute("SELECT pg_advisory_unlock($1)", &[&SCHEMA_LOCK]).await.is_err() {
            let _ = deadpool_postgres::Object::take(c);
        }
        done
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| db(format!("cannot reach PostgreSQL: {}", with_causes(&e))))
    }
}

/// `sql`'s statements prepared on `tx`'s connection: each is prepared
/// once per connection and then taken from its cache (no round trip).
async fn prepare_all<const N: usize>(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: [&str; N],
) -> Result<[tokio_postgres::Statement; N]> {
    let mut out = Vec::with_capacity(N);
    for s in sql {
        out.push(tx.prepare_cached(s).await.map_err(pg)?);
    }
    out.try_into().map_err(|_| db("a statement was not prepared"))
}

fn kiosk_from(r: &tokio_postgres::Row) -> KioskRow {
    let units: String = r.get(1);
    KioskRow {
        id: r.get(0),
        units: serde_json::from_str(&units).unwrap_or_default(),
        revoked: r.get(2),
        created_at: r.get(3),
        last_seen: r.get(4),
        clock_offset_ms: r.get(5),
        chain: ChainState::parse(r.get(6)),
        latest: None,
        missing_days: vec![],
        bytes_today: 0,
        records: ChainHeld {
            stored_to: r.get::<_, i64>(8) as u64,
            broken_at: r.get::<_, Option<i64>>(7).map(|n| n as u64),
        },
        rejudged: Rejudged::default(),
    }
}

/// Rows of `chain_records` (`seq, tbl, row_id, content, hash`) as wire records.
fn wire_records(rows: &[tokio_postgres::Row], kiosk_id: &str) -> Result<Vec<WireRecord>> {
    rows.iter()
        .map(|r| {
            let seq: i64 = r.get(0);
            WireRecord::from_stored(seq as u64, r.get(1), r.get(2), r.get(3), r.get(4))
                .ok_or_else(|| db(format!("held record {seq} of {kiosk_id} cannot be read back")))
        })
        .collect()
}

/// PostgreSQL's spelling of SQLite's query (`?1` → `$1`).
fn numbered(sql: &str) -> String {
    sql.replace("?1", "$1").replace("?2", "$2")
}

const KIOSK_COLUMNS: &str =
    "id, units, revoked, created_at, last_seen, clock_offset_ms, chain_state, records_broken_at, \
    (SELECT coalesce(max(c.seq), 0) FROM chain_records c WHERE c.kiosk_id = kiosks.id)";

fn user_from(r: &tokio_postgres::Row) -> UserRow {
    UserRow {
        name: r.get(0),
        role: Role::parse(r.get(1)).unwrap_or(Role::Bureau),
        password_hash: r.get(2),
        failures: r.get::<_, i64>(3) as u32,
        locked_until: r.get(4),
    }
}

fn person_columns(prefix: &str) -> String {
    let mut cols = vec!["staff_no", "name", "unit", "status"];
    cols.extend(FIGURES);
    cols.push("punches");
    cols.iter().map(|c| format!("{prefix}{c}")).collect::<Vec<_>>().join(", ")
}

/// The advisory lock that orders kiosk registrations and re-keyings (an
/// arbitrary constant: "dutyclock kiosks").
const KIOSK_CHANGES_LOCK: i64 = 0x6475_7479_6b69_6f73;

/// The kiosks in service other than `except`, with their units, read
/// after taking the kiosk-changes advisory lock until the transaction
/// ends: two registrations of one unit at once cannot both pass the check.
/// Not a table lock: uploads update their kiosk's row meanwhile, and a
/// table lock against them would deadlock a re-keying with its kiosk's
/// upload.
async fn active_kiosks(tx: &tokio_postgres::Transaction<'_>, except: &str) -> Result<Vec<(String, Vec<String>)>> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&KIOSK_CHANGES_LOCK]).await.map_err(pg)?;
    let rows = tx.query("SELECT id, units FROM kiosks WHERE NOT revoked AND id <> $1", &[&except]).await.map_err(pg)?;
    rows.iter().map(|r| Ok((r.get(0), serde_json::from_str(r.get::<_, &str>(1)).map_err(db)?))).collect()
}

/// A `PersonDay` from `kiosk_id, date, revision, received_at` and the
/// person's columns.
fn person_day(r: &tokio_postgres::Row) -> Result<PersonDay> {
    Ok(PersonDay {
        kiosk_id: r.get(0),
        date: date_of(r.get(1))?,
        revision: r.get(2),
        received_at: r.get(3),
        person: person_from(r, 4),
    })
}

fn person_from(r: &tokio_postgres::Row, at: usize) -> PersonSummary {
    let mut f = [0u32; 14];
    for (i, v) in f.iter_mut().enumerate() {
        *v = r.get::<_, i64>(at + 4 + i) as u32;
    }
    let punches: String = r.get(at + 18);
    PersonSummary {
        staff_no: r.get(at),
        name: r.get(at + 1),
        unit: r.get(at + 2),
        status: status_of(r.get(at + 3)),
        figures: figures_from(f),
        punches: serde_json::from_str(&punches).unwrap_or_default(),
    }
}

fn date_of(s: &str) -> Result<NaiveDate> {
    s.parse().map_err(|e| db(format!("stored date {s:?}: {e}")))
}

#[async_trait]
impl Storage for Postgres {
    async fn init(&self) -> Result<()> {
        self.make_schema(false).await
    }

    async fn add_kiosk(&self, id: &str, units: &[String], token_hash: &str, now: Instant) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        if let Some(refused) = unit_taken(&active_kiosks(&tx, id).await?, units) {
            return Err(refused);
        }
        let units = serde_json::to_string(units).map_err(db)?;
        let n = tx
            .execute(
                "INSERT INTO kiosks (id, units, token_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&id, &units, &token_hash, &now],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::Exists(format!("kiosk {id}")));
        }
        tx.commit().await.map_err(pg)
    }

    async fn set_kiosk_token(&self, id: &str, token_hash: &str) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let others = active_kiosks(&tx, id).await?;
        let Some(row) = tx.query_opt("SELECT units, revoked FROM kiosks WHERE id = $1", &[&id]).await.map_err(pg)?
        else {
            return Err(StorageError::NotFound(format!("no kiosk {id}")));
        };
        let units: Vec<String> = serde_json::from_str(row.get::<_, &str>(0)).map_err(db)?;
        if let Some(refused) = row.get::<_, bool>(1).then(|| unit_taken(&others, &units)).flatten() {
            return Err(refused);
        }
        tx.execute("UPDATE kiosks SET token_hash = $2, revoked = false WHERE id = $1", &[&id, &token_hash])
            .await
            .map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn revoke_kiosk(&self, id: &str) -> Result<()> {
        let n =
            self.client().await?.execute("UPDATE kiosks SET revoked = true WHERE id = $1", &[&id]).await.map_err(pg)?;
        if n == 0 {
            return Err(StorageError::NotFound(format!("no kiosk {id}")));
        }
        Ok(())
    }

    async fn kiosk_by_token(&self, token_hash: &str) -> Result<Option<KioskRow>> {
        let c = self.client().await?;
        let st =
            c.prepare_cached(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE token_hash = $1")).await.map_err(pg)?;
        let row = c.query_opt(&st, &[&token_hash]).await.map_err(pg)?;
        Ok(row.as_ref().map(kiosk_from))
    }

    async fn kiosks(&self, today: NaiveDate) -> Result<Vec<KioskRow>> {
        let c = self.client().await?;
        let mut kiosks: Vec<KioskRow> = c
            .query(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks ORDER BY id"), &[])
            .await
            .map_err(pg)?
            .iter()
            .map(kiosk_from)
            .collect();
        let stmt = c
            .prepare("SELECT date, revision FROM summaries WHERE kiosk_id = $1 AND latest ORDER BY date")
            .await
            .map_err(pg)?;
        let budget = c.prepare("SELECT bytes FROM upload_budget WHERE kiosk_id = $1 AND day = $2").await.map_err(pg)?;
        let counts = c.prepare(&numbered(REJUDGED_COUNTS)).await.map_err(pg)?;
        for k in &mut kiosks {
            let rows = c.query(&stmt, &[&k.id]).await.map_err(pg)?;
            let dates: Vec<(NaiveDate, i64)> =
                rows.iter().map(|r| Ok((date_of(r.get(0))?, r.get(1)))).collect::<Result<_>>()?;
            k.latest = dates.last().copied();
            let have: Vec<NaiveDate> = dates.iter().map(|(d, _)| *d).collect();
            k.missing_days = missing_days(&have, today.pred_opt().unwrap_or(today));
            k.bytes_today =
                c.query_opt(&budget, &[&k.id, &today.to_string()]).await.map_err(pg)?.map_or(0, |r| r.get(0));
            let r = c.query_one(&counts, &[&k.id]).await.map_err(pg)?;
            k.rejudged = rejudged_from(r.get(0), r.get(1), r.get(2), r.get(3));
        }
        Ok(kiosks)
    }

    async fn put_summary(&self, kiosk_id: &str, u: &Upload) -> Result<Put> {
        // Few round trips, each a pipelined batch (the futures of a
        // `try_join!` send their statements in order on their first poll,
        // and the server runs them in that order): an upload waits on the
        // network and a busy machine's scheduler once a batch, not once a
        // statement. Every statement is prepared once per connection.
        type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let date = u.summary.date.to_string();
        let day = budget_day(u.received_at);
        let stored_sql = [
            // One upload of a kiosk at a time: its row is the lock, taken
            // before anything is read.
            "SELECT 1 FROM kiosks WHERE id = $1 FOR UPDATE",
            "SELECT revision, content_key FROM summaries WHERE kiosk_id = $1 AND date = $2 AND latest",
            "SELECT count(*) FROM summaries WHERE kiosk_id = $1 AND date = $2",
            "SELECT bytes FROM upload_budget WHERE kiosk_id = $1 AND day = $2",
        ];
        let [lock, latest, count, budget] = prepare_all(&tx, stored_sql).await?;
        let (kiosk_date, kiosk_day) = ([&kiosk_id as Param, &date], [&kiosk_id as Param, &day]);
        let (_, stored, revisions, used) = futures_util::try_join!(
            tx.execute(&lock, &kiosk_date[..1]),
            tx.query_opt(&latest, &kiosk_date),
            tx.query_one(&count, &kiosk_date),
            tx.query_opt(&budget, &kiosk_day),
        )
        .map_err(pg)?;
        let stored = stored.map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)));
        let put = ingest::decide(stored.as_ref().map(|(r, k)| (*r, k.as_str())), u.summary.revision, &u.content_key);
        let seen_sql =
            "UPDATE kiosks SET last_seen = $2, clock_offset_ms = coalesce($3, clock_offset_ms) WHERE id = $1";
        if put != Put::Stored {
            let seen = tx.prepare_cached(seen_sql).await.map_err(pg)?;
            tx.execute(&seen, &[&kiosk_id, &u.received_at, &u.clock_offset_ms]).await.map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            return Ok(put);
        }
        // The limits first; a refusal returns before the commit, so the
        // transaction rolls back and nothing is written.
        if let Some(refused) = over_limits(revisions.get(0), used.map_or(0, |r| r.get(0)), u.json.len()) {
            return Ok(refused);
        }
        // Claim first, then look: a claim another kiosk's upload makes at
        // the same moment waits on the key, and is seen here once that
        // transaction commits. Claims are inserted in staff-number order
        // and the kiosk's claims this revision no longer names are given
        // up only after them, so an upload waits only on keys it takes in
        // order and on no key after giving one up: two kiosks' uploads
        // wait for each other, never deadlock.
        let claim_sql = [
            "INSERT INTO person_days (date, staff_no, kiosk_id)
             SELECT $1, n, $3 FROM unnest($2::text[]) n ORDER BY n
             ON CONFLICT DO NOTHING",
            "DELETE FROM person_days WHERE date = $1 AND kiosk_id = $3 AND staff_no <> ALL($2::text[])",
            "SELECT staff_no, kiosk_id FROM person_days WHERE date = $1 AND staff_no = ANY($2) AND kiosk_id <> $3",
        ];
        let [claim, give_up, others] = prepare_all(&tx, claim_sql).await?;
        let nos: Vec<&str> = u.summary.people.iter().map(|p| p.staff_no.as_str()).collect();
        let claims = [&date as Param, &nos, &kiosk_id];
        let (_, _, others) = futures_util::try_join!(
            tx.execute(&claim, &claims),
            tx.execute(&give_up, &claims),
            tx.query(&others, &claims),
        )
        .map_err(pg)?;
        if let Some((index, other)) = u.summary.people.iter().enumerate().find_map(|(i, p)| {
            others.iter().find(|r| r.get::<_, &str>(0) == p.staff_no).map(|r| (i, r.get::<_, String>(1)))
        }) {
            let staff_no = u.summary.people[index].staff_no.clone();
            return Ok(Put::Claimed { index, staff_no, kiosk: other });
        }

        // All the people in one statement, whatever their number.
        let ps = &u.summary.people;
        let col = |f: &dyn Fn(&PersonSummary) -> String| ps.iter().map(f).collect::<Vec<String>>();
        let (nos, names, units) = (col(&|p| p.staff_no.clone()), col(&|p| p.name.clone()), col(&|p| p.unit.clone()));
        let statuses = col(&|p| p.status.as_str().to_string());
        let punches = col(&|p| serde_json::to_string(&p.punches).unwrap_or_else(|_| "[]".into()));
        let figures: Vec<Vec<i64>> =
            (0..14).map(|i| ps.iter().map(|p| i64::from(figures_of(&p.figures)[i])).collect()).collect();
        let expected: Vec<i32> = ps.iter().map(|p| day_counts(p).0 as i32).collect();
        let present: Vec<i32> = ps.iter().map(|p| day_counts(p).1 as i32).collect();
        let mut values: Vec<Param> = vec![&kiosk_id, &date, &u.summary.revision, &nos, &names, &units, &statuses];
        values.extend(figures.iter().map(|v| v as Param));
        values.extend([&punches as Param, &expected as Param, &present as Param]);
        let arrays: Vec<String> = (4..=7)
            .map(|i| format!("${i}::text[]"))
            .chain((8..8 + 14).map(|i| format!("${i}::bigint[]")))
            .chain(["$22::text[]".to_string(), "$23::int[]".to_string(), "$24::int[]".to_string()])
            .collect();
        let people_sql = format!(
            "INSERT INTO summary_people (kiosk_id, date, revision, latest, {}, expected, present)
             SELECT $1, $2, $3, true, * FROM unnest({})",
            person_columns(""),
            arrays.join(", ")
        );
        let store_sql = [
            "INSERT INTO upload_budget (kiosk_id, day, bytes) VALUES ($1, $2, $3)
             ON CONFLICT (kiosk_id, day) DO UPDATE SET bytes = upload_budget.bytes + excluded.bytes",
            "UPDATE summaries SET latest = false WHERE kiosk_id = $1 AND date = $2",
            "UPDATE summary_people SET latest = false WHERE kiosk_id = $1 AND date = $2",
            "INSERT INTO summaries (kiosk_id, date, revision, content, content_key, received_at, latest)
             VALUES ($1, $2, $3, $4, $5, $6, true)",
            &people_sql,
            seen_sql,
            // A newly stored summary adds a point to the kiosk's record
            // chain (a resent one is not news): the points it contradicts
            // read first, then it is added.
            "SELECT length, head, made_at FROM chain_points WHERE kiosk_id = $1 AND \
             (length = $2 OR (made_at < $3 AND length > $2) OR (made_at > $3 AND length < $2)) LIMIT 4",
            "INSERT INTO chain_points (kiosk_id, length, head, made_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        ];
        let [spend, older, older_people, insert, insert_people, seen, points, add_point] =
            prepare_all(&tx, store_sql).await?;
        let chain = u.summary.chain_length.zip(u.summary.chain_head.as_ref()).map(|(l, h)| (l as i64, h));
        // The chain's points are read before this one is added (in the
        // batch's order); with no chain in the summary, neither is sent.
        let (read_points, add_point) = (
            async {
                match &chain {
                    Some((length, _)) => tx.query(&points, &[&kiosk_id, length, &u.generated_at]).await,
                    None => Ok(Vec::new()),
                }
            },
            async {
                match &chain {
                    Some((length, head)) => tx.execute(&add_point, &[&kiosk_id, length, head, &u.generated_at]).await,
                    None => Ok(0),
                }
            },
        );
        let bytes = u.json.len() as i64;
        let spent = [&kiosk_id as Param, &day, &bytes];
        let stored = [&kiosk_id as Param, &date, &u.summary.revision, &u.json, &u.content_key, &u.received_at];
        let seen_now = [&kiosk_id as Param, &u.received_at, &u.clock_offset_ms];
        let (_, _, _, _, _, _, seen_points, _) = futures_util::try_join!(
            tx.execute(&spend, &spent),
            tx.execute(&older, &kiosk_date),
            tx.execute(&older_people, &kiosk_date),
            tx.execute(&insert, &stored),
            tx.execute(&insert_people, &values),
            tx.execute(&seen, &seen_now),
            read_points,
            add_point,
        )
        .map_err(pg)?;
        if let Some((length, head)) = chain {
            let seen: Vec<(u64, String, Instant)> =
                seen_points.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get(1), r.get(2))).collect();
            let verdict = chain_verdict(&seen, length as u64, head, u.generated_at);
            if verdict != ChainState::Ok {
                let mark = tx.prepare_cached("UPDATE kiosks SET chain_state = $2 WHERE id = $1").await.map_err(pg)?;
                tx.execute(&mark, &[&kiosk_id, &verdict.as_str()]).await.map_err(pg)?;
            }
        }
        tx.commit().await.map_err(pg)?;
        Ok(put)
    }

    async fn put_records(&self, kiosk_id: &str, from: u64, records: &[Prepared], now: Instant) -> Result<RecordsPut> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // One call of a kiosk at a time: its row is the lock (and the
        // kiosk is seen, unless the call leaves a gap: that rolls back).
        tx.execute(
            "UPDATE kiosks SET last_seen = greatest(coalesce(last_seen, $2), $2) WHERE id = $1",
            &[&kiosk_id, &now],
        )
        .await
        .map_err(pg)?;
        let stored_to: i64 = tx
            .query_one("SELECT coalesce(max(seq), 0) FROM chain_records WHERE kiosk_id = $1", &[&kiosk_id])
            .await
            .map_err(pg)?
            .get(0);
        let stored_to = stored_to as u64;
        if from > stored_to + 1 {
            return Ok(RecordsPut::Gap { expected: stored_to + 1 });
        }
        let last = records.last().map_or(0, |r| r.seq);
        // The hash before the call and those of the records already held.
        let held: std::collections::HashMap<i64, String> = tx
            .query(
                "SELECT seq, hash FROM chain_records WHERE kiosk_id = $1 AND seq >= $2 AND seq <= $3",
                &[&kiosk_id, &(from as i64 - 1), &(last.min(stored_to).max(from - 1) as i64)],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let prev = match from {
            1 => chain::GENESIS,
            _ => held
                .get(&(from as i64 - 1))
                .and_then(|h| chain::parse_hex(h))
                .ok_or_else(|| db("a held record's hash is missing or not hex"))?,
        };
        let broken = match super::records::follow(prev, records) {
            Err(i) => Some(i),
            Ok(()) => records
                .iter()
                .enumerate()
                .take_while(|(_, r)| r.seq <= stored_to)
                .find_map(|(i, r)| (held.get(&(r.seq as i64)) != Some(&chain::hex(&r.hash))).then_some(i)),
        };
        if let Some(index) = broken {
            let seq = records[index].seq as i64;
            tx.execute(
                "UPDATE kiosks SET records_broken_at = least(coalesce(records_broken_at, $2), $2) WHERE id = $1",
                &[&kiosk_id, &seq],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            return Ok(RecordsPut::Broken { index, seq: seq as u64 });
        }
        let new: Vec<&Prepared> = records.iter().filter(|r| r.seq > stored_to).collect();
        let seqs: Vec<i64> = new.iter().map(|r| r.seq as i64).collect();
        let tables: Vec<&str> = new.iter().map(|r| r.table.as_str()).collect();
        let ids: Vec<i64> = new.iter().map(|r| r.row_id).collect();
        let contents: Vec<&str> = new.iter().map(|r| r.content.as_str()).collect();
        let hashes: Vec<String> = new.iter().map(|r| chain::hex(&r.hash)).collect();
        tx.execute(
            "INSERT INTO chain_records (kiosk_id, seq, tbl, row_id, content, hash)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[])",
            &[&kiosk_id, &seqs, &tables, &ids, &contents, &hashes],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(RecordsPut::Stored { stored_to: stored_to.max(last) })
    }

    async fn records(&self, kiosk_id: &str, from: u64, limit: usize) -> Result<Vec<WireRecord>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT seq, tbl, row_id, content, hash FROM chain_records WHERE kiosk_id = $1 AND seq >= $2
                 ORDER BY seq LIMIT $3",
                &[&kiosk_id, &(from as i64), &(limit as i64)],
            )
            .await
            .map_err(pg)?;
        wire_records(&rows, kiosk_id)
    }

    async fn period_records(&self, kiosk_id: &str, from: Instant, to: Instant, before: u64) -> Result<Vec<WireRecord>> {
        let sql = super::records::period_records_sql(super::records::postgres_at, ["$1", "$2", "$3", "$4"], ["", ""]);
        let before = before.min(i64::MAX as u64) as i64;
        let rows = self.client().await?.query(&sql, &[&kiosk_id, &from, &to, &before]).await.map_err(pg)?;
        wire_records(&rows, kiosk_id)
    }

    async fn kiosk(&self, kiosk_id: &str) -> Result<Option<KioskRow>> {
        let row = self
            .client()
            .await?
            .query_opt(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE id = $1"), &[&kiosk_id])
            .await
            .map_err(pg)?;
        Ok(row.as_ref().map(kiosk_from))
    }

    async fn put_rules(&self, kiosk_id: &str, version: u64, content: &str, now: Instant) -> Result<bool> {
        let c = self.client().await?;
        let inserted = c
            .execute(
                "INSERT INTO kiosk_rules (kiosk_id, version, content, received_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kiosk_id, version) DO NOTHING",
                &[&kiosk_id, &(version as i64), &content, &now],
            )
            .await
            .map_err(pg)?;
        if inserted == 1 {
            return Ok(true);
        }
        let held: String = c
            .query_one(
                "SELECT content FROM kiosk_rules WHERE kiosk_id = $1 AND version = $2",
                &[&kiosk_id, &(version as i64)],
            )
            .await
            .map_err(pg)?
            .get(0);
        Ok(held == content)
    }

    async fn rules(&self, kiosk_id: &str, version: Option<u64>) -> Result<Option<(u64, String)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT version, content FROM kiosk_rules WHERE kiosk_id = $1 AND ($2::BIGINT IS NULL OR version = $2)
                 ORDER BY version DESC LIMIT 1",
                &[&kiosk_id, &version.map(|v| v as i64)],
            )
            .await
            .map_err(pg)?;
        Ok(row.map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    async fn unjudged(&self, kiosk_id: &str, limit: usize) -> Result<Vec<Unjudged>> {
        let rows = self.client().await?.query(&numbered(UNJUDGED), &[&kiosk_id, &(limit as i64)]).await.map_err(pg)?;
        rows.iter().map(|r| Ok((date_of(r.get(0))?, r.get(1), r.get(2)))).collect()
    }

    async fn put_verdicts(&self, kiosk_id: &str, verdicts: &[StoredVerdict]) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let put = tx
            .prepare_cached(
                "INSERT INTO rejudged (kiosk_id, date, revision, state, detail, judged_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (kiosk_id, date, revision) DO UPDATE
                 SET state = excluded.state, detail = excluded.detail, judged_at = excluded.judged_at
                 WHERE rejudged.state = 'waiting'",
            )
            .await
            .map_err(pg)?;
        for v in verdicts {
            tx.execute(
                &put,
                &[&kiosk_id, &v.date.to_string(), &v.revision, &v.state.as_str(), &v.detail, &v.judged_at],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }

    async fn held_revisions(&self, kiosk_id: &str) -> Result<Vec<(NaiveDate, i64)>> {
        let rows = self
            .client()
            .await?
            .query("SELECT date, revision FROM summaries WHERE kiosk_id = $1 AND latest ORDER BY date", &[&kiosk_id])
            .await
            .map_err(pg)?;
        rows.iter().map(|r| Ok((date_of(r.get(0))?, r.get(1)))).collect()
    }

    async fn differing(&self, kiosk_id: &str, limit: usize) -> Result<Vec<StoredVerdict>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT date, revision, state, detail, judged_at FROM rejudged
                 WHERE kiosk_id = $1 AND state = 'differs' ORDER BY date DESC, revision DESC LIMIT $2",
                &[&kiosk_id, &(limit as i64)],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(StoredVerdict {
                    date: date_of(r.get(0))?,
                    revision: r.get(1),
                    state: VerdictState::parse(r.get(2)),
                    detail: r.get(3),
                    judged_at: r.get(4),
                })
            })
            .collect()
    }

    async fn latest_summaries(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(NaiveDate, String)>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<SummaryPage> {
        use futures_util::TryStreamExt;
        let (after_date, after_kiosk) = after.map_or((None, None), |(d, k)| (Some(d.to_string()), Some(k)));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (from, to) = (from.to_string(), to.to_string());
        let client = self.client().await?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [&from, &to, &after_date, &after_kiosk, &limit];
        let rows = client
            .query_raw(
                "SELECT revision, received_at, content FROM summaries
                 WHERE latest AND date >= $1 AND date <= $2
                   AND ($3::text IS NULL OR date > $3 OR (date = $3 AND kiosk_id > $4))
                 ORDER BY date, kiosk_id LIMIT $5",
                params,
            )
            .await
            .map_err(pg)?;
        let mut rows = std::pin::pin!(rows);
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(r) = rows.try_next().await.map_err(pg)? {
            let content: &str = r.get(2);
            bytes += content.len();
            out.push((r.get(0), r.get(1), serde_json::from_str(content).map_err(db)?));
            if bytes >= max_bytes {
                return Ok(SummaryPage { rows: out, cut_at_bytes: true });
            }
        }
        Ok(SummaryPage { rows: out, cut_at_bytes: false })
    }

    async fn report_people(&self, from: NaiveDate, to: NaiveDate, unit: Option<&str>) -> Result<Vec<ReportRow>> {
        // Plain sums in a hash aggregate, then each person's name and unit
        // from their latest day in the period (one index probe each).
        let sums: String = FIGURES.iter().map(|f| format!(", sum({f})::bigint")).collect();
        let sql = format!(
            "WITH g AS (
                SELECT staff_no, max(date) AS last, sum(expected)::bigint AS expected, sum(present)::bigint AS present{sums}
                FROM summary_people
                WHERE latest AND date >= $1 AND date <= $2 AND ($3::text IS NULL OR unit = $3)
                GROUP BY staff_no)
             SELECT g.*, n.name, n.unit FROM g CROSS JOIN LATERAL (
                SELECT name, unit FROM summary_people p
                WHERE p.staff_no = g.staff_no AND p.date = g.last AND p.latest AND ($3::text IS NULL OR p.unit = $3)
                LIMIT 1) n"
        );
        let rows = self.client().await?.query(&sql, &[&from.to_string(), &to.to_string(), &unit]).await.map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| {
                let mut f = [0u32; 14];
                for (i, v) in f.iter_mut().enumerate() {
                    *v = r.get::<_, i64>(4 + i) as u32;
                }
                report_row(r.get(0), r.get(18), r.get(19), r.get::<_, i64>(2) as u32, r.get::<_, i64>(3) as u32, f)
            })
            .collect())
    }

    async fn person_history(
        &self,
        staff_no: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(PersonDay, Vec<Earlier>)>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
             FROM summary_people p JOIN summaries s USING (kiosk_id, date, revision)
             WHERE p.staff_no = $1 AND p.latest AND p.date >= $2 AND p.date <= $3 ORDER BY p.date, p.kiosk_id",
            person_columns("p.")
        );
        let rows = c.query(&sql, &[&staff_no, &from.to_string(), &to.to_string()]).await.map_err(pg)?;
        // Every earlier revision of the day, with this person's row in it
        // where there is one.
        let earlier = c
            .prepare(&format!(
                "SELECT s.revision, s.received_at, {}
                 FROM summaries s LEFT JOIN summary_people p
                   ON p.kiosk_id = s.kiosk_id AND p.date = s.date AND p.revision = s.revision AND p.staff_no = $3
                 WHERE s.kiosk_id = $1 AND s.date = $2 AND NOT s.latest ORDER BY s.revision",
                person_columns("p.")
            ))
            .await
            .map_err(pg)?;
        let mut out = Vec::new();
        for r in &rows {
            let day = person_day(r)?;
            let revs = c
                .query(&earlier, &[&day.kiosk_id, &day.date.to_string(), &staff_no])
                .await
                .map_err(pg)?
                .iter()
                .map(|r| Earlier {
                    revision: r.get(0),
                    received_at: r.get(1),
                    person: r.get::<_, Option<&str>>(2).is_some().then(|| person_from(r, 2)),
                })
                .collect();
            out.push((day, revs));
        }
        Ok(out)
    }

    async fn unit_days(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<PersonDay>> {
        self.latest_days((from, to, Some(unit)), "true", "p.staff_no, p.date").await
    }

    async fn spot_check_days(&self, from: NaiveDate, to: NaiveDate, unit: Option<&str>) -> Result<Vec<PersonDay>> {
        let spot = "p.spot_check_absences + p.spot_checks_present > 0";
        self.latest_days((from, to, unit), spot, "p.date, p.unit, p.staff_no").await
    }

    async fn daily_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        unit: Option<&str>,
    ) -> Result<Vec<(NaiveDate, DayCounts)>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT date, sum(late_count)::bigint, sum(early_count)::bigint, sum(absent_sessions)::bigint
                 FROM summary_people
                 WHERE latest AND date >= $1 AND date <= $2 AND ($3::text IS NULL OR unit = $3)
                 GROUP BY date ORDER BY date",
                &[&from.to_string(), &to.to_string(), &unit],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let n = |i| u32::try_from(r.get::<_, i64>(i)).unwrap_or(u32::MAX);
                Ok((date_of(r.get(0))?, DayCounts { late: n(1), early: n(2), absent: n(3) }))
            })
            .collect()
    }

    async fn add_user(&self, name: &str, role: Role, password_hash: &str, now: Instant) -> Result<()> {
        let n = self
            .client()
            .await?
            .execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&name, &role.as_str(), &password_hash, &now],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::Exists(format!("user {name}")));
        }
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<UserRow>> {
        let row = self
            .client()
            .await?
            .query_opt(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"), &[&name])
            .await
            .map_err(pg)?;
        Ok(row.as_ref().map(user_from))
    }

    async fn users(&self) -> Result<Vec<UserRow>> {
        let rows = self
            .client()
            .await?
            .query(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name"), &[])
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(user_from).collect())
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let n = tx
            .execute("UPDATE users SET password_hash = $2 WHERE name = $1", &[&name, &password_hash])
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::NotFound(format!("no user {name}")));
        }
        tx.execute("DELETE FROM login_failures WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        tx.execute("DELETE FROM sessions WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        tx.execute("DELETE FROM user_tokens WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn add_user_token(&self, name: &str, token_hash: &str, now: Instant, expires_at: Instant) -> Result<()> {
        let c = self.client().await?;
        if c.query_opt("SELECT 1 FROM users WHERE name = $1", &[&name]).await.map_err(pg)?.is_none() {
            return Err(StorageError::NotFound(format!("no user {name}")));
        }
        c.execute(
            "INSERT INTO user_tokens (token_hash, user_name, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &name, &now, &expires_at],
        )
        .await
        .map_err(pg)?;
        Ok(())
    }

    async fn user_by_token(&self, token_hash: &str, now: Instant) -> Result<Option<UserRow>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users u JOIN user_tokens t ON t.user_name = u.name
                     WHERE t.token_hash = $1 AND {TOKEN_EXPIRY_SQL} > $2"
                ),
                &[&token_hash, &now],
            )
            .await
            .map_err(pg)?;
        Ok(row.as_ref().map(user_from))
    }

    async fn user_tokens(&self, name: &str) -> Result<Vec<TokenRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT t.token_hash, t.created_at, {TOKEN_EXPIRY_SQL} FROM user_tokens t
                     WHERE t.user_name = $1 ORDER BY t.created_at, t.token_hash"
                ),
                &[&name],
            )
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| TokenRow {
                id: r.get::<_, &str>(0).chars().take(TOKEN_ID_LEN).collect(),
                created_at: r.get(1),
                expires_at: r.get(2),
            })
            .collect())
    }

    async fn revoke_user_token(&self, name: &str, id: &str) -> Result<()> {
        let pattern = format!("{}%", id.to_ascii_lowercase());
        let c = self.client().await?;
        let n = if id.len() == TOKEN_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            c.execute("DELETE FROM user_tokens WHERE user_name = $1 AND token_hash LIKE $2", &[&name, &pattern])
                .await
                .map_err(pg)?
        } else {
            0
        };
        if n == 0 {
            return Err(StorageError::NotFound(format!("{name} has no token {id}")));
        }
        Ok(())
    }

    async fn claim_login(
        &self,
        name: &str,
        client: &str,
        at: Instant,
        tries: u32,
        lock_ms: i64,
    ) -> Result<Option<u32>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&claim_login_sql('$'), &[&name, &client, &at, &i64::from(tries), &lock_ms])
            .await
            .map_err(pg)?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u32))
    }

    async fn login_locked(&self, name: &str, client: &str, at: Instant) -> Result<bool> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT 1 FROM login_failures WHERE user_name = $1 AND client = $2 AND locked_until > $3",
                &[&name, &client, &at],
            )
            .await
            .map_err(pg)?;
        Ok(row.is_some())
    }

    async fn login_succeeded(&self, name: &str, client: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM login_failures WHERE user_name = $1 AND client = $2", &[&name, &client])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn unlock(&self, name: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM login_failures WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        Ok(())
    }

    async fn add_session(
        &self,
        id_hash: &str,
        name: &str,
        password_hash: &str,
        csrf: &str,
        expires_at: Instant,
    ) -> Result<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "INSERT INTO sessions (id_hash, user_name, csrf, expires_at)
                 SELECT $1, name, $3, $4 FROM users WHERE name = $2 AND password_hash = $5",
                &[&id_hash, &name, &csrf, &expires_at, &password_hash],
            )
            .await
            .map_err(pg)?;
        Ok(n == 1)
    }

    async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(UserRow, String)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name
                     WHERE s.id_hash = $1 AND s.expires_at > $2"
                ),
                &[&id_hash, &now],
            )
            .await
            .map_err(pg)?;
        Ok(row.map(|r| (user_from(&r), r.get(5))))
    }

    async fn prune(&self, now: Instant) -> Result<u64> {
        let c = self.client().await?;
        let sessions = c.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now]).await.map_err(pg)?;
        let locks = c
            .execute(
                "DELETE FROM login_failures WHERE locked_until <= $1 OR (locked_until IS NULL AND updated_at <= $2)",
                &[&now, &(now - LOCK_WINDOW_MS)],
            )
            .await
            .map_err(pg)?;
        Ok(sessions + locks)
    }

    async fn end_session(&self, id_hash: &str) -> Result<()> {
        self.client().await?.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash]).await.map_err(pg)?;
        Ok(())
    }

    async fn audit(&self, who: &str, action: &str, detail: &str, now: Instant) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO audit (at, who, action, detail) VALUES ($1, $2, $3, $4)",
                &[&now, &who, &action, &detail],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn audit_log(&self, from: Instant, to: Instant) -> Result<Vec<AuditRow>> {
        let rows = self
            .client()
            .await?
            .query("SELECT at, who, action, detail FROM audit WHERE at >= $1 AND at < $2 ORDER BY id", &[&from, &to])
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(|r| AuditRow { at: r.get(0), who: r.get(1), action: r.get(2), detail: r.get(3) }).collect())
    }
}
