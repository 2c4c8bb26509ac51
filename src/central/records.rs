//! A kiosk's record chain at the server (SPEC "Records"): a call's records
//! checked for shape, then against the chain the server already holds.
//! Pure; the backends keep the records and call [`follow`] inside the
//! transaction that stores them.

use crate::domain::chain::{self, WireRecord};

/// Records a call may carry.
pub const MAX_RECORDS: usize = 1_000;

/// A record ready to be checked against the chain: its content computed
/// from its fields, its hash parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub seq: u64,
    pub table: String,
    pub row_id: i64,
    pub content: String,
    pub hash: [u8; 32],
}

/// A call that cannot be taken as sent (400): the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub field: String,
    pub message: String,
}

/// Checks a call's shape: `from` ≥ 1, at most [`MAX_RECORDS`], the
/// records numbered `from, from + 1, …`, each with every chained column
/// of its table and a hex SHA-256.
pub fn prepare(from: u64, records: &[WireRecord]) -> Result<Vec<Prepared>, Malformed> {
    let bad = |field: String, message: String| Malformed { field, message };
    if from == 0 {
        return Err(bad("from".into(), "the chain counts from 1".into()));
    }
    if records.len() > MAX_RECORDS {
        return Err(bad("records".into(), format!("at most {MAX_RECORDS} records a call, not {}", records.len())));
    }
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let at = |f: &str| format!("records[{i}].{f}");
            if r.seq != from + i as u64 {
                return Err(bad(at("seq"), format!("expected {} (from {from}, in order, no gaps)", from + i as u64)));
            }
            let content = r.content().map_err(|e| bad(at(&e.field), e.message))?;
            let hash = chain::parse_hex(&r.hash).ok_or_else(|| bad(at("hash"), "not a hex SHA-256".into()))?;
            Ok(Prepared { seq: r.seq, table: r.table.clone(), row_id: r.id, content, hash })
        })
        .collect()
}

/// Whether `records` follow `prev` (the chain's hash before the first of
/// them): each hash recomputed from the one before and the record, as the
/// kiosk's store computes it. The index of the first that does not.
pub fn follow(prev: [u8; 32], records: &[Prepared]) -> Result<(), usize> {
    let mut prev = prev;
    for (i, r) in records.iter().enumerate() {
        let computed = chain::link(&prev, &r.table, r.row_id, &r.content);
        if computed != r.hash {
            return Err(i);
        }
        prev = computed;
    }
    Ok(())
}

/// What the server made of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordsPut {
    /// Stored (or already held): the chain is held up to `stored_to`.
    Stored { stored_to: u64 },
    /// `from` is past the end of the held chain: the next seq expected.
    Gap { expected: u64 },
    /// The record at `index` (seq `seq`) does not follow, or differs from
    /// the one held at that seq: nothing stored, the kiosk flagged.
    Broken { index: usize, seq: u64 },
}

/// A kiosk's chain as the server holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChainHeld {
    /// Records held, 1 to `stored_to` (0: none).
    pub stored_to: u64,
    /// The first seq at which a call did not follow (shown in red).
    pub broken_at: Option<u64>,
}

/// The position of `column` in `table`'s chained content (the JSON array
/// a record's hash covers).
fn position(table: &str, column: &str) -> usize {
    chain::columns(table).and_then(|c| c.iter().position(|x| *x == column)).unwrap_or(usize::MAX)
}

/// The query for a kiosk's records a person's days of a period read (see
/// `raw_days`): every record of the small tables (people, cards, leave,
/// roster, voids), and the punches, spot checks and leave spans whose
/// instants fall in `[from, to)`, of the records before seq `before`, in
/// chain order. `at(i)` is the backend's expression for the content's
/// element `i` as an integer; the parameters are the kiosk's id, `from`,
/// `to` and `before`. Each branch is its own indexed range
/// (`chain_records_tbl`, `chain_punches_at`); `hints` are the backend's
/// way to hold its planner to them. SQLite, without statistics, prefers
/// its covering primary key and reads the kiosk's whole chain for any
/// branch left unhinted: 270 ms instead of 10 for a year of 250 people
/// with no branch hinted, 100 ms with only the spot checks and leave
/// spans left to it.
pub fn period_records_sql(at: impl Fn(usize) -> String, p: [&str; 4], hints: [&str; 2]) -> String {
    let [by_table, punches_by_time] = hints;
    let [kiosk, from, to, before] = p;
    let punch_at = at(position("punches", "at_ms"));
    let check_at = at(position("spot_checks", "at_ms"));
    let (span_from, span_to) = (at(position("leave_spans", "from_ms")), at(position("leave_spans", "to_ms")));
    let columns = "seq, tbl, row_id, content, hash";
    // One branch a small table, each a range of (kiosk_id, tbl, seq): an
    // IN list made SQLite scan the kiosk's whole chain instead.
    let small: String = ["staff_versions", "card_assignments", "leave", "leave_voids", "punch_voids", "spot_check_voids", "roster"]
        .iter()
        .map(|t| {
            format!(
                "SELECT {columns} FROM chain_records {by_table} WHERE kiosk_id = {kiosk} AND tbl = '{t}' AND seq < {before}\n UNION ALL\n"
            )
        })
        .collect();
    format!(
        "{small}
         SELECT {columns} FROM chain_records {punches_by_time} WHERE kiosk_id = {kiosk} AND seq < {before} AND tbl = 'punches'
             AND {punch_at} >= {from} AND {punch_at} < {to}
         UNION ALL
         SELECT {columns} FROM chain_records {by_table} WHERE kiosk_id = {kiosk} AND seq < {before} AND tbl = 'spot_checks'
             AND {check_at} >= {from} AND {check_at} < {to}
         UNION ALL
         SELECT {columns} FROM chain_records {by_table} WHERE kiosk_id = {kiosk} AND seq < {before} AND tbl = 'leave_spans'
             AND {span_to} > {from} AND {span_from} < {to}
         ORDER BY seq"
    )
}

/// SQLite's hints for the small tables and the period's punches (see
/// [`period_records_sql`]).
pub const SQLITE_HINTS: [&str; 2] = ["INDEXED BY chain_records_tbl", "INDEXED BY chain_punches_at"];

/// SQLite's expression for a content element as an integer.
pub fn sqlite_at(i: usize) -> String {
    format!("json_extract(content, '$[{i}]')")
}

/// PostgreSQL's (immutable: an index can be made on it).
pub fn postgres_at(i: usize) -> String {
    format!("((content::jsonb ->> {i})::bigint)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chain::{hex, link, Value, GENESIS};

    #[test]
    fn the_punch_time_indexes_read_a_punchs_at_ms() {
        // The schemas' partial indexes name the content's element by number.
        assert_eq!(position("punches", "at_ms"), 2);
        assert!(period_records_sql(sqlite_at, ["?1", "?2", "?3", "?4"], SQLITE_HINTS)
            .contains("json_extract(content, '$[2]') >= ?2"));
        assert!(period_records_sql(postgres_at, ["$1", "$2", "$3", "$4"], ["", ""])
            .contains("((content::jsonb ->> 2)::bigint) >= $2"));
    }

    /// `n` chained punch records from `prev`, numbered from `from`.
    pub fn punches(from: u64, n: usize, prev: [u8; 32]) -> Vec<WireRecord> {
        let mut prev = prev;
        (0..n)
            .map(|i| {
                let fields: std::collections::BTreeMap<String, Value> = [
                    ("card", Value::Text(format!("00{i:08}"))),
                    ("staff_no", Value::Null),
                    ("at_ms", Value::Int(1_700_000_000_000 + i as i64)),
                    ("source", Value::Text("reader".into())),
                    ("clock_synced", Value::Int(1)),
                    ("reason", Value::Null),
                    ("by_whom", Value::Null),
                    ("recorded_at", Value::Int(1_700_000_000_000 + i as i64)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                let mut r = WireRecord {
                    seq: from + i as u64,
                    table: "punches".into(),
                    id: from as i64 + i as i64,
                    fields,
                    hash: String::new(),
                };
                let h = link(&prev, "punches", r.id, &r.content().unwrap());
                r.hash = hex(&h);
                prev = h;
                r
            })
            .collect()
    }

    #[test]
    fn a_chain_follows_and_a_changed_record_does_not() {
        let rs = punches(1, 5, GENESIS);
        let p = prepare(1, &rs).unwrap();
        assert_eq!(follow(GENESIS, &p), Ok(()));
        // The second half alone follows from the hash before it.
        assert_eq!(follow(p[1].hash, &prepare(3, &rs[2..]).unwrap()), Ok(()));
        // A punch's time changed on the kiosk after it was chained.
        let mut edited = rs.clone();
        edited[2].fields.insert("at_ms".into(), Value::Int(1));
        assert_eq!(follow(GENESIS, &prepare(1, &edited).unwrap()), Err(2));
        // From the wrong place.
        assert_eq!(follow(GENESIS, &prepare(2, &rs[1..]).unwrap()), Err(0));
    }

    #[test]
    fn a_call_is_numbered_from_its_from_and_names_what_is_wrong() {
        let rs = punches(1, 3, GENESIS);
        assert_eq!(prepare(0, &rs).unwrap_err().field, "from");
        assert_eq!(prepare(2, &rs).unwrap_err().field, "records[0].seq");
        let mut gap = rs.clone();
        gap.remove(1);
        assert_eq!(prepare(1, &gap).unwrap_err().field, "records[1].seq");
        let mut bad = rs.clone();
        bad[2].hash = "xyz".into();
        assert_eq!(prepare(1, &bad).unwrap_err().field, "records[2].hash");
        bad[2].fields.remove("card");
        assert_eq!(prepare(1, &bad).unwrap_err().field, "records[2].fields.card");
        let many = punches(1, MAX_RECORDS + 1, GENESIS);
        assert_eq!(prepare(1, &many).unwrap_err().field, "records");
        assert!(prepare(1, &[]).unwrap().is_empty());
    }
}
