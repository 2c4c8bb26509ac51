//! Postgres: the district's master data (units so far), for
//! [`MasterStore`](crate::central::storage::MasterStore).

use super::*;

#[async_trait]
impl MasterStore for Postgres {
    async fn add_unit(&self, name: &str, parent: Option<&str>, who: &str, now: Instant) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        if let Some(p) = parent {
            if tx.query_opt("SELECT 1 FROM units WHERE name = $1", &[&p]).await.map_err(pg)?.is_none() {
                return Err(StorageError::NotFound(format!("parent unit {p} is not known (add it first)")));
            }
        }
        let n = tx
            .execute(
                "INSERT INTO units (name, parent, added_at, added_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&name, &parent, &now, &who],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::Exists(format!("unit {name}")));
        }
        tx.commit().await.map_err(pg)
    }

    async fn units(&self) -> Result<Vec<UnitRow>> {
        let rows = self
            .client()
            .await?
            .query("SELECT name, parent, added_at, added_by FROM units ORDER BY name COLLATE \"C\"", &[])
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| UnitRow { name: r.get(0), parent: r.get(1), added_at: r.get(2), added_by: r.get(3) })
            .collect())
    }
}
