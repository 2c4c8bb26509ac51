//! PostgreSQL: 暗访 findings and their cases, for
//! [`CaseStore`](crate::central::storage::CaseStore) (the SQL is shared
//! with SQLite, in `storage`).

use super::*;
use crate::central::sums::numbered;

/// [`CASES_SCHEMA`] in PostgreSQL's words.
pub(super) fn cases_schema() -> String {
    CASES_SCHEMA.replace("{serial}", "BIGSERIAL PRIMARY KEY").replace("{bytes}", "BYTEA")
}

#[async_trait]
impl CaseStore for Postgres {
    async fn add_finding(&self, by: &str, at: Instant, day: NaiveDate, event: &str) -> Result<i64> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let id: i64 = tx.query_one(&numbered(NEW_FINDING), &[&by, &at]).await.map_err(pg)?.get(0);
        let day = day.to_string();
        tx.execute(&numbered(ADD_CASE_EVENT), &[&id, &1_i64, &by, &at, &day, &event]).await.map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(id)
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
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let seen = seen as i64;
        if tx.execute(&numbered(COUNT_CASE_EVENT), &[&id, &seen]).await.map_err(pg)? == 0 {
            return Ok(false);
        }
        let (seq, day) = (seen + 1, day.map(|d| d.to_string()));
        tx.execute(&numbered(ADD_CASE_EVENT), &[&id, &seq, &by, &at, &day, &event]).await.map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(true)
    }

    async fn case_events(&self, id: Option<i64>, days: Option<(NaiveDate, NaiveDate)>) -> Result<Vec<CaseEventRow>> {
        let (from, to) = (days.map(|d| d.0.to_string()), days.map(|d| d.1.to_string()));
        let rows = self.client().await?.query(&numbered(CASE_EVENTS), &[&id, &from, &to]).await.map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| CaseEventRow {
                finding: r.get(0),
                seq: r.get::<_, i64>(1) as u64,
                by: r.get(2),
                at: r.get(3),
                body: r.get(4),
            })
            .collect())
    }

    async fn put_finding_photo(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO finding_photos (name, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&name, &bytes],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn finding_photo(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let row = self
            .client()
            .await?
            .query_opt("SELECT bytes FROM finding_photos WHERE name = $1", &[&name])
            .await
            .map_err(pg)?;
        Ok(row.map(|r| r.get(0)))
    }
}
