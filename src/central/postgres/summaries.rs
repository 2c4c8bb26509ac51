//! Postgres: the daily summaries and the reports read from them, for
//! [`SummaryStore`](crate::central::storage::SummaryStore).

use super::*;
use crate::central::sums;

pub(super) fn person_columns(prefix: &str) -> String {
    let mut cols = vec!["staff_no", "name", "unit", "status"];
    cols.extend(FIGURES);
    cols.push("punches");
    cols.iter().map(|c| format!("{prefix}{c}")).collect::<Vec<_>>().join(", ")
}
/// A `PersonDay` from `kiosk_id, date, revision, received_at` and the
/// person's columns.
pub(super) fn person_day(r: &tokio_postgres::Row) -> Result<PersonDay> {
    Ok(PersonDay {
        kiosk_id: r.get(0),
        date: date_of(r.get(1))?,
        revision: r.get(2),
        received_at: r.get(3),
        person: person_from(r, 4),
    })
}
pub(super) fn person_from(r: &tokio_postgres::Row, at: usize) -> PersonSummary {
    let mut f = [0u32; 14];
    for (i, v) in f.iter_mut().enumerate() {
        *v = r.get::<_, i64>(at + 4 + i) as u32;
    }
    let punches: String = r.get(at + 18);
    PersonSummary {
        staff_no: r.get(at),
        name: r.get(at + 1),
        unit: r.get(at + 2),
        status: status_of(r.get(at + 3)),
        figures: figures_from(f),
        punches: serde_json::from_str(&punches).unwrap_or_default(),
    }
}

type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);

impl Postgres {
    /// One try at storing an upload (see `put_summary`). A kiosk's first
    /// summary of a day is written plainly unless `careful`: `None` when a
    /// person it names turned out to be another kiosk's that day (the
    /// claims' key said so), to be tried again carefully, which finds the
    /// holder and refuses with 409.
    async fn put_once(&self, kiosk_id: &str, u: &Upload, careful: bool) -> Result<Option<Put>> {
        // Few round trips, each a pipelined batch (the futures of a
        // `try_join!` send their statements in order on their first poll,
        // and the server runs them in that order): an upload waits on the
        // network and a busy machine's scheduler once a batch, not once a
        // statement. Every statement is prepared once per connection.
        // The people's columns, made before the transaction opens (it holds
        // the kiosk's lock): all the people go in one statement.
        let ps = &u.summary.people;
        let col = |f: &dyn Fn(&PersonSummary) -> String| ps.iter().map(f).collect::<Vec<String>>();
        let (staff_nos, names, units) =
            (col(&|p| p.staff_no.clone()), col(&|p| p.name.clone()), col(&|p| p.unit.clone()));
        let statuses = col(&|p| p.status.as_str().to_string());
        let punches = col(&|p| serde_json::to_string(&p.punches).unwrap_or_else(|_| "[]".into()));
        let figures: Vec<Vec<i64>> =
            (0..14).map(|i| ps.iter().map(|p| i64::from(figures_of(&p.figures)[i])).collect()).collect();
        let expected: Vec<i32> = ps.iter().map(|p| day_counts(p).0 as i32).collect();
        let present: Vec<i32> = ps.iter().map(|p| day_counts(p).1 as i32).collect();
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let date = u.summary.date.to_string();
        let day = budget_day(u.received_at);
        let stored_sql = [
            // One upload of a kiosk at a time: its row is the lock, taken
            // before anything is read.
            "SELECT 1 FROM kiosks WHERE id = $1 FOR UPDATE",
            // The latest is the highest revision (one is stored only above
            // the one held), read by the key: a `latest` here would let
            // PostgreSQL take the date's index (see `CLAIMS`).
            "SELECT revision, content_key FROM summaries WHERE kiosk_id = $1 AND date = $2 ORDER BY revision DESC LIMIT 1",
            "SELECT count(*) FROM summaries WHERE kiosk_id = $1 AND date = $2",
            "SELECT bytes FROM upload_budget WHERE kiosk_id = $1 AND day = $2",
        ];
        let [lock, latest, count, budget] = prepare_all(&tx, stored_sql).await?;
        let (kiosk_date, kiosk_day) = ([&kiosk_id as Param, &date], [&kiosk_id as Param, &day]);
        let (_, stored, revisions, used) = futures_util::try_join!(
            tx.execute(&lock, &kiosk_date[..1]),
            tx.query_opt(&latest, &kiosk_date),
            tx.query_one(&count, &kiosk_date),
            tx.query_opt(&budget, &kiosk_day),
        )
        .map_err(pg)?;
        let stored = stored.map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)));
        let put = ingest::decide(stored.as_ref().map(|(r, k)| (*r, k.as_str())), u.summary.revision, &u.content_key);
        let seen_sql =
            "UPDATE kiosks SET last_seen = $2, clock_offset_ms = coalesce($3, clock_offset_ms) WHERE id = $1";
        if put != Put::Stored {
            let seen = tx.prepare_cached(seen_sql).await.map_err(pg)?;
            tx.execute(&seen, &[&kiosk_id, &u.received_at, &u.clock_offset_ms]).await.map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            return Ok(Some(put));
        }
        // The limits first; a refusal returns before the commit, so the
        // transaction rolls back and nothing is written.
        if let Some(refused) = over_limits(revisions.get(0), used.map_or(0, |r| r.get(0)), u.json.len()) {
            return Ok(Some(refused));
        }
        // The people's rows are their claims (see `CLAIMS`): inserted
        // first, plainly (below) or `ON CONFLICT DO NOTHING` on a person's
        // latest row of the date and then looked at (`claim_carefully`).
        // A claim another kiosk's upload makes at the same moment waits
        // on the key, and is seen here once that transaction commits. The
        // rows go in staff-number order, so two first summaries wait for
        // each other, never deadlock. (`DO NOTHING` locks no row; `DO
        // UPDATE` would lock every conflicting one.) A later revision
        // first gives up the kiosk's rows of the day (no longer the
        // latest: the people it still names are claimed again by its own
        // rows, the others are free). Those rows stay locked until the
        // commit, and an upload of another kiosk naming one of them waits
        // for it: when that upload has meanwhile inserted a person this
        // revision names too, the two wait on each other, PostgreSQL ends
        // one (a deadlock, tried again by `put_summary`) and the other
        // goes on. (Two doors reporting one person on one day, one of them
        // revising it: rare, and refused with 409 in the end either way.)
        let mut values: Vec<Param> = vec![&kiosk_id, &date, &u.summary.revision, &staff_nos, &names, &units, &statuses];
        values.extend(figures.iter().map(|v| v as Param));
        values.extend([&punches as Param, &expected as Param, &present as Param]);
        let arrays: Vec<String> = (4..=7)
            .map(|i| format!("${i}::text[]"))
            .chain((8..8 + 14).map(|i| format!("${i}::bigint[]")))
            .chain(["$22::text[]".to_string(), "$23::int[]".to_string(), "$24::int[]".to_string()])
            .collect();
        let insert_people = format!(
            "INSERT INTO summary_people (kiosk_id, date, revision, latest, {cols})
             SELECT $1, $2, $3, true, u.* FROM unnest({}) AS u({cols}) ORDER BY u.staff_no COLLATE \"C\"",
            arrays.join(", "),
            cols = format!("{}, expected, present", person_columns("")),
        );
        let month = sums::month_of(u.summary.date);
        let plain = stored.is_none() && !careful;
        if plain {
            // A kiosk's first summary of the day (nearly every upload of a
            // province): its people's rows inserted plainly, and added to
            // their months and to the unit's day from the insert's own
            // rows in the same statement, not read back from the table.
            // `ON CONFLICT` would cost each row a second look at the key
            // and a second WAL record; a person another kiosk holds breaks
            // the key instead (after waiting for that kiosk's transaction,
            // as above), and the upload is tried again carefully.
            //
            // A person's month is updated where it is kept already, and
            // added otherwise (`ON CONFLICT` for one another upload adds
            // meanwhile: a unit with two doors).
            let absent =
                "ins i WHERE NOT EXISTS (SELECT 1 FROM kept k WHERE k.unit = i.unit AND k.staff_no = i.staff_no)";
            let written = format!(
                "WITH ins AS ({insert_people} RETURNING *), kept AS ({}), added AS ({}), days AS ({})
                 SELECT count(*) FROM ins",
                sums::months_updated_from("ins", "$25"),
                sums::numbered(&sums::months_added_from(absent, "?25")),
                sums::unit_days_from("ins"),
            );
            let [drop_day, write] = prepare_all(&tx, [&sums::numbered(sums::DROP_UNIT_DAY), &written]).await?;
            values.push(&month);
            match futures_util::try_join!(tx.execute(&drop_day, &kiosk_date), tx.query_one(&write, &values)) {
                Err(e) if claimed_elsewhere(&e) => return Ok(None),
                Err(e) => return Err(pg(e)),
                Ok(_) => {}
            }
        } else if let Some((index, other)) =
            claim_carefully(&tx, kiosk_id, &date, u, stored.as_ref().map(|(r, _)| *r), &insert_people, &values).await?
        {
            let staff_no = u.summary.people[index].staff_no.clone();
            return Ok(Some(Put::Claimed { index, staff_no, kiosk: other }));
        }

        let store_sql = [
            "INSERT INTO upload_budget (kiosk_id, day, bytes) VALUES ($1, $2, $3)
             ON CONFLICT (kiosk_id, day) DO UPDATE SET bytes = upload_budget.bytes + excluded.bytes",
            "UPDATE summaries SET latest = false WHERE kiosk_id = $1 AND date = $2",
            "INSERT INTO summaries (kiosk_id, date, revision, content, content_key, received_at, latest)
             VALUES ($1, $2, $3, $4, $5, $6, true)",
            seen_sql,
            // A newly stored summary adds a point to the kiosk's record
            // chain (a resent one is not news): the points it contradicts
            // read first, then it is added.
            "SELECT length, head, made_at FROM chain_points WHERE kiosk_id = $1 AND \
             (length = $2 OR (made_at < $3 AND length > $2) OR (made_at > $3 AND length < $2)) LIMIT 4",
            "INSERT INTO chain_points (kiosk_id, length, head, made_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        ];
        let [spend, older, insert, seen, points, add_point] = prepare_all(&tx, store_sql).await?;
        // The sums (see `sums`), after the people's rows in the batch
        // (written with them when `plain`).
        let new = u.summary.revision;
        let old = stored.as_ref().map(|(r, _)| *r);
        let mut sum_steps: Vec<(String, Vec<Param>)> = Vec::new();
        if !plain {
            match &old {
                None => sum_steps.push((sums::add_to_months(), vec![&kiosk_id, &date, &new, &month])),
                Some(old) => sum_steps.extend([
                    (sums::drop_touched_months(), vec![&kiosk_id as Param, &date, old, &new, &month]),
                    (
                        sums::refill_touched_months(u.summary.date, sums::ByDay::Postgres),
                        vec![&kiosk_id, &date, old, &new],
                    ),
                ]),
            }
            sum_steps.push((sums::DROP_UNIT_DAY.to_string(), vec![&kiosk_id, &date]));
            sum_steps.push((sums::put_unit_day(), vec![&kiosk_id, &date, &new]));
        }
        let mut sum_statements = Vec::new();
        for (sql, _) in &sum_steps {
            sum_statements.push(tx.prepare_cached(&sums::numbered(sql)).await.map_err(pg)?);
        }
        let keep_sums = futures_util::future::try_join_all(
            sum_steps.iter().zip(&sum_statements).map(|((_, params), st)| tx.execute(st, params)),
        );
        let chain = u.summary.chain_length.zip(u.summary.chain_head.as_ref()).map(|(l, h)| (l as i64, h));
        // The chain's points are read before this one is added (in the
        // batch's order); with no chain in the summary, neither is sent.
        let (read_points, add_point) = (
            async {
                match &chain {
                    Some((length, _)) => tx.query(&points, &[&kiosk_id, length, &u.generated_at]).await,
                    None => Ok(Vec::new()),
                }
            },
            async {
                match &chain {
                    Some((length, head)) => tx.execute(&add_point, &[&kiosk_id, length, head, &u.generated_at]).await,
                    None => Ok(0),
                }
            },
        );
        // A summary that can never be judged again is said so now.
        let never = crate::central::rejudging::never_judged(&u.summary);
        let unjudgeable =
            tx.prepare_cached(&sums::numbered(crate::central::rejudging::UNJUDGEABLE)).await.map_err(pg)?;
        let why = crate::central::rejudging::NAMES_NO_RULES;
        let not_judged = async {
            match never {
                true => tx.execute(&unjudgeable, &[&kiosk_id, &date, &u.summary.revision, &why, &u.received_at]).await,
                false => Ok(0),
            }
        };
        let bytes = u.json.len() as i64;
        let spent = [&kiosk_id as Param, &day, &bytes];
        let stored_now = [&kiosk_id as Param, &date, &u.summary.revision, &u.json, &u.content_key, &u.received_at];
        let seen_now = [&kiosk_id as Param, &u.received_at, &u.clock_offset_ms];
        let (_, _, _, _, _, seen_points, _, _) = futures_util::try_join!(
            tx.execute(&spend, &spent),
            tx.execute(&older, &kiosk_date),
            tx.execute(&insert, &stored_now),
            keep_sums,
            tx.execute(&seen, &seen_now),
            read_points,
            add_point,
            not_judged,
        )
        .map_err(pg)?;
        if let Some((length, head)) = chain {
            let seen: Vec<(u64, String, Instant)> =
                seen_points.iter().map(|r| (r.get::<_, i64>(0) as u64, r.get(1), r.get(2))).collect();
            let verdict = chain_verdict(&seen, length as u64, head, u.generated_at);
            if verdict != ChainState::Ok {
                let mark = tx.prepare_cached("UPDATE kiosks SET chain_state = $2 WHERE id = $1").await.map_err(pg)?;
                tx.execute(&mark, &[&kiosk_id, &verdict.as_str()]).await.map_err(pg)?;
            }
        }
        tx.commit().await.map_err(pg)?;
        Ok(Some(put))
    }
}

/// A summary's people claimed carefully: a later revision (which first
/// gives up its kiosk's earlier rows of the day, `old`) or a first
/// summary whose plain insert met another kiosk's claim. The rows go in
/// `ON CONFLICT DO NOTHING`, and when fewer went in than were named, who
/// holds the others is read: the first person another kiosk holds, by
/// their index in the summary, and that kiosk.
async fn claim_carefully(
    tx: &deadpool_postgres::Transaction<'_>,
    kiosk_id: &str,
    date: &String,
    u: &Upload,
    old: Option<i64>,
    insert_people: &str,
    values: &[Param<'_>],
) -> Result<Option<(usize, String)>> {
    let conflicts = format!("{insert_people} ON CONFLICT (date, staff_no) WHERE latest DO NOTHING");
    let claim_sql = [
        // By the key of the revision before (never `latest`: see `CLAIMS`).
        "UPDATE summary_people SET latest = false WHERE kiosk_id = $1 AND date = $2 AND revision = $3",
        &conflicts,
        "SELECT staff_no, kiosk_id FROM summary_people WHERE date = $1 AND staff_no = ANY($2) AND latest",
    ];
    let [give_up, claim, holders] = prepare_all(tx, claim_sql).await?;
    let (_, inserted) = futures_util::try_join!(
        async {
            match &old {
                Some(old) => tx.execute(&give_up, &[&kiosk_id as Param, &date, old]).await,
                None => Ok(0),
            }
        },
        tx.execute(&claim, values),
    )
    .map_err(pg)?;
    let nos: Vec<&str> = u.summary.people.iter().map(|p| p.staff_no.as_str()).collect();
    // Every person claimed now: nobody else holds any of them (the
    // key is unique). Otherwise (another kiosk's), whose they are is
    // read in a statement of its own, which sees what the insert
    // waited for. A claim the insert passed over (another kiosk's,
    // committed) may have been given up since by that kiosk's next
    // revision (`DO NOTHING` holds no lock on it): then the person is
    // claimed by nobody, and the upload is tried again from the start
    // rather than stored without them. (The kiosk's own claims cannot
    // go: its row lock orders its uploads.)
    let others: Vec<tokio_postgres::Row> = match inserted as usize == nos.len() {
        true => Vec::new(),
        false => {
            let held = tx.query(&holders, &[&date as Param, &nos]).await.map_err(pg)?;
            if held.len() < nos.len() {
                return Err(StorageError::Db(format!(
                    "a person's claim was given up meanwhile ({TRANSIENT_MARK}{})",
                    tokio_postgres::error::SqlState::T_R_SERIALIZATION_FAILURE.code()
                )));
            }
            let others: Vec<_> = held.into_iter().filter(|r| r.get::<_, &str>(1) != kiosk_id).collect();
            // A person held by nobody else was passed over only for a
            // latest row of the kiosk's own besides the revision just
            // given up: never written, but never stored past either.
            if others.is_empty() {
                return Err(db(format!(
                    "kiosk {kiosk_id} holds a latest row of {date} outside its latest summary: not stored"
                )));
            }
            others
        }
    };
    Ok(u.summary.people.iter().enumerate().find_map(|(i, p)| {
        others.iter().find(|r| r.get::<_, &str>(0) == p.staff_no).map(|r| (i, r.get::<_, String>(1)))
    }))
}

/// Whether `e` is a person's latest row of a day meeting another's in the
/// claims' key (see `CLAIMS`): a plain insert of a first summary naming
/// a person another kiosk holds.
fn claimed_elsewhere(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|d| {
        d.code() == &tokio_postgres::error::SqlState::UNIQUE_VIOLATION
            && d.constraint() == Some("summary_people_claims")
    })
}

#[async_trait]
impl SummaryStore for Postgres {
    async fn put_summary(&self, kiosk_id: &str, u: &Upload) -> Result<Put> {
        // An upload another one beside it made fail (a deadlock, or a key
        // of a person's month taken meanwhile) is tried again, a few times;
        // a first summary naming a person another kiosk holds is tried
        // once more, carefully, to name the holder (409).
        let (mut tries, mut careful) = (0, false);
        loop {
            match self.put_once(kiosk_id, u, careful).await {
                Err(e) if transient(&e) && tries < 3 => tries += 1,
                Ok(None) if !careful => careful = true,
                Ok(None) => return Err(db("a person's claim was met on the careful path: not stored")),
                Ok(Some(put)) => return Ok(put),
                Err(e) => return Err(e),
            }
        }
    }

    async fn held_revisions(&self, kiosk_id: &str) -> Result<Vec<(NaiveDate, i64)>> {
        let rows = self
            .client()
            .await?
            .query("SELECT date, revision FROM summaries WHERE kiosk_id = $1 AND latest ORDER BY date", &[&kiosk_id])
            .await
            .map_err(pg)?;
        rows.iter().map(|r| Ok((date_of(r.get(0))?, r.get(1)))).collect()
    }

    async fn latest_summaries(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(NaiveDate, String)>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<SummaryPage> {
        use futures_util::TryStreamExt;
        let (after_date, after_kiosk) = after.map_or((None, None), |(d, k)| (Some(d.to_string()), Some(k)));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (from, to) = (from.to_string(), to.to_string());
        let client = self.client().await?;
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [&from, &to, &after_date, &after_kiosk, &limit];
        let rows = client
            .query_raw(
                "SELECT revision, received_at, content FROM summaries
                 WHERE latest AND date >= $1 AND date <= $2
                   AND ($3::text IS NULL OR date > $3 OR (date = $3 AND kiosk_id > $4))
                 ORDER BY date, kiosk_id LIMIT $5",
                params,
            )
            .await
            .map_err(pg)?;
        let mut rows = std::pin::pin!(rows);
        let mut out = Vec::new();
        let mut bytes = 0;
        while let Some(r) = rows.try_next().await.map_err(pg)? {
            let content: &str = r.get(2);
            bytes += content.len();
            out.push((r.get(0), r.get(1), serde_json::from_str(content).map_err(db)?));
            if bytes >= max_bytes {
                return Ok(SummaryPage { rows: out, cut_at_bytes: true });
            }
        }
        Ok(SummaryPage { rows: out, cut_at_bytes: false })
    }

    async fn report_people(&self, from: NaiveDate, to: NaiveDate, units: Option<&[String]>) -> Result<Vec<ReportRow>> {
        use futures_util::TryStreamExt;
        let unit = units.map(<[String]>::to_vec);
        // Whole months from their sums, the days of a partial month from
        // the day rows (see `sums`), streamed and added up here.
        let of_units = "(?3::text[] IS NULL OR unit = ANY(?3))";
        let parts = sums::report_parts(from, to, of_units, "latest", "expected::bigint, present::bigint");
        let c = self.client().await?;
        let mut people = sums::People::default();
        for (sql, a, b) in parts {
            let st = c.prepare_cached(&sums::numbered(&sql)).await.map_err(pg)?;
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&a, &b, &unit];
            let rows = c.query_raw(&st, params).await.map_err(pg)?;
            let mut rows = std::pin::pin!(rows);
            while let Some(r) = rows.try_next().await.map_err(pg)? {
                let mut figures = [0i64; 14];
                for (i, v) in figures.iter_mut().enumerate() {
                    *v = r.get(6 + i);
                }
                people.add(sums::Part {
                    staff_no: r.get(0),
                    last: r.get(1),
                    name: r.get(2),
                    unit: r.get(3),
                    expected: r.get(4),
                    present: r.get(5),
                    figures,
                });
            }
        }
        Ok(people.rows())
    }

    async fn person_history(
        &self,
        staff_no: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(PersonDay, Vec<Earlier>)>> {
        let c = self.client().await?;
        let sql = format!(
            "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
             FROM summary_people p JOIN summaries s USING (kiosk_id, date, revision)
             WHERE p.staff_no = $1 AND p.latest AND p.date = ANY($2::text[]) ORDER BY p.date, p.kiosk_id",
            person_columns("p.")
        );
        // Day by day (see `sums::days_list`).
        let days: Vec<String> = from.iter_days().take_while(|d| *d <= to).map(|d| d.to_string()).collect();
        let rows = c.query(&sql, &[&staff_no, &days]).await.map_err(pg)?;
        // Every earlier revision of the day, with this person's row in it
        // where there is one.
        let earlier = c
            .prepare(&format!(
                "SELECT s.revision, s.received_at, {}
                 FROM summaries s LEFT JOIN summary_people p
                   ON p.kiosk_id = s.kiosk_id AND p.date = s.date AND p.revision = s.revision AND p.staff_no = $3
                 WHERE s.kiosk_id = $1 AND s.date = $2 AND NOT s.latest ORDER BY s.revision",
                person_columns("p.")
            ))
            .await
            .map_err(pg)?;
        let mut out = Vec::new();
        for r in &rows {
            let day = person_day(r)?;
            let revs = c
                .query(&earlier, &[&day.kiosk_id, &day.date.to_string(), &staff_no])
                .await
                .map_err(pg)?
                .iter()
                .map(|r| Earlier {
                    revision: r.get(0),
                    received_at: r.get(1),
                    person: r.get::<_, Option<&str>>(2).is_some().then(|| person_from(r, 2)),
                })
                .collect();
            out.push((day, revs));
        }
        Ok(out)
    }

    async fn unit_days(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<PersonDay>> {
        let one = [unit.to_string()];
        self.latest_days((from, to, Some(&one[..])), "true", "p.staff_no, p.date").await
    }

    async fn spot_check_days(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        units: Option<&[String]>,
    ) -> Result<Vec<PersonDay>> {
        let spot = "p.spot_check_absences + p.spot_checks_present > 0";
        self.latest_days((from, to, units), spot, "p.date, p.unit, p.staff_no").await
    }

    async fn daily_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        units: Option<&[String]>,
    ) -> Result<Vec<(NaiveDate, DayCounts)>> {
        let unit = units.map(<[String]>::to_vec);
        let rows = self
            .client()
            .await?
            .query(
                "SELECT date, sum(late_count)::bigint, sum(early_count)::bigint, sum(absent_sessions)::bigint
                 FROM unit_days
                 WHERE date >= $1 AND date <= $2 AND ($3::text[] IS NULL OR unit = ANY($3))
                 GROUP BY date ORDER BY date",
                &[&from.to_string(), &to.to_string(), &unit],
            )
            .await
            .map_err(pg)?;
        rows.iter()
            .map(|r| {
                let n = |i| u32::try_from(r.get::<_, i64>(i)).unwrap_or(u32::MAX);
                Ok((date_of(r.get(0))?, DayCounts { late: n(1), early: n(2), absent: n(3) }))
            })
            .collect()
    }

    async fn exception_days(&self, date: NaiveDate, kind: DayException) -> Result<Vec<PersonDay>> {
        self.latest_days((date, date, None), kind.condition(), "p.unit, p.staff_no").await
    }

    async fn day_units(&self, date: NaiveDate) -> Result<DayUnits> {
        let c = self.client().await?;
        let day = date.to_string();
        let units_sql = format!("SELECT unit, {} FROM unit_days WHERE date = $1", sums::UNIT_DAY_COLUMNS);
        let on_day: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&day];
        let (sent, units) = futures_util::try_join!(
            c.query("SELECT kiosk_id FROM summaries WHERE date = $1 AND latest ORDER BY kiosk_id", &on_day),
            c.query(&units_sql, &on_day),
        )
        .map_err(pg)?;
        Ok(DayUnits {
            sent: sent.iter().map(|r| r.get(0)).collect(),
            units: units
                .iter()
                .map(|r| {
                    let mut n = [0i64; 13];
                    for (i, v) in n.iter_mut().enumerate() {
                        *v = r.get(1 + i);
                    }
                    sums::unit_day(r.get(0), n)
                })
                .collect(),
        })
    }
}
