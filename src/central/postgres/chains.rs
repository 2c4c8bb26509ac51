//! Postgres: the kiosks' record chains, their declared rules and the
//! re-judging's verdicts, for
//! [`RecordStore`](crate::central::storage::RecordStore).

use super::*;

/// Rows of `chain_records` (`seq, tbl, row_id, content, hash`) as wire records.
pub(super) fn wire_records(rows: &[tokio_postgres::Row], kiosk_id: &str) -> Result<Vec<WireRecord>> {
    rows.iter()
        .map(|r| {
            let seq: i64 = r.get(0);
            WireRecord::from_stored(seq as u64, r.get(1), r.get(2), r.get(3), r.get(4))
                .ok_or_else(|| db(format!("held record {seq} of {kiosk_id} cannot be read back")))
        })
        .collect()
}
/// PostgreSQL's spelling of SQLite's query (`?1` → `$1`).
pub(super) fn numbered(sql: &str) -> String {
    sql.replace("?1", "$1").replace("?2", "$2")
}

#[async_trait]
impl RecordStore for Postgres {
    async fn put_records(&self, kiosk_id: &str, from: u64, records: &[Prepared], now: Instant) -> Result<RecordsPut> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        // One call of a kiosk at a time: its row is the lock (and the
        // kiosk is seen, unless the call leaves a gap: that rolls back).
        tx.execute(
            "UPDATE kiosks SET last_seen = greatest(coalesce(last_seen, $2), $2) WHERE id = $1",
            &[&kiosk_id, &now],
        )
        .await
        .map_err(pg)?;
        let stored_to: i64 = tx
            .query_one("SELECT coalesce(max(seq), 0) FROM chain_records WHERE kiosk_id = $1", &[&kiosk_id])
            .await
            .map_err(pg)?
            .get(0);
        let stored_to = stored_to as u64;
        if from > stored_to + 1 {
            return Ok(RecordsPut::Gap { expected: stored_to + 1 });
        }
        let last = records.last().map_or(0, |r| r.seq);
        // The hash before the call and those of the records already held.
        let held: std::collections::HashMap<i64, String> = tx
            .query(
                "SELECT seq, hash FROM chain_records WHERE kiosk_id = $1 AND seq >= $2 AND seq <= $3",
                &[&kiosk_id, &(from as i64 - 1), &(last.min(stored_to).max(from - 1) as i64)],
            )
            .await
            .map_err(pg)?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let prev = match from {
            1 => chain::GENESIS,
            _ => held
                .get(&(from as i64 - 1))
                .and_then(|h| chain::parse_hex(h))
                .ok_or_else(|| db("a held record's hash is missing or not hex"))?,
        };
        let broken = match crate::central::records::follow(prev, records) {
            Err(i) => Some(i),
            Ok(()) => records
                .iter()
                .enumerate()
                .take_while(|(_, r)| r.seq <= stored_to)
                .find_map(|(i, r)| (held.get(&(r.seq as i64)) != Some(&chain::hex(&r.hash))).then_some(i)),
        };
        if let Some(index) = broken {
            let seq = records[index].seq as i64;
            tx.execute(
                "UPDATE kiosks SET records_broken_at = least(coalesce(records_broken_at, $2), $2) WHERE id = $1",
                &[&kiosk_id, &seq],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            return Ok(RecordsPut::Broken { index, seq: seq as u64 });
        }
        let new: Vec<&Prepared> = records.iter().filter(|r| r.seq > stored_to).collect();
        let seqs: Vec<i64> = new.iter().map(|r| r.seq as i64).collect();
        let tables: Vec<&str> = new.iter().map(|r| r.table.as_str()).collect();
        let ids: Vec<i64> = new.iter().map(|r| r.row_id).collect();
        let contents: Vec<&str> = new.iter().map(|r| r.content.as_str()).collect();
        let hashes: Vec<String> = new.iter().map(|r| chain::hex(&r.hash)).collect();
        tx.execute(
            "INSERT INTO chain_records (kiosk_id, seq, tbl, row_id, content, hash)
             SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[])",
            &[&kiosk_id, &seqs, &tables, &ids, &contents, &hashes],
        )
        .await
        .map_err(pg)?;
        tx.commit().await.map_err(pg)?;
        Ok(RecordsPut::Stored { stored_to: stored_to.max(last) })
    }

    async fn records(&self, kiosk_id: &str, from: u64, limit: usize) -> Result<Vec<WireRecord>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT seq, tbl, row_id, content, hash FROM chain_records WHERE kiosk_id = $1 AND seq >= $2
                 ORDER BY seq LIMIT $3",
                &[&kiosk_id, &(from as i64), &(limit as i64)],
            )
            .await
            .map_err(pg)?;
        wire_records(&rows, kiosk_id)
    }

    async fn period_records(&self, kiosk_id: &str, from: Instant, to: Instant, before: u64) -> Result<Vec<WireRecord>> {
        let sql = crate::central::records::period_records_sql(
            crate::central::records::postgres_at,
            ["$1", "$2", "$3", "$4"],
            ["", ""],
        );
        let before = before.min(i64::MAX as u64) as i64;
        let rows = self.client().await?.query(&sql, &[&kiosk_id, &from, &to, &before]).await.map_err(pg)?;
        wire_records(&rows, kiosk_id)
    }

    async fn put_rules(&self, kiosk_id: &str, version: u64, content: &str, now: Instant) -> Result<bool> {
        let c = self.client().await?;
        let inserted = c
            .execute(
                "INSERT INTO kiosk_rules (kiosk_id, version, content, received_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (kiosk_id, version) DO NOTHING",
                &[&kiosk_id, &(version as i64), &content, &now],
            )
            .await
            .map_err(pg)?;
        if inserted == 1 {
            return Ok(true);
        }
        let held: String = c
            .query_one(
                "SELECT content FROM kiosk_rules WHERE kiosk_id = $1 AND version = $2",
                &[&kiosk_id, &(version as i64)],
            )
            .await
            .map_err(pg)?
            .get(0);
        Ok(held == content)
    }

    async fn rules(&self, kiosk_id: &str, version: Option<u64>) -> Result<Option<(u64, String)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT version, content FROM kiosk_rules WHERE kiosk_id = $1 AND ($2::BIGINT IS NULL OR version = $2)
                 ORDER BY version DESC LIMIT 1",
                &[&kiosk_id, &version.map(|v| v as i64)],
            )
            .await
            .map_err(pg)?;
        Ok(row.map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    async fn unjudged(&self, kiosk_id: &str, limit: usize) -> Result<Vec<Unjudged>> {
        let rows = self.client().await?.query(&numbered(UNJUDGED), &[&kiosk_id, &(limit as i64)]).await.map_err(pg)?;
        rows.iter().map(|r| Ok((date_of(r.get(0))?, r.get(1), r.get(2)))).collect()
    }

    async fn put_verdicts(&self, kiosk_id: &str, verdicts: &[StoredVerdict]) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let put = tx
            .prepare_cached(
                "INSERT INTO rejudged (kiosk_id, date, revision, state, detail, judged_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (kiosk_id, date, revision) DO UPDATE
                 SET state = excluded.state, detail = excluded.detail, judged_at = excluded.judged_at
                 WHERE rejudged.state = 'waiting'",
            )
            .await
            .map_err(pg)?;
        for v in verdicts {
            tx.execute(
                &put,
                &[&kiosk_id, &v.date.to_string(), &v.revision, &v.state.as_str(), &v.detail, &v.judged_at],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }

    async fn differing(&self, kiosk_id: &str, limit: usize) -> Result<Vec<StoredVerdict>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT date, revision, state, detail, judged_at FROM rejudged
                 WHERE kiosk_id = $1 AND state = 'differs' ORDER BY date DESC, revision DESC LIMIT $2",
                &[&kiosk_id, &(limit as i64)],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                Ok(StoredVerdict {
                    date: date_of(r.get(0))?,
                    revision: r.get(1),
                    state: VerdictState::parse(r.get(2)),
                    detail: r.get(3),
                    judged_at: r.get(4),
                })
            })
            .collect()
    }
}
