//! Sqlite: the kiosks (registration, tokens, their state), for
//! [`KioskStore`](crate::central::storage::KioskStore).

use super::*;

pub(super) fn kiosk_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<KioskRow> {
    let units: String = r.get(1)?;
    Ok(KioskRow {
        id: r.get(0)?,
        units: serde_json::from_str(&units).unwrap_or_default(),
        doors: serde_json::from_str(&r.get::<_, String>(9)?).unwrap_or_default(),
        name: r.get(10)?,
        revoked: r.get(2)?,
        created_at: r.get(3)?,
        last_seen: r.get(4)?,
        clock_offset_ms: r.get(5)?,
        chain: ChainState::parse(&r.get::<_, String>(6)?),
        latest: None,
        missing_days: vec![],
        bytes_today: 0,
        records: ChainHeld {
            stored_to: r.get::<_, i64>(8)? as u64,
            broken_at: r.get::<_, Option<i64>>(7)?.map(|n| n as u64),
        },
        rejudged: Rejudged::default(),
    })
}
pub(super) const KIOSK_COLUMNS: &str =
    "id, units, revoked, created_at, last_seen, clock_offset_ms, chain_state, records_broken_at, \
    (SELECT coalesce(max(c.seq), 0) FROM chain_records c WHERE c.kiosk_id = kiosks.id), doors, name";

#[async_trait]
impl KioskStore for Sqlite {
    async fn register_kiosk(&self, id: &str, places: &Places<'_>, token_hash: &str, now: Instant) -> Result<()> {
        let (id, units, token) = (id.to_string(), places.units.to_vec(), token_hash.to_string());
        let doors = serde_json::to_string(places.doors).map_err(db)?;
        let name = places.name.map(str::to_string);
        let every_unit: Vec<String> = places.units.iter().chain(places.doors).cloned().collect();
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            if let Some(refused) = unit_taken(&active_kiosks(&tx, &id)?, &units) {
                return Err(refused);
            }
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO kiosks (id, units, token_hash, created_at, doors, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, serde_json::to_string(&units).map_err(db)?, token, now, doors, name],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StorageError::Exists(format!("kiosk {id}")));
            }
            // A unit first named here is added with the kiosk.
            for u in &every_unit {
                tx.execute(
                    "INSERT OR IGNORE INTO units (name, parent, added_at, added_by) VALUES (?1, NULL, ?2, ?3)",
                    params![u, now, format!("kiosk {id}")],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn set_kiosk_token(&self, id: &str, token_hash: &str) -> Result<()> {
        let (id, token) = (id.to_string(), token_hash.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let (units, revoked): (String, bool) = tx
                .query_row("SELECT units, revoked FROM kiosks WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(db)?
                .ok_or_else(|| StorageError::NotFound(format!("no kiosk {id}")))?;
            let units: Vec<String> = serde_json::from_str(&units).map_err(db)?;
            if let Some(refused) =
                revoked.then(|| active_kiosks(&tx, &id)).transpose()?.and_then(|a| unit_taken(&a, &units))
            {
                return Err(refused);
            }
            tx.execute("UPDATE kiosks SET token_hash = ?2, revoked = 0 WHERE id = ?1", params![id, token])
                .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn revoke_kiosk(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.write(move |c| {
            let n = c.execute("UPDATE kiosks SET revoked = 1 WHERE id = ?1", [&id]).map_err(db)?;
            if n == 0 {
                return Err(StorageError::NotFound(format!("no kiosk {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn kiosk_by_token(&self, token_hash: &str) -> Result<Option<KioskRow>> {
        let (token, conn) = (token_hash.to_string(), self.tokens.clone());
        tokio::task::spawn_blocking(move || {
            let c = conn.lock().unwrap_or_else(|e| e.into_inner());
            c.query_row(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE token_hash = ?1"), [token], kiosk_from)
                .optional()
                .map_err(db)
        })
        .await
        .map_err(db)?
    }

    async fn kiosks(&self, today: NaiveDate) -> Result<Vec<KioskRow>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks ORDER BY id")).map_err(db)?;
            let mut kiosks: Vec<KioskRow> =
                stmt.query_map([], kiosk_from).map_err(db)?.collect::<rusqlite::Result<_>>().map_err(db)?;
            let mut dates = c
                .prepare("SELECT date, revision FROM summaries WHERE kiosk_id = ?1 AND latest = 1 ORDER BY date")
                .map_err(db)?;
            let mut budget =
                c.prepare("SELECT bytes FROM upload_budget WHERE kiosk_id = ?1 AND day = ?2").map_err(db)?;
            let mut counts = c.prepare(REJUDGED_COUNTS).map_err(db)?;
            for k in &mut kiosks {
                let rows: Vec<(NaiveDate, i64)> = dates
                    .query_map([&k.id], |r| Ok((date_of(r.get(0)?)?, r.get(1)?)))
                    .map_err(db)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(db)?;
                k.latest = rows.last().copied();
                let have: Vec<NaiveDate> = rows.iter().map(|(d, _)| *d).collect();
                k.missing_days = missing_days(&have, today.pred_opt().unwrap_or(today));
                k.bytes_today = budget
                    .query_row(params![k.id, today.to_string()], |r| r.get(0))
                    .optional()
                    .map_err(db)?
                    .unwrap_or(0);
                k.rejudged = counts
                    .query_row([&k.id], |r| Ok(rejudged_from(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .map_err(db)?;
            }
            Ok(kiosks)
        })
        .await
    }

    async fn kiosk(&self, kiosk_id: &str) -> Result<Option<KioskRow>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE id = ?1"), [kiosk], kiosk_from)
                .optional()
                .map_err(db)
        })
        .await
    }

    async fn kiosk_rows(&self) -> Result<Vec<KioskRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks ORDER BY id")).map_err(db)?;
            let rows = stmt.query_map([], kiosk_from).map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }
}
