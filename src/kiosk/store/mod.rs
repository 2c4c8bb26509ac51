//! The local store: SQLite through rusqlite. The only module that speaks SQL.
//!
//! Every connection runs WAL with `synchronous=FULL` and foreign keys on, so
//! a punch whose commit has returned is on disk. Records are append-only:
//! corrections and voids are new rows that point at what they change, and
//! every appended record is hashed onto the record chain (`journal`) that
//! `verify` checks.

mod migrations;
mod read;
mod write;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use read::{LeaveRequestRow, PunchListing, RequestRow};
pub use write::{Inserted, VoidTarget, Writer};

/// Store errors; each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database at {0}: run dutyclock init first")]
    NotInitialised(PathBuf),
    #[error("{0} already exists: refusing to overwrite it")]
    AlreadyExists(PathBuf),
    #[error("database schema version {found} is newer than this dutyclock knows ({known}): upgrade dutyclock")]
    TooNew { found: i64, known: i64 },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// Whether another connection held the database's write lock for
    /// longer than the busy timeout (a long import): worth a retry.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

impl StoreError {
    /// What a failed write to the database at `db` means for the person at
    /// the door, in words a caretaker can act on: a full disk, a read-only
    /// disk (an SD card that failed into read-only mode: SQLite often sees
    /// only an I/O error then, so the directory itself is asked), a
    /// database the kiosk may not write, a disk that fails to write, or
    /// the error itself. What is stored stays stored in every case, and
    /// the next scan tries again, so the kiosk takes scans by itself when
    /// the disk is back.
    pub fn for_the_door(&self, db: &Path) -> String {
        use rusqlite::ErrorCode as C;
        let StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) = self else {
            return self.to_string();
        };
        match e.code {
            C::DiskFull => FULL.into(),
            C::ReadOnly | C::SystemIoFailure | C::CannotOpen => match probe_writes(db) {
                Probe::ReadOnly => "the disk is read-only (a failing SD card?): nothing new can be stored".into(),
                Probe::Full => FULL.into(),
                Probe::Denied => format!("no permission to write {}: nothing new can be stored", db.display()),
                Probe::Writable | Probe::Failed => {
                    format!("the disk failed to write ({self}): nothing new can be stored")
                }
            },
            _ => self.to_string(),
        }
    }

    /// Whether the write may succeed on a fresh connection: SQLite opens a
    /// database read-only, for good, when its disk was read-only at the
    /// time; once the directory takes writes again, a new connection can
    /// write.
    pub fn disk_is_back(&self, db: &Path) -> bool {
        use rusqlite::ErrorCode as C;
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, C::ReadOnly | C::SystemIoFailure | C::CannotOpen))
            && probe_writes(db) == Probe::Writable
    }

    /// Whether a stored value is malformed (a damaged record, not a
    /// passing condition like a busy store or a full disk).
    pub fn is_malformed(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(..)) | StoreError::Invalid(_))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

const FULL: &str = "the disk is full: nothing new can be stored until space is freed";

/// What a write in the database's directory does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Writable,
    ReadOnly,
    Full,
    Denied,
    Failed,
}

/// Creates (and removes) a new file beside `db` to see what a write does
/// now: ext4 turned read-only after an error still shows `rw` in its
/// mount flags and in statvfs, but every write fails with EROFS. The name
/// is new each time and never followed through a symlink.
fn probe_writes(db: &Path) -> Probe {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = db.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let probe = dir.join(format!(".dutyclock-probe-{}-{nanos}", std::process::id()));
    let opened = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&probe)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"x").map(|_| f));
    match opened {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Probe::Writable
        }
        Err(e) => {
            let _ = std::fs::remove_file(&probe);
            match e.raw_os_error() {
                Some(libc::EROFS) => Probe::ReadOnly,
                Some(libc::ENOSPC) | Some(libc::EDQUOT) => Probe::Full,
                Some(libc::EACCES) | Some(libc::EPERM) => Probe::Denied,
                _ => Probe::Failed,
            }
        }
    }
}

/// The database's file name in a data directory.
pub const DB_FILE: &str = "dutyclock.sqlite3";

/// How long a connection waits for another's write lock before it reports busy.
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// An open kiosk database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Creates a new database; refuses an existing file.
    pub fn create(path: &Path) -> Result<Store> {
        if path.exists() {
            return Err(StoreError::AlreadyExists(path.to_path_buf()));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE)?;
        Store::prepare(conn, path)
    }

    /// Opens an existing database (never creates one) and runs pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        if !path.is_file() {
            return Err(StoreError::NotInitialised(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        Store::prepare(conn, path)
    }

    /// Closes the connection and opens the database again. SQLite shares a
    /// file's descriptors and shared memory among the connections of one
    /// process, so a connection opened while the disk was read-only must be
    /// closed before a new one can write.
    pub fn reopen(&mut self) -> Result<()> {
        let old = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        old.close().map_err(|(_, e)| e)?;
        let mut fresh = Store::open(&self.path)?;
        std::mem::swap(&mut self.conn, &mut fresh.conn);
        Ok(())
    }

    fn prepare(conn: Connection, path: &Path) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store { conn, path: path.to_path_buf() };
        store.migrate()?;
        Ok(store)
    }

    /// Runs the migrations not yet run, each in a `BEGIN IMMEDIATE`
    /// transaction that reads the version inside it: two processes opening
    /// an old database at once run each migration once.
    fn migrate(&mut self) -> Result<()> {
        let known = migrations::MIGRATIONS.len() as i64;
        // Up to date (the usual case): no write lock taken.
        let found: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found == known {
            return Ok(());
        }
        loop {
            let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if found > known {
                return Err(StoreError::TooNew { found, known });
            }
            let Some(sql) = migrations::MIGRATIONS.get(found as usize) else {
                return Ok(());
            };
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", found + 1)?;
            tx.commit()?;
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA synchronous` of this connection (2 = FULL).
    pub fn synchronous(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "synchronous", |r| r.get(0))?)
    }

    /// The schema version (number of migrations run).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// How long this connection waits for another's write lock.
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<()> {
        self.conn.busy_timeout(timeout)?;
        Ok(())
    }

    /// Sets SQLite's automatic WAL checkpoint (pages; 0 turns it off). The
    /// kiosk turns it off and checkpoints between scans instead, so a
    /// checkpoint never lands inside a scan's commit.
    pub fn set_auto_checkpoint(&self, pages: i64) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        Ok(())
    }

    /// Copies the WAL back into the database where no reader needs it
    /// (`PRAGMA wal_checkpoint(PASSIVE)`): durability is unchanged.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Leave stored before instants were (schema 2) gets them once, in each
    /// person's schedule zone now (see [`Writer::pin_legacy_leave`]).
    /// Nothing is written when there is none.
    pub fn pin_legacy_leave(&mut self, config: &crate::domain::config::Config) -> Result<()> {
        if !self.has_legacy_leave()? {
            return Ok(());
        }
        let staff = self.staff()?;
        let zone = |no: &str| {
            staff
                .iter()
                .find(|s| s.staff_no == no)
                .map_or(config.default_schedule().tz, |s| config.schedule(&s.schedule).tz)
        };
        let mut w = self.writer()?;
        w.pin_legacy_leave(zone)?;
        w.commit()
    }

    /// Starts an all-or-nothing write: nothing is stored unless
    /// [`Writer::commit`] is called.
    pub fn writer(&mut self) -> Result<Writer<'_>> {
        Writer::begin(&mut self.conn)
    }

    /// Database checks for `verify`: SQLite integrity, foreign keys and the
    /// record chain. Returns the problems found (empty: all good).
    pub fn verify(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let integrity: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        if integrity != ["ok"] {
            problems.extend(integrity.into_iter().map(|m| format!("integrity: {m}")));
        }
        let mut fk = self.conn.prepare("PRAGMA foreign_key_check")?;
        let fk_rows = fk.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in fk_rows {
            let (tbl, id) = row?;
            problems.push(format!("foreign key: {tbl} row {id} points at nothing"));
        }
        problems.extend(write::verify_chain(&self.conn)?);
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_connection_is_wal_full_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let created = Store::create(&path).unwrap();
        assert_eq!(created.synchronous().unwrap(), 2, "synchronous=FULL");
        let opened = Store::open(&path).unwrap();
        assert_eq!(opened.synchronous().unwrap(), 2);
        let mode: String = opened.conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = opened.conn.pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
        assert_eq!(fk, 1);
        assert_eq!(opened.schema_version().unwrap(), migrations::MIGRATIONS.len() as i64);
    }

    #[test]
    fn open_never_creates_and_create_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        assert!(matches!(Store::open(&path), Err(StoreError::NotInitialised(_))));
        assert!(!path.exists());
        Store::create(&path).unwrap();
        assert!(matches!(Store::create(&path), Err(StoreError::AlreadyExists(_))));
    }

    #[test]
    fn a_dropped_writer_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::create(&dir.path().join("db")).unwrap();
        {
            let mut w = store.writer().unwrap();
            w.add_punch(
                &crate::domain::model::PunchOwner::Card("0100000001".into()),
                1,
                crate::domain::model::PunchSource::Reader,
                Some(true),
                None,
                0,
            )
            .unwrap();
        }
        assert!(store.punch_listing(0, i64::MAX).unwrap().is_empty());
        assert!(store.verify().unwrap().is_empty());
    }
}
