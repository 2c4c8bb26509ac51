//! SQLite: 暗访 findings and their cases, for
//! [`CaseStore`](crate::central::storage::CaseStore) (the SQL is shared
//! with PostgreSQL, in `storage`).

use super::*;

/// [`CASES_SCHEMA`] in SQLite's words.
pub(super) fn cases_schema() -> String {
    CASES_SCHEMA.replace("{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT").replace("{bytes}", "BLOB")
}

#[async_trait]
impl CaseStore for Sqlite {
    async fn add_finding(&self, by: &str, at: Instant, day: NaiveDate, event: &str) -> Result<i64> {
        let (by, day, event) = (by.to_string(), day.to_string(), event.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let id: i64 = tx.query_row(NEW_FINDING, params![by, at], |r| r.get(0)).map_err(db)?;
            tx.execute(ADD_CASE_EVENT, params![id, 1, by, at, day, event]).map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(id)
        })
        .await
    }

    async fn add_case_event(
        &self,
        id: i64,
        seen: u64,
        by: &str,
        at: Instant,
        day: Option<NaiveDate>,
        event: &str,
    ) -> Result<bool> {
        let (by, day, event) = (by.to_string(), day.map(|d| d.to_string()), event.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            if tx.execute(COUNT_CASE_EVENT, params![id, seen as i64]).map_err(db)? == 0 {
                return Ok(false);
            }
            tx.execute(ADD_CASE_EVENT, params![id, seen as i64 + 1, by, at, day, event]).map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(true)
        })
        .await
    }

    async fn case_events(&self, id: Option<i64>, days: Option<(NaiveDate, NaiveDate)>) -> Result<Vec<CaseEventRow>> {
        let (from, to) = (days.map(|d| d.0.to_string()), days.map(|d| d.1.to_string()));
        self.read(move |c| {
            let mut stmt = c.prepare_cached(CASE_EVENTS).map_err(db)?;
            let rows = stmt
                .query_map(params![id, from, to], |r| {
                    Ok(CaseEventRow {
                        finding: r.get(0)?,
                        seq: r.get::<_, i64>(1)? as u64,
                        by: r.get(2)?,
                        at: r.get(3)?,
                        body: r.get(4)?,
                    })
                })
                .map_err(db)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    async fn put_finding_photo(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let (name, bytes) = (name.to_string(), bytes.to_vec());
        self.write(move |c| {
            c.execute(
                "INSERT INTO finding_photos (name, bytes) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, bytes],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn finding_photo(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let name = name.to_string();
        self.read(move |c| {
            c.query_row("SELECT bytes FROM finding_photos WHERE name = ?1", [name], |r| r.get(0)).optional().map_err(db)
        })
        .await
    }
}
