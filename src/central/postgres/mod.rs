//! The PostgreSQL backend (tokio-postgres with a deadpool pool): for a
//! province-sized deployment, where many kiosks upload at once and the
//! bureau reads large periods. Same schema and behaviour as `sqlite`; an
//! upload locks its kiosk's row, so two uploads of one kiosk never both
//! decide against the same stored revision.
//!
//! A file per concern, each implementing its trait of
//! [`Storage`](crate::central::storage::Storage), as in `sqlite` (fleet,
//! summaries, chains, accounts, master, cases); here the pool, the schema and
//! what the concerns share.

mod accounts;
mod cases;
mod chains;
mod fleet;
mod master;
mod summaries;

use fleet::*;

use async_trait::async_trait;
use chrono::NaiveDate;
use deadpool_postgres::{Manager, Pool};
use tokio_postgres::NoTls;

use crate::central::ingest;
use crate::central::sqlite::{
    day_counts, figures_from, figures_of, rejudged_from, status_of, FIGURES, REJUDGED_COUNTS, UNJUDGED,
};
use crate::central::storage::*;
use crate::domain::chain::{self, WireRecord};
use crate::domain::summary::{PersonSummary, ReportRow};
use crate::domain::time::Instant;
use chains::*;
use summaries::*;

const SCHEMA: &str = r#"
-- The district's units (SPEC "Master data"): a unit named by a kiosk's
-- registration is added with it (`added_by` "kiosk ID").
CREATE TABLE IF NOT EXISTS units (
    name     TEXT PRIMARY KEY,
    parent   TEXT REFERENCES units(name),
    added_at BIGINT NOT NULL,
    added_by TEXT NOT NULL
);
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
    PRIMARY KEY (kiosk_id, date, revision, staff_no)
);
-- No foreign key to `summaries`: the rows are written in the summary's
-- own transaction, right after it, and the key's check cost a lookup a
-- person (a province's ingest; issue 25). Gone from older databases too.
ALTER TABLE summary_people DROP CONSTRAINT IF EXISTS summary_people_kiosk_id_date_revision_fkey;
CREATE INDEX IF NOT EXISTS summary_people_latest ON summary_people (date, unit) WHERE latest;
-- A person's days are found through `summary_people_claims` (made after
-- the schema, see `CLAIMS`).
DROP INDEX IF EXISTS summary_people_staff;
DROP INDEX IF EXISTS summary_people_day;
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
ALTER TABLE kiosks ADD COLUMN IF NOT EXISTS doors TEXT NOT NULL DEFAULT '[]';
ALTER TABLE kiosks ADD COLUMN IF NOT EXISTS name TEXT;
-- Master data (SPEC "Master data"): every change, numbered in commit
-- order (writers take the table's lock), once per unit whose kiosks
-- receive it ('' = all).
CREATE TABLE IF NOT EXISTS master_changes (
    version BIGSERIAL PRIMARY KEY,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    scope   TEXT NOT NULL,
    content TEXT NOT NULL,
    made_by TEXT NOT NULL,
    made_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS master_changes_scope ON master_changes (scope, version);
CREATE TABLE IF NOT EXISTS master_current (
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    unit    TEXT NOT NULL,
    content TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS master_current_unit ON master_current (kind, unit);
CREATE TABLE IF NOT EXISTS enrol_conflicts (
    kiosk_id    TEXT NOT NULL,
    card        TEXT NOT NULL,
    enrolled    TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    held_by     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, card, enrolled)
);
-- People's photos by content name (SHA-256 and extension), kept once.
CREATE TABLE IF NOT EXISTS photos (
    name  TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL
);
ALTER TABLE user_tokens ADD COLUMN IF NOT EXISTS expires_at BIGINT;
ALTER TABLE login_failures ADD COLUMN IF NOT EXISTS updated_at BIGINT NOT NULL DEFAULT 0;
-- The schema's version: `upgrade` runs `init` only below SCHEMA_VERSION.
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"#;

/// Whose a person's day is: the first kiosk that reported them for the
/// date, whose latest row it is (another kiosk naming them that date is
/// refused, 409). The index is the claims (schema 13), a row's `latest`
/// its claim: a kiosk's first summary of a day inserts its people
/// plainly (a person held breaks this key, and the upload is tried again
/// carefully), a later revision or that careful try `ON CONFLICT (date,
/// staff_no) WHERE latest DO NOTHING` and then reads who holds the rest;
/// a later revision gives up the people it no longer names by marking
/// the kiosk's earlier rows not the latest. (Before, a table of claims,
/// `person_days`, cost each upload a row and an index entry a person
/// besides its people's rows: a quarter of PostgreSQL's work in a
/// province's ingest, issue 25.) Led by the
/// date, so that an upload's people go to one place of the index, and a
/// person's days are found day by day through it (see `sums::days_list`).
/// Of the latest rows only (schema 12): every statement on one kiosk's
/// day (`kiosk_id = $1 AND date = $2`, no `latest`) can then use nothing
/// but the key. Today's date is never in the statistics of the last
/// ANALYZE, so PostgreSQL takes it for a day of no rows; with a full index
/// on (date, staff_no) it read the whole day (every kiosk's rows of it)
/// for each upload's kiosk, and a province's ingest slowed as the day
/// filled, to a third of its rate. Made after the schema, once the rows
/// of a database from before the claims are sorted out.
const CLAIMS: &str = "
CREATE UNIQUE INDEX IF NOT EXISTS summary_people_claims ON summary_people (date, staff_no) WHERE latest;
DROP INDEX IF EXISTS summary_people_latest_day;";

/// The claims' table of schemas 6 to 12, made (empty) where a database
/// from before it has none, for [`ONE_LATEST_ROW`] to read.
const PERSON_DAYS: &str = "
CREATE TABLE IF NOT EXISTS person_days (
    date     TEXT NOT NULL COLLATE \"C\",
    staff_no TEXT NOT NULL COLLATE \"C\",
    kiosk_id TEXT NOT NULL COLLATE \"C\",
    PRIMARY KEY (date, staff_no)
);";

/// Before the claims' index (schema 13): a person's day with more than
/// one latest row is left to one, the kiosk whose claim it is in
/// `person_days`, or the first to report the person that day (then the
/// lowest kiosk id and revision); the others are no longer read as the
/// latest (they stay stored). A database from before `person_days` had
/// such days whenever two kiosks reported one person; the claims of
/// schemas 6 to 10 had a window for them: an insert passed over another
/// kiosk's claim, that kiosk's next revision gave the person up, and the
/// look that followed found nobody holding them.
const ONE_LATEST_ROW: &str = "
UPDATE summary_people sp SET latest = false
FROM (SELECT r.kiosk_id, r.date, r.revision, r.staff_no FROM (
        SELECT p.kiosk_id, p.date, p.revision, p.staff_no, row_number() OVER (
            PARTITION BY p.date, p.staff_no
            ORDER BY (pd.kiosk_id IS NOT DISTINCT FROM p.kiosk_id) DESC,
              (SELECT min(s.received_at) FROM summaries s
               JOIN summary_people q ON q.kiosk_id = s.kiosk_id AND q.date = s.date AND q.revision = s.revision
               WHERE s.kiosk_id = p.kiosk_id AND s.date = p.date AND q.staff_no = p.staff_no),
              p.kiosk_id, p.revision) AS n
        FROM (SELECT date, staff_no FROM summary_people WHERE latest
              GROUP BY date, staff_no HAVING count(*) > 1) twice
        JOIN summary_people p ON p.date = twice.date AND p.staff_no = twice.staff_no AND p.latest
        LEFT JOIN person_days pd ON pd.date = p.date AND pd.staff_no = p.staff_no) r
      WHERE r.n > 1) d
WHERE sp.kiosk_id = d.kiosk_id AND sp.date = d.date AND sp.revision = d.revision AND sp.staff_no = d.staff_no";

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
const SCHEMA_VERSION: i32 = 14;

/// A summary is kept whole as received: lz4 compresses it several times
/// faster than the default pglz (issue 25), where the server has it. Set
/// after [`bytewise_text`]: changing a column's type (its collation too)
/// puts its compression back to the default.
const LZ4_CONTENT: &str = "DO $$ BEGIN
    ALTER TABLE summaries ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN NULL;
END $$;";

/// The server's tables, as the schemas create them.
fn our_tables() -> Vec<String> {
    let all = format!("{SCHEMA}{}{WORK_CLAIMS}{}", crate::central::sums::SCHEMA, cases::cases_schema());
    all.split("CREATE TABLE IF NOT EXISTS ")
        .skip(1)
        .filter_map(|rest| rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next())
        .map(str::to_string)
        .collect()
}

/// Gives every text column of the server's tables the "C" collation:
/// keys (staff numbers, kiosk ids, dates and months as text, units)
/// compare as bytes, as SQLite's do, not through the database's locale.
/// Under a locale such as `C.UTF-8` or `zh_CN.UTF-8` each index comparison
/// went through `strcoll`: a province's ingest spent its PostgreSQL time
/// in `varstr_cmp` (issue 25's profile). Nothing the server orders for a
/// person relies on the locale (names are ordered in Rust). A column
/// already "C" is left; an upgrade rebuilds the indexes on the others
/// once. Only the server's own tables are touched.
async fn bytewise_text(tx: &tokio_postgres::Transaction<'_>) -> Result<()> {
    let tables = our_tables();
    let rows = tx
        .query(
            "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c
             JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
               AND c.table_name = ANY($1) AND c.data_type = 'text' AND c.collation_name IS DISTINCT FROM 'C'
             ORDER BY 1, 2",
            &[&tables],
        )
        .await
        .map_err(pg)?;
    for r in rows {
        let (table, column): (String, String) = (r.get(0), r.get(1));
        let sql = format!("ALTER TABLE \"{table}\" ALTER COLUMN \"{column}\" TYPE text COLLATE \"C\"");
        tx.batch_execute(&sql).await.map_err(pg)?;
    }
    Ok(())
}

fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Db(e.to_string())
}

fn pg(e: tokio_postgres::Error) -> StorageError {
    // The server's own message (e.g. "relation … does not exist"), and
    // its code where trying again can succeed (see `transient`).
    match e.as_db_error() {
        Some(d) if TRANSIENT.iter().any(|c| *c == d.code()) => {
            StorageError::Db(format!("{} ({TRANSIENT_MARK}{})", d.message(), d.code().code()))
        }
        Some(d) => StorageError::Db(d.message().to_string()),
        None => StorageError::Db(with_causes(&e)),
    }
}

/// Failures of a transaction that another one ran beside it caused: a
/// deadlock, a serialization failure, or a unique key another upload
/// took between this one's look and its write (two uploads on one
/// person's month: see `sums`). The transaction is tried again.
const TRANSIENT: [&tokio_postgres::error::SqlState; 3] = [
    &tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED,
    &tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE,
    &tokio_postgres::error::SqlState::UNIQUE_VIOLATION,
];
const TRANSIENT_MARK: &str = "may be tried again: SQLSTATE ";

/// Whether an error is one of [`TRANSIENT`].
fn transient(e: &StorageError) -> bool {
    matches!(e, StorageError::Db(m) if m.contains(TRANSIENT_MARK))
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
    /// The latest person rows in `[from, to]` (of a set of units, when
    /// given) that meet `condition` (SQL over `p.`), in `order`.
    async fn latest_days(
        &self,
        (from, to, unit): (NaiveDate, NaiveDate, Option<&[String]>),
        condition: &str,
        order: &str,
    ) -> Result<Vec<PersonDay>> {
        let sql = format!(
            "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
             FROM summary_people p JOIN summaries s USING (kiosk_id, date, revision)
             WHERE p.date >= $1 AND p.date <= $2 AND p.latest AND ($3::text[] IS NULL OR p.unit = ANY($3)) AND ({condition})
             ORDER BY {order}",
            person_columns("p.")
        );
        let rows = self.client().await?.query(&sql, &[&from.to_string(), &to.to_string(), &unit]).await.map_err(pg)?;
        rows.iter().map(person_day).collect()
    }

    /// Connects to `url` (`postgres://user@host:port/db`) with a pool of
    /// `size` connections.
    pub fn connect(url: &str, size: usize) -> Result<Postgres> {
        let (url, tls) = crate::central::pgtls::split_url(url).map_err(|e| db(format!("bad database URL: {e}")))?;
        let mut cfg: tokio_postgres::Config = url.parse().map_err(|e| db(format!("bad database URL: {e}")))?;
        // PostgreSQL's JIT compiles a period report's aggregate (a few
        // hundred thousand rows, over its cost threshold) for longer than
        // it then saves: off for our sessions. Options in the URL are kept.
        let options = cfg.get_options().map_or_else(|| "-c jit=off".to_string(), |o| format!("{o} -c jit=off"));
        cfg.options(&options);
        // The server's sessions named in `pg_stat_activity` for whoever
        // runs the database, unless the URL names them otherwise.
        if cfg.get_application_name().is_none() {
            cfg.application_name("dutyclock-central");
        }
        let mgr = match crate::central::pgtls::connector(&tls).map_err(|e| db(format!("database TLS: {e}")))? {
            None => Manager::new(cfg, NoTls),
            Some(connector) => {
                cfg.ssl_mode(match tls.mode {
                    crate::central::pgtls::SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
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
            let version = schema_version(&c).await?;
            if version > SCHEMA_VERSION {
                // A newer server's database: this one would write without
                // what the newer keeps (the sums, say), silently.
                return Err(db(format!(
                    "the database was made by a newer dutyclock-central (schema {version}, this one knows {SCHEMA_VERSION}): \
                     run the newer version (stop every server before upgrading any)"
                )));
            }
            if only_if_older && version >= SCHEMA_VERSION {
                return Ok(());
            }
            let tx = c.transaction().await.map_err(pg)?;
            tx.batch_execute(SCHEMA).await.map_err(pg)?;
            tx.batch_execute(crate::central::sums::SCHEMA).await.map_err(pg)?;
            // Room in each page for its months' rows all updated by one
            // upload (a kiosk's people are neighbours), each a HOT update
            // (no index entry written). At 70 (schemas 8-13) a third of a
            // province's updates found no room: the versions an upload
            // leaves behind are its own until it commits, so nothing on
            // the page can be pruned meanwhile (schema 14).
            tx.batch_execute("ALTER TABLE person_months SET (fillfactor = 40)").await.map_err(pg)?;
            tx.batch_execute(WORK_CLAIMS).await.map_err(pg)?;
            // 暗访 findings and their cases (schema 9).
            tx.batch_execute(&cases::cases_schema()).await.map_err(pg)?;
            // Every text column compares bytes (schema 10), as SQLite's do;
            // then lz4 (an ALTER of a column's type resets its compression).
            bytewise_text(&tx).await?;
            tx.batch_execute(LZ4_CONTENT).await.map_err(pg)?;
            // Tokens from before tokens expired: 90 days from this upgrade.
            let until = chrono::Utc::now().timestamp_millis() + 90 * 86_400_000;
            tx.execute("UPDATE user_tokens SET expires_at = $1 WHERE expires_at IS NULL", &[&until])
                .await
                .map_err(pg)?;
            // Before the claims were the latest rows (schema 13): a
            // person's day is left one latest row, then the claims' index
            // is made and their table goes.
            let mut demoted = 0;
            if version < 13 {
                tx.batch_execute(PERSON_DAYS).await.map_err(pg)?;
                demoted = tx.execute(ONE_LATEST_ROW, &[]).await.map_err(pg)?;
            }
            tx.batch_execute(CLAIMS).await.map_err(pg)?;
            tx.batch_execute("DROP TABLE IF EXISTS person_days").await.map_err(pg)?;
            // The sums from before they were kept (schema 8), and after the
            // claims changed which rows are the latest.
            if demoted > 0 || version < 8 {
                use crate::central::sums;
                tx.batch_execute("LOCK TABLE summary_people IN SHARE MODE").await.map_err(pg)?;
                let refill = format!(
                    "DELETE FROM person_months; {}; DELETE FROM unit_days; {};",
                    sums::fill_all_months(sums::ByDay::Postgres),
                    sums::fill_all_unit_days()
                );
                tx.batch_execute(&refill).await.map_err(pg)?;
            }
            // Units from before units were kept (schema 5): those the
            // kiosks serve. Once: a unit removed later stays removed.
            if version < 5 {
                tx.batch_execute(
                    "INSERT INTO units (name, parent, added_at, added_by)
                 SELECT DISTINCT ON (u) u, NULL::text, k.created_at, 'kiosk ' || k.id
                 FROM kiosks k, jsonb_array_elements_text(k.units::jsonb) u ORDER BY u, k.created_at, k.id
                 ON CONFLICT DO NOTHING",
                )
                .await
                .map_err(pg)?;
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

fn date_of(s: &str) -> Result<NaiveDate> {
    s.parse().map_err(|e| db(format!("stored date {s:?}: {e}")))
}

#[async_trait]
impl Storage for Postgres {
    async fn init(&self) -> Result<()> {
        self.make_schema(false).await
    }

    async fn claim_work(&self, name: &str, holder: &str, until: Instant, now: Instant) -> Result<bool> {
        let sql = crate::central::sums::numbered(CLAIM_WORK);
        let c = self.client().await?;
        Ok(c.query_opt(&sql, &[&name, &holder, &until, &now]).await.map_err(pg)?.is_some())
    }

    async fn release_work(&self, name: &str, holder: &str) -> Result<()> {
        let sql = crate::central::sums::numbered(RELEASE_WORK);
        self.client().await?.execute(&sql, &[&name, &holder]).await.map_err(pg)?;
        Ok(())
    }

    async fn release_claims(&self, holder: &str) -> Result<()> {
        let sql = crate::central::sums::numbered(RELEASE_CLAIMS);
        self.client().await?.execute(&sql, &[&holder]).await.map_err(pg)?;
        Ok(())
    }
}
