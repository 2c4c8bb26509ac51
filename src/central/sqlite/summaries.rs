//! Sqlite: the daily summaries and the reports read from them, for
//! [`SummaryStore`](crate::central::storage::SummaryStore).

use super::*;

/// One upload decided and stored on `tx` (a savepoint of a batch): the
/// stored revision compared, the summary and its people inserted, the
/// chain checked, the kiosk's last seen and clock offset updated.
pub(super) fn put_in(tx: &Connection, kiosk: &str, u: &Upload) -> Result<Put> {
    let date = u.summary.date.to_string();
    let stored: Option<(i64, String)> = tx
        .query_row(
            "SELECT revision, content_key FROM summaries WHERE kiosk_id = ?1 AND date = ?2 AND latest = 1",
            params![kiosk, date],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    let put = ingest::decide(stored.as_ref().map(|(r, k)| (*r, k.as_str())), u.summary.revision, &u.content_key);
    if put == Put::Stored {
        // The limits first: a refusal writes nothing.
        let revisions: i64 = tx
            .query_row("SELECT count(*) FROM summaries WHERE kiosk_id = ?1 AND date = ?2", params![kiosk, date], |r| {
                r.get(0)
            })
            .map_err(db)?;
        let day = budget_day(u.received_at);
        let used: i64 = tx
            .query_row("SELECT bytes FROM upload_budget WHERE kiosk_id = ?1 AND day = ?2", params![kiosk, day], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)?
            .unwrap_or(0);
        if let Some(refused) = over_limits(revisions, used, u.json.len()) {
            return Ok(refused);
        }
        let mut owner = tx
            .prepare_cached("SELECT kiosk_id FROM person_days WHERE date = ?1 AND staff_no = ?2 AND kiosk_id <> ?3")
            .map_err(db)?;
        for (index, p) in u.summary.people.iter().enumerate() {
            if let Some(other) =
                owner.query_row(params![date, p.staff_no, kiosk], |r| r.get::<_, String>(0)).optional().map_err(db)?
            {
                return Ok(Put::Claimed { index, staff_no: p.staff_no.clone(), kiosk: other });
            }
        }
        // This revision's people are the kiosk's claims for the date: one
        // it no longer names (a typo corrected, a transfer) is given up.
        tx.execute("DELETE FROM person_days WHERE date = ?1 AND kiosk_id = ?2", params![date, kiosk]).map_err(db)?;
        let mut claim = tx
            .prepare_cached("INSERT OR IGNORE INTO person_days (date, staff_no, kiosk_id) VALUES (?1, ?2, ?3)")
            .map_err(db)?;
        for p in &u.summary.people {
            claim.execute(params![date, p.staff_no, kiosk]).map_err(db)?;
        }
        tx.execute(
            "INSERT INTO upload_budget (kiosk_id, day, bytes) VALUES (?1, ?2, ?3)
             ON CONFLICT (kiosk_id, day) DO UPDATE SET bytes = bytes + excluded.bytes",
            params![kiosk, day, u.json.len() as i64],
        )
        .map_err(db)?;
        tx.execute("UPDATE summaries SET latest = 0 WHERE kiosk_id = ?1 AND date = ?2", params![kiosk, date])
            .map_err(db)?;
        tx.execute("UPDATE summary_people SET latest = 0 WHERE kiosk_id = ?1 AND date = ?2", params![kiosk, date])
            .map_err(db)?;
        tx.execute(
            "INSERT INTO summaries (kiosk_id, date, revision, content, content_key, received_at, latest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
            params![kiosk, date, u.summary.revision, u.json, u.content_key, u.received_at],
        )
        .map_err(db)?;
        let mut ins = tx
            .prepare_cached(&format!(
                "INSERT INTO summary_people (kiosk_id, date, revision, latest, {}, expected, present)
                 VALUES (?1, ?2, ?3, 1, {})",
                person_columns(""),
                (4..4 + 21).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
            ))
            .map_err(db)?;
        for p in &u.summary.people {
            let f = figures_of(&p.figures);
            let punches = serde_json::to_string(&p.punches).map_err(db)?;
            let (expected, present) = day_counts(p);
            let status = p.status.as_str();
            let mut values: Vec<&dyn rusqlite::ToSql> =
                vec![&kiosk, &date, &u.summary.revision, &p.staff_no, &p.name, &p.unit, &status];
            values.extend(f.iter().map(|v| v as &dyn rusqlite::ToSql));
            values.extend([&punches as &dyn rusqlite::ToSql, &expected, &present]);
            ins.execute(values.as_slice()).map_err(db)?;
        }
        keep_sums(tx, kiosk, &u.summary.date, stored.as_ref().map(|(r, _)| *r), u.summary.revision)?;
        if crate::central::rejudging::never_judged(&u.summary) {
            let why = crate::central::rejudging::NAMES_NO_RULES;
            tx.prepare_cached(crate::central::rejudging::UNJUDGEABLE)
                .and_then(|mut st| st.execute(params![kiosk, date, u.summary.revision, why, u.received_at]))
                .map_err(db)?;
        }
    }
    // Only a newly stored summary adds a point: a resent one is not news.
    if put == Put::Stored {
        if let (Some(length), Some(head)) = (u.summary.chain_length, &u.summary.chain_head) {
            let seen: Vec<(u64, String, Instant)> = tx
                .prepare(
                    "SELECT length, head, made_at FROM chain_points WHERE kiosk_id = ?1 AND \
                 (length = ?2 OR (made_at < ?3 AND length > ?2) OR (made_at > ?3 AND length < ?2)) LIMIT 4",
                )
                .map_err(db)?
                .query_map(params![kiosk, length as i64, u.generated_at], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
                })
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            let verdict = chain_verdict(&seen, length, head, u.generated_at);
            if verdict != ChainState::Ok {
                tx.execute("UPDATE kiosks SET chain_state = ?2 WHERE id = ?1", params![kiosk, verdict.as_str()])
                    .map_err(db)?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO chain_points (kiosk_id, length, head, made_at) VALUES (?1, ?2, ?3, ?4)",
                params![kiosk, length as i64, head, u.generated_at],
            )
            .map_err(db)?;
        }
    }
    tx.execute(
        "UPDATE kiosks SET last_seen = ?2, clock_offset_ms = coalesce(?3, clock_offset_ms) WHERE id = ?1",
        params![kiosk, u.received_at, u.clock_offset_ms],
    )
    .map_err(db)?;
    Ok(put)
}
/// A person's (`?1`) latest rows from `from` to `to`, day by day (see
/// [`sums::days_list`]).
pub(super) fn person_days_sql(from: NaiveDate, to: NaiveDate) -> String {
    format!(
        "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
         FROM summary_people p {} JOIN summaries s USING (kiosk_id, date, revision)
         WHERE p.staff_no = ?1 AND p.latest = 1 AND p.date IN ({}) ORDER BY p.date, p.kiosk_id",
        person_columns("p."),
        sums::ByDay::Sqlite.hint(),
        sums::days_list(from, to)
    )
}

/// The sums of [`sums`] kept for a newly stored revision of a kiosk's
/// day, after its rows are written (`old`: the revision it replaces).
fn keep_sums(tx: &Connection, kiosk: &str, date: &NaiveDate, old: Option<i64>, new: i64) -> Result<()> {
    let month = sums::month_of(*date);
    let day = date.to_string();
    match old {
        None => {
            tx.prepare_cached(&sums::add_to_months())
                .and_then(|mut s| s.execute(params![kiosk, day, new, month]))
                .map_err(db)?;
        }
        Some(old) => {
            tx.prepare_cached(&sums::drop_touched_months())
                .and_then(|mut s| s.execute(params![kiosk, day, old, new, month]))
                .map_err(db)?;
            tx.prepare_cached(&sums::refill_touched_months(*date, sums::ByDay::Sqlite))
                .and_then(|mut s| s.execute(params![kiosk, day, old, new]))
                .map_err(db)?;
        }
    }
    tx.prepare_cached(sums::DROP_UNIT_DAY).and_then(|mut s| s.execute(params![kiosk, day])).map_err(db)?;
    tx.prepare_cached(&sums::put_unit_day()).and_then(|mut s| s.execute(params![kiosk, day, new])).map_err(db)?;
    Ok(())
}

pub(super) fn person_from(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<PersonSummary> {
    let mut f = [0u32; 14];
    for (i, v) in f.iter_mut().enumerate() {
        *v = r.get(at + 4 + i)?;
    }
    let punches: String = r.get(at + 18)?;
    Ok(PersonSummary {
        staff_no: r.get(at)?,
        name: r.get(at + 1)?,
        unit: r.get(at + 2)?,
        status: status_of(&r.get::<_, String>(at + 3)?),
        figures: figures_from(f),
        punches: serde_json::from_str(&punches).unwrap_or_default(),
    })
}
/// A `PersonDay` from `kiosk_id, date, revision, received_at` and the
/// person's columns.
pub(super) fn person_day(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonDay> {
    Ok(PersonDay {
        kiosk_id: r.get(0)?,
        date: date_of(r.get(1)?)?,
        revision: r.get(2)?,
        received_at: r.get(3)?,
        person: person_from(r, 4)?,
    })
}
/// A set of units as the statements take it: a JSON array read with
/// `json_each` (`None`: every unit).
fn units_json(units: Option<&[String]>) -> Option<String> {
    units.map(|u| serde_json::Value::from(u.to_vec()).to_string())
}

/// The latest person rows in `[from, to]` (of a set of units, when given,
/// as [`units_json`]) that meet `condition` (SQL over `p.`), in `order`.
pub(super) fn latest_days(
    c: &Connection,
    (from, to, unit): (NaiveDate, NaiveDate, Option<String>),
    condition: &str,
    order: &str,
) -> Result<Vec<PersonDay>> {
    let sql = format!(
        "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
         FROM summary_people p JOIN summaries s USING (kiosk_id, date, revision)
         WHERE p.date >= ?1 AND p.date <= ?2 AND p.latest = 1
           AND (?3 IS NULL OR p.unit IN (SELECT value FROM json_each(?3))) AND ({condition})
         ORDER BY {order}",
        person_columns("p.")
    );
    let mut stmt = c.prepare_cached(&sql).map_err(db)?;
    let days = stmt
        .query_map(params![from.to_string(), to.to_string(), unit], person_day)
        .map_err(db)?
        .collect::<rusqlite::Result<_>>()
        .map_err(db)?;
    Ok(days)
}
pub(super) fn person_columns(prefix: &str) -> String {
    let mut cols = vec!["staff_no", "name", "unit", "status"];
    cols.extend(FIGURES);
    cols.push("punches");
    cols.iter().map(|c| format!("{prefix}{c}")).collect::<Vec<_>>().join(", ")
}

#[async_trait]
impl SummaryStore for Sqlite {
    async fn put_summary(&self, kiosk_id: &str, upload: &Upload) -> Result<Put> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.puts
            .send(Job::Batched(Batched::Put { kiosk: kiosk_id.to_string(), upload: Box::new(upload.clone()), reply }))
            .map_err(|_| db("the writer thread is gone"))?;
        answer.await.map_err(|_| db("the writer thread is gone"))?
    }

    async fn held_revisions(&self, kiosk_id: &str) -> Result<Vec<(NaiveDate, i64)>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT date, revision FROM summaries WHERE kiosk_id = ?1 AND latest = 1 ORDER BY date")
                .map_err(db)?;
            let rows = stmt.query_map([kiosk], |r| Ok((date_of(r.get(0)?)?, r.get(1)?))).map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn latest_summaries(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(NaiveDate, String)>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<SummaryPage> {
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT revision, received_at, content FROM summaries
                     WHERE latest = 1 AND date >= ?1 AND date <= ?2
                       AND (?3 IS NULL OR date > ?3 OR (date = ?3 AND kiosk_id > ?4))
                     ORDER BY date, kiosk_id LIMIT ?5",
                )
                .map_err(db)?;
            let (after_date, after_kiosk) = after.map_or((None, None), |(d, k)| (Some(d.to_string()), Some(k)));
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![from.to_string(), to.to_string(), after_date, after_kiosk, limit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            let mut bytes = 0;
            for row in rows {
                let (rev, at, content) = row.map_err(db)?;
                bytes += content.len();
                out.push((rev, at, serde_json::from_str(&content).map_err(db)?));
                if bytes >= max_bytes {
                    return Ok(SummaryPage { rows: out, cut_at_bytes: true });
                }
            }
            Ok(SummaryPage { rows: out, cut_at_bytes: false })
        })
        .await
    }

    async fn report_people(&self, from: NaiveDate, to: NaiveDate, units: Option<&[String]>) -> Result<Vec<ReportRow>> {
        let unit = units_json(units);
        self.read(move |c| {
            // Whole months from their sums, the days of a partial month
            // from the day rows (see `sums`), added up here.
            let of_units = "(?3 IS NULL OR unit IN (SELECT value FROM json_each(?3)))";
            let parts = sums::report_parts(from, to, of_units, "latest = 1", "expected, present");
            let mut people = sums::People::default();
            for (sql, a, b) in parts {
                let mut stmt = c.prepare_cached(&sql).map_err(db)?;
                let mut rows = stmt.query(params![a, b, unit]).map_err(db)?;
                while let Some(r) = rows.next().map_err(db)? {
                    let text = |i| r.get_ref(i).and_then(|v| Ok(v.as_str()?)).map_err(db);
                    let mut figures = [0i64; 14];
                    for (i, v) in figures.iter_mut().enumerate() {
                        *v = r.get(6 + i).map_err(db)?;
                    }
                    people.add(sums::Part {
                        staff_no: text(0)?,
                        last: text(1)?,
                        name: text(2)?,
                        unit: text(3)?,
                        expected: r.get(4).map_err(db)?,
                        present: r.get(5).map_err(db)?,
                        figures,
                    });
                }
            }
            Ok(people.rows())
        })
        .await
    }

    async fn person_history(
        &self,
        staff_no: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(PersonDay, Vec<Earlier>)>> {
        let no = staff_no.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare(&person_days_sql(from, to)).map_err(db)?;
            let days: Vec<PersonDay> =
                stmt.query_map(params![no], person_day).map_err(db)?.collect::<rusqlite::Result<_>>().map_err(db)?;
            // Every earlier revision of the day, with this person's row in
            // it where there is one.
            let mut revs = c
                .prepare(&format!(
                    "SELECT s.revision, s.received_at, {}
                     FROM summaries s LEFT JOIN summary_people p
                       ON p.kiosk_id = s.kiosk_id AND p.date = s.date AND p.revision = s.revision AND p.staff_no = ?3
                     WHERE s.kiosk_id = ?1 AND s.date = ?2 AND s.latest = 0 ORDER BY s.revision",
                    person_columns("p.")
                ))
                .map_err(db)?;
            let mut out = Vec::new();
            for d in days {
                let earlier: Vec<Earlier> = revs
                    .query_map(params![d.kiosk_id, d.date.to_string(), no], |r| {
                        let person = match r.get::<_, Option<String>>(2)? {
                            Some(_) => Some(person_from(r, 2)?),
                            None => None,
                        };
                        Ok(Earlier { revision: r.get(0)?, received_at: r.get(1)?, person })
                    })
                    .map_err(db)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(db)?;
                out.push((d, earlier));
            }
            Ok(out)
        })
        .await
    }

    async fn unit_days(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<PersonDay>> {
        let unit = units_json(Some(std::slice::from_ref(&unit.to_string())));
        self.read(move |c| latest_days(c, (from, to, unit), "1", "p.staff_no, p.date")).await
    }

    async fn spot_check_days(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        units: Option<&[String]>,
    ) -> Result<Vec<PersonDay>> {
        let unit = units_json(units);
        let spot = "p.spot_check_absences + p.spot_checks_present > 0";
        self.read(move |c| latest_days(c, (from, to, unit), spot, "p.date, p.unit, p.staff_no")).await
    }

    async fn daily_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        units: Option<&[String]>,
    ) -> Result<Vec<(NaiveDate, DayCounts)>> {
        let unit = units_json(units);
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT date, sum(late_count), sum(early_count), sum(absent_sessions) FROM unit_days
                     WHERE date >= ?1 AND date <= ?2 AND (?3 IS NULL OR unit IN (SELECT value FROM json_each(?3)))
                     GROUP BY date ORDER BY date",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![from.to_string(), to.to_string(), unit], |r| {
                    let n = |i| r.get::<_, i64>(i).map(|v| u32::try_from(v).unwrap_or(u32::MAX));
                    Ok((date_of(r.get(0)?)?, DayCounts { late: n(1)?, early: n(2)?, absent: n(3)? }))
                })
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    async fn exception_days(&self, date: NaiveDate, kind: DayException) -> Result<Vec<PersonDay>> {
        self.read(move |c| latest_days(c, (date, date, None), kind.condition(), "p.unit, p.staff_no")).await
    }

    async fn day_units(&self, date: NaiveDate) -> Result<DayUnits> {
        self.read(move |c| {
            let day = date.to_string();
            let mut sent = c
                .prepare_cached("SELECT kiosk_id FROM summaries WHERE date = ?1 AND latest = 1 ORDER BY kiosk_id")
                .map_err(db)?;
            let sent: Vec<String> =
                sent.query_map([&day], |r| r.get(0)).map_err(db)?.collect::<rusqlite::Result<_>>().map_err(db)?;
            let sql = format!("SELECT unit, {} FROM unit_days WHERE date = ?1", sums::UNIT_DAY_COLUMNS);
            let mut stmt = c.prepare_cached(&sql).map_err(db)?;
            let units = stmt
                .query_map([&day], |r| {
                    let mut n = [0i64; 13];
                    for (i, v) in n.iter_mut().enumerate() {
                        *v = r.get(1 + i)?;
                    }
                    Ok(sums::unit_day(r.get(0)?, n))
                })
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            Ok(DayUnits { sent, units })
        })
        .await
    }
}
