//! Sqlite: the district's master data (units, and the versioned changes
//! kiosks pull), for
//! [`MasterStore`](crate::central::storage::MasterStore).

use super::*;

#[async_trait]
impl MasterStore for Sqlite {
    async fn add_unit(&self, name: &str, parent: Option<&str>, who: &str, now: Instant) -> Result<()> {
        let (name, parent, who) = (name.to_string(), parent.map(str::to_string), who.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            if let Some(p) = &parent {
                let known: bool = tx
                    .query_row("SELECT EXISTS (SELECT 1 FROM units WHERE name = ?1)", [p], |r| r.get(0))
                    .map_err(db)?;
                if !known {
                    return Err(StorageError::NotFound(format!("parent unit {p} is not known (add it first)")));
                }
            }
            let n = tx
                .execute(
                    "INSERT INTO units (name, parent, added_at, added_by) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO NOTHING",
                    params![name, parent, now, who],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StorageError::Exists(format!("unit {name}")));
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn units(&self) -> Result<Vec<UnitRow>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT name, parent, added_at, added_by FROM units ORDER BY name").map_err(db)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(UnitRow { name: r.get(0)?, parent: r.get(1)?, added_at: r.get(2)?, added_by: r.get(3)? })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn put_master(&self, changes: &[MasterChange], who: &str, now: Instant) -> Result<u64> {
        let (changes, who) = (changes.to_vec(), who.to_string());
        self.write(move |c| {
            // One writer at a time (IMMEDIATE): versions are in commit order.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let mut newest = 0u64;
            {
                let mut add = tx
                    .prepare_cached(
                        "INSERT INTO master_changes (kind, key, scope, content, made_by, made_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(db)?;
                let mut current = tx
                    .prepare_cached(
                        "INSERT INTO master_current (kind, key, unit, content, version) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (kind, key) DO UPDATE SET unit = ?3, content = ?4, version = ?5",
                    )
                    .map_err(db)?;
                for ch in &changes {
                    for scope in &ch.scopes {
                        add.execute(params![ch.kind, ch.key, scope, ch.content, who, now]).map_err(db)?;
                        newest = tx.last_insert_rowid() as u64;
                    }
                    current.execute(params![ch.kind, ch.key, ch.unit, ch.content, newest as i64]).map_err(db)?;
                }
            }
            tx.commit().map_err(db)?;
            Ok(newest)
        })
        .await
    }

    async fn master_since(&self, scopes: &[String], since: u64, limit: usize) -> Result<Vec<MasterRow>> {
        let mut scopes = scopes.to_vec();
        scopes.push(DISTRICT.to_string());
        let scopes = serde_json::to_string(&scopes).map_err(db)?;
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT version, kind, content, made_by, made_at FROM master_changes
                     WHERE scope IN (SELECT value FROM json_each(?1)) AND version > ?2
                     ORDER BY version LIMIT ?3",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![scopes, since.min(i64::MAX as u64) as i64, limit as i64], |r| {
                    Ok(MasterRow {
                        version: r.get::<_, i64>(0)? as u64,
                        kind: r.get(1)?,
                        content: r.get(2)?,
                        made_by: r.get(3)?,
                        made_at: r.get(4)?,
                    })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn master_current(&self, kind: &str, units: Option<&[String]>) -> Result<Vec<CurrentRow>> {
        let kind = kind.to_string();
        let units = units.map(serde_json::to_string).transpose().map_err(db)?;
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT key, unit, content, version FROM master_current
                     WHERE kind = ?1 AND (?2 IS NULL OR unit IN (SELECT value FROM json_each(?2))) ORDER BY key",
                )
                .map_err(db)?;
            let rows = stmt.query_map(params![kind, units], current_from).map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn master_one(&self, kind: &str, key: &str) -> Result<Option<CurrentRow>> {
        let (kind, key) = (kind.to_string(), key.to_string());
        self.read(move |c| {
            c.query_row(
                "SELECT key, unit, content, version FROM master_current WHERE kind = ?1 AND key = ?2",
                params![kind, key],
                current_from,
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn add_conflict(&self, k: &ConflictRow) -> Result<()> {
        let k = k.clone();
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO enrol_conflicts (kiosk_id, card, enrolled, enrolled_by, held_by, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![k.kiosk_id, k.card, k.enrolled, k.enrolled_by, k.held_by, k.at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn conflicts(&self, kiosk_id: Option<&str>) -> Result<Vec<ConflictRow>> {
        let kiosk = kiosk_id.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT kiosk_id, card, enrolled, enrolled_by, held_by, at FROM enrol_conflicts
                     WHERE ?1 IS NULL OR kiosk_id = ?1 ORDER BY at DESC, card",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map([kiosk], |r| {
                    Ok(ConflictRow {
                        kiosk_id: r.get(0)?,
                        card: r.get(1)?,
                        enrolled: r.get(2)?,
                        enrolled_by: r.get(3)?,
                        held_by: r.get(4)?,
                        at: r.get(5)?,
                    })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn put_photo(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let (name, bytes) = (name.to_string(), bytes.to_vec());
        self.write(move |c| {
            c.execute(
                "INSERT INTO photos (name, bytes) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, bytes],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn photo(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let name = name.to_string();
        self.read(move |c| {
            c.query_row("SELECT bytes FROM photos WHERE name = ?1", [name], |r| r.get(0)).optional().map_err(db)
        })
        .await
    }
}

fn current_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<CurrentRow> {
    Ok(CurrentRow { key: r.get(0)?, unit: r.get(1)?, content: r.get(2)?, version: r.get::<_, i64>(3)? as u64 })
}
