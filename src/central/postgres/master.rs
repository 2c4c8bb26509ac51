//! Postgres: the district's master data (units, and the versioned
//! changes kiosks pull), for
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

    async fn put_master(&self, changes: &[MasterChange], who: &str, now: Instant) -> Result<u64> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // Writers take turns: a version is drawn and committed before the
        // next writer draws one, so versions are in commit order and a
        // kiosk that read up to one has missed nothing before it.
        tx.execute("LOCK TABLE master_changes IN EXCLUSIVE MODE", &[]).await.map_err(pg)?;
        let add = tx
            .prepare(
                "INSERT INTO master_changes (kind, key, scope, content, made_by, made_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING version",
            )
            .await
            .map_err(pg)?;
        let current = tx
            .prepare(
                "INSERT INTO master_current (kind, key, unit, content, version) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (kind, key) DO UPDATE SET unit = $3, content = $4, version = $5",
            )
            .await
            .map_err(pg)?;
        let mut newest = 0i64;
        for ch in changes {
            for scope in &ch.scopes {
                newest =
                    tx.query_one(&add, &[&ch.kind, &ch.key, scope, &ch.content, &who, &now]).await.map_err(pg)?.get(0);
            }
            tx.execute(&current, &[&ch.kind, &ch.key, &ch.unit, &ch.content, &newest]).await.map_err(pg)?;
        }
        tx.commit().await.map_err(pg)?;
        Ok(newest as u64)
    }

    async fn master_since(&self, scopes: &[String], since: u64, limit: usize) -> Result<Vec<MasterRow>> {
        let mut scopes = scopes.to_vec();
        scopes.push(DISTRICT.to_string());
        let since = since.min(i64::MAX as u64) as i64;
        let rows = self
            .client()
            .await?
            .query(
                "SELECT version, kind, content, made_by, made_at FROM master_changes
                 WHERE scope = ANY($1) AND version > $2 ORDER BY version LIMIT $3",
                &[&scopes, &since, &(limit as i64)],
            )
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| MasterRow {
                version: r.get::<_, i64>(0) as u64,
                kind: r.get(1),
                content: r.get(2),
                made_by: r.get(3),
                made_at: r.get(4),
            })
            .collect())
    }

    async fn master_current(&self, kind: &str, units: Option<&[String]>) -> Result<Vec<CurrentRow>> {
        let units: Option<Vec<String>> = units.map(<[String]>::to_vec);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT key, unit, content, version FROM master_current
                 WHERE kind = $1 AND ($2::text[] IS NULL OR unit = ANY($2)) ORDER BY key COLLATE \"C\"",
                &[&kind, &units],
            )
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(current_from).collect())
    }

    async fn master_one(&self, kind: &str, key: &str) -> Result<Option<CurrentRow>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT key, unit, content, version FROM master_current WHERE kind = $1 AND key = $2",
                &[&kind, &key],
            )
            .await
            .map_err(pg)?;
        Ok(row.as_ref().map(current_from))
    }

    async fn add_conflict(&self, k: &ConflictRow) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO enrol_conflicts (kiosk_id, card, enrolled, enrolled_by, held_by, at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&k.kiosk_id, &k.card, &k.enrolled, &k.enrolled_by, &k.held_by, &k.at],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn conflicts(&self, kiosk_id: Option<&str>) -> Result<Vec<ConflictRow>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT kiosk_id, card, enrolled, enrolled_by, held_by, at FROM enrol_conflicts
                 WHERE $1::text IS NULL OR kiosk_id = $1 ORDER BY at DESC, card",
                &[&kiosk_id],
            )
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| ConflictRow {
                kiosk_id: r.get(0),
                card: r.get(1),
                enrolled: r.get(2),
                enrolled_by: r.get(3),
                held_by: r.get(4),
                at: r.get(5),
            })
            .collect())
    }

    async fn put_photo(&self, name: &str, bytes: &[u8]) -> Result<()> {
        self.client()
            .await?
            .execute("INSERT INTO photos (name, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[&name, &bytes])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn photo(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let row =
            self.client().await?.query_opt("SELECT bytes FROM photos WHERE name = $1", &[&name]).await.map_err(pg)?;
        Ok(row.map(|r| r.get(0)))
    }
}

fn current_from(r: &tokio_postgres::Row) -> CurrentRow {
    CurrentRow { key: r.get(0), unit: r.get(1), content: r.get(2), version: r.get::<_, i64>(3) as u64 }
}
