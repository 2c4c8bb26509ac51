//! Sqlite: the district's master data (units so far), for
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
}
