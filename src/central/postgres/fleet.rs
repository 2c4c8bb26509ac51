//! Postgres: the kiosks (registration, tokens, their state), for
//! [`KioskStore`](crate::central::storage::KioskStore).

use super::*;

pub(super) fn kiosk_from(r: &tokio_postgres::Row) -> KioskRow {
    let units: String = r.get(1);
    KioskRow {
        id: r.get(0),
        units: serde_json::from_str(&units).unwrap_or_default(),
        doors: serde_json::from_str(r.get::<_, &str>(9)).unwrap_or_default(),
        name: r.get(10),
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
pub(super) const KIOSK_COLUMNS: &str =
    "id, units, revoked, created_at, last_seen, clock_offset_ms, chain_state, records_broken_at, \
    (SELECT coalesce(max(c.seq), 0) FROM chain_records c WHERE c.kiosk_id = kiosks.id), doors, name";
/// The advisory lock that orders kiosk registrations and re-keyings (an
/// arbitrary constant: "dutyclock kiosks").
pub(super) const KIOSK_CHANGES_LOCK: i64 = 0x6475_7479_6b69_6f73;

#[async_trait]
impl KioskStore for Postgres {
    async fn register_kiosk(&self, id: &str, places: &Places<'_>, token_hash: &str, now: Instant) -> Result<()> {
        let units = places.units;
        let doors = serde_json::to_string(places.doors).map_err(db)?;
        let every_unit: Vec<String> = places.units.iter().chain(places.doors).cloned().collect();
        let every_unit = serde_json::to_string(&every_unit).map_err(db)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        if let Some(refused) = unit_taken(&active_kiosks(&tx, id).await?, units) {
            return Err(refused);
        }
        let units = serde_json::to_string(units).map_err(db)?;
        let n = tx
            .execute(
                "INSERT INTO kiosks (id, units, token_hash, created_at, doors, name) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[&id, &units, &token_hash, &now, &doors, &places.name],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::Exists(format!("kiosk {id}")));
        }
        // A unit first named here is added with the kiosk.
        tx.execute(
            "INSERT INTO units (name, parent, added_at, added_by)
             SELECT u, NULL, $2, $3 FROM jsonb_array_elements_text($1::text::jsonb) u ON CONFLICT DO NOTHING",
            &[&every_unit, &now, &format!("kiosk {id}")],
        )
        .await
        .map_err(pg)?;
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

    async fn kiosk(&self, kiosk_id: &str) -> Result<Option<KioskRow>> {
        let row = self
            .client()
            .await?
            .query_opt(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE id = $1"), &[&kiosk_id])
            .await
            .map_err(pg)?;
        Ok(row.as_ref().map(kiosk_from))
    }

    async fn kiosk_rows(&self) -> Result<Vec<KioskRow>> {
        let rows = self
            .client()
            .await?
            .query(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks ORDER BY id"), &[])
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(kiosk_from).collect())
    }
}
