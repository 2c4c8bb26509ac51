//! Sqlite: the kiosks' record chains, their declared rules and the
//! re-judging's verdicts, for
//! [`RecordStore`](crate::central::storage::RecordStore).

use super::*;

/// See [`RecordStore::put_records`].
pub(super) fn put_records_in(tx: &Connection, kiosk: &str, from: u64, records: &[Prepared]) -> Result<RecordsPut> {
    let stored_to: i64 = tx
        .query_row("SELECT coalesce(max(seq), 0) FROM chain_records WHERE kiosk_id = ?1", [kiosk], |r| r.get(0))
        .map_err(db)?;
    let stored_to = stored_to as u64;
    if from > stored_to + 1 {
        return Ok(RecordsPut::Gap { expected: stored_to + 1 });
    }
    let hash_at = |seq: u64| -> Result<String> {
        tx.query_row(
            "SELECT hash FROM chain_records WHERE kiosk_id = ?1 AND seq = ?2",
            params![kiosk, seq as i64],
            |r| r.get(0),
        )
        .map_err(db)
    };
    let prev = match from {
        1 => chain::GENESIS,
        _ => chain::parse_hex(&hash_at(from - 1)?).ok_or_else(|| db("a held record's hash is not hex"))?,
    };
    let broken = match crate::central::records::follow(prev, records) {
        Err(i) => Some(i),
        // Records already held must be the ones held.
        Ok(()) => records
            .iter()
            .enumerate()
            .take_while(|(_, r)| r.seq <= stored_to)
            .map(|(i, r)| Ok((i, hash_at(r.seq)? == chain::hex(&r.hash))))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .find_map(|(i, same)| (!same).then_some(i)),
    };
    if let Some(index) = broken {
        let seq = records[index].seq as i64;
        tx.execute(
            "UPDATE kiosks SET records_broken_at = min(coalesce(records_broken_at, ?2), ?2) WHERE id = ?1",
            params![kiosk, seq],
        )
        .map_err(db)?;
        return Ok(RecordsPut::Broken { index, seq: seq as u64 });
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO chain_records (kiosk_id, seq, tbl, row_id, content, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db)?;
    for r in records.iter().filter(|r| r.seq > stored_to) {
        insert.execute(params![kiosk, r.seq as i64, r.table, r.row_id, r.content, chain::hex(&r.hash)]).map_err(db)?;
    }
    let last = records.last().map_or(0, |r| r.seq);
    Ok(RecordsPut::Stored { stored_to: stored_to.max(last) })
}
/// Rows of `chain_records` as wire records.
pub(super) fn stored_records(c: &Connection, kiosk: &str, from: u64, limit: usize) -> Result<Vec<WireRecord>> {
    wire_records(
        c,
        "SELECT seq, tbl, row_id, content, hash FROM chain_records WHERE kiosk_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
        params![kiosk, from as i64, limit as i64],
        kiosk,
    )
}
/// Rows of `chain_records` (`seq, tbl, row_id, content, hash`) from `sql`
/// as wire records.
pub(super) fn wire_records(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    kiosk: &str,
) -> Result<Vec<WireRecord>> {
    let mut stmt = c.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map(p, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(db)?;
    rows.map(|row| {
        let (seq, tbl, id, content, hash) = row.map_err(db)?;
        WireRecord::from_stored(seq as u64, &tbl, id, &content, &hash)
            .ok_or_else(|| db(format!("held record {seq} of {kiosk} cannot be read back")))
    })
    .collect()
}

#[async_trait]
impl RecordStore for Sqlite {
    async fn put_records(&self, kiosk_id: &str, from: u64, records: &[Prepared], now: Instant) -> Result<RecordsPut> {
        let (kiosk, records) = (kiosk_id.to_string(), records.to_vec());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let put = put_records_in(&tx, &kiosk, from, &records)?;
            if !matches!(put, RecordsPut::Gap { .. }) {
                tx.execute(
                    "UPDATE kiosks SET last_seen = max(coalesce(last_seen, ?2), ?2) WHERE id = ?1",
                    params![kiosk, now],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(put)
        })
        .await
    }

    async fn records(&self, kiosk_id: &str, from: u64, limit: usize) -> Result<Vec<WireRecord>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| stored_records(c, &kiosk, from, limit)).await
    }

    async fn period_records(&self, kiosk_id: &str, from: Instant, to: Instant, before: u64) -> Result<Vec<WireRecord>> {
        let kiosk = kiosk_id.to_string();
        let before = before.min(i64::MAX as u64) as i64;
        self.read(move |c| {
            let sql = crate::central::records::period_records_sql(
                crate::central::records::sqlite_at,
                ["?1", "?2", "?3", "?4"],
                crate::central::records::SQLITE_HINTS,
            );
            wire_records(c, &sql, params![kiosk, from, to, before], &kiosk)
        })
        .await
    }

    async fn put_rules(&self, kiosk_id: &str, version: u64, content: &str, now: Instant) -> Result<bool> {
        let (kiosk, content) = (kiosk_id.to_string(), content.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let held: Option<String> = tx
                .query_row(
                    "SELECT content FROM kiosk_rules WHERE kiosk_id = ?1 AND version = ?2",
                    params![kiosk, version as i64],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            if let Some(held) = held {
                return Ok(held == content);
            }
            tx.execute(
                "INSERT INTO kiosk_rules (kiosk_id, version, content, received_at) VALUES (?1, ?2, ?3, ?4)",
                params![kiosk, version as i64, content, now],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(true)
        })
        .await
    }

    async fn rules(&self, kiosk_id: &str, version: Option<u64>) -> Result<Option<(u64, String)>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT version, content FROM kiosk_rules WHERE kiosk_id = ?1 AND (?2 IS NULL OR version = ?2)
                 ORDER BY version DESC LIMIT 1",
                params![kiosk, version.map(|v| v as i64)],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn unjudged(&self, kiosk_id: &str, limit: usize) -> Result<Vec<Unjudged>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(UNJUDGED).map_err(db)?;
            let rows = stmt
                .query_map(params![kiosk, limit as i64], |r| Ok((date_of(r.get(0)?)?, r.get(1)?, r.get(2)?)))
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn put_verdicts(&self, kiosk_id: &str, verdicts: &[StoredVerdict]) -> Result<()> {
        let (kiosk, verdicts) = (kiosk_id.to_string(), verdicts.to_vec());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            {
                let mut put = tx
                    .prepare_cached(
                        "INSERT INTO rejudged (kiosk_id, date, revision, state, detail, judged_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (kiosk_id, date, revision) DO UPDATE
                         SET state = excluded.state, detail = excluded.detail, judged_at = excluded.judged_at
                         WHERE rejudged.state = 'waiting'",
                    )
                    .map_err(db)?;
                for v in &verdicts {
                    put.execute(params![
                        kiosk,
                        v.date.to_string(),
                        v.revision,
                        v.state.as_str(),
                        v.detail,
                        v.judged_at
                    ])
                    .map_err(db)?;
                }
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn differing(&self, kiosk_id: &str, limit: usize) -> Result<Vec<StoredVerdict>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT date, revision, state, detail, judged_at FROM rejudged
                     WHERE kiosk_id = ?1 AND state = 'differs' ORDER BY date DESC, revision DESC LIMIT ?2",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![kiosk, limit as i64], |r| {
                    Ok(StoredVerdict {
                        date: date_of(r.get(0)?)?,
                        revision: r.get(1)?,
                        state: VerdictState::parse(&r.get::<_, String>(2)?),
                        detail: r.get(3)?,
                        judged_at: r.get(4)?,
                    })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }
}
