//! The record chain: what a record's hash covers and how it is computed.
//!
//! The kiosk appends every record it keeps (a punch, a correction, a
//! leave, a 查岗, a staff or card change, a head's action) to a chain: each
//! record's hash is SHA-256 over the previous record's hash, the table's
//! name, the row's id (little-endian i64) and the record's *content*, the
//! chained columns' values as SQLite's `json_array(…)` writes them. The
//! kiosk computes the content in SQL; the central server, which verifies a
//! kiosk's copy of its records, computes it here from the values sent. The
//! two must agree byte for byte for every value a kiosk can hold:
//! `kiosk::store` tests this function against SQLite's own `json_array`
//! over generated values (control characters, quotes, CJK, emoji,
//! extreme integers, NULLs).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The chained tables and the columns whose values a record's hash
/// covers, in hash order. Extend only at the end of a table's list with a
/// migration that can fill the column for old rows; never reorder: every
/// record ever chained would stop verifying.
pub const CHAINED: &[(&str, &str)] = &[
    ("staff_versions", "staff_no, name, unit, schedule, role, pin_hash, active_from, active_until, recorded_at"),
    ("card_assignments", "card, staff_no, cards_from, made_on, recorded_at"),
    ("roster", "staff_no, date, start, end, recorded_at"),
    ("leave", "staff_no, kind, from_local, to_local, approved_by, note, recorded_at"),
    ("leave_spans", "leave_id, from_ms, to_ms"),
    ("leave_voids", "leave_id, reason, by_whom, recorded_at"),
    ("punches", "card, staff_no, at_ms, source, clock_synced, reason, by_whom, recorded_at"),
    ("punch_voids", "punch_id, reason, by_whom, recorded_at"),
    ("spot_checks", "staff_no, at_ms, present, inspector, note, recorded_at"),
    ("spot_check_voids", "spot_check_id, reason, by_whom, recorded_at"),
    ("daily_summaries", "date, revision, content, generated_at"),
    ("correction_requests", "staff_no, at_ms, reason, recorded_at"),
    ("correction_decisions", "request_id, approved, by_whom, punch_id, recorded_at"),
    ("actions", "who, action, detail, recorded_at"),
    ("leave_requests", "staff_no, kind, from_ms, to_ms, recorded_at"),
    ("leave_request_decisions", "request_id, approved, by_whom, leave_id, recorded_at"),
    ("leave_request_reasons", "request_id, reason, recorded_at"),
];

/// The chained columns of `table`, as SQL (`"a, b, c"`), if it is chained.
pub fn columns_sql(table: &str) -> Option<&'static str> {
    CHAINED.iter().find(|(t, _)| *t == table).map(|(_, c)| *c)
}

/// The chained columns of `table`, in hash order, if it is chained.
pub fn columns(table: &str) -> Option<Vec<&'static str>> {
    columns_sql(table).map(|c| c.split(", ").collect())
}

/// The hash before the first record.
pub const GENESIS: [u8; 32] = [0; 32];

/// A chained column's value, as SQLite holds it (no chained column holds a
/// real number or a blob). On the wire: JSON null, an integer, a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// A record's content: SQLite's `json_array(v1, v2, …)` of `values`, byte
/// for byte. Integers in decimal, NULL as `null`, text in double quotes
/// with `"` and `\` escaped, `\b \t \n \f \r` as such, the other control
/// characters below U+0020 as `\u00xx` (lowercase hex); everything else,
/// `'`, DEL and all of Unicode included, as it is.
pub fn content(values: &[Value]) -> String {
    let mut out = String::with_capacity(2 + values.len() * 8);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match v {
            Value::Null => out.push_str("null"),
            Value::Int(n) => out.push_str(&n.to_string()),
            Value::Text(t) => push_string(&mut out, t),
        }
    }
    out.push(']');
    out
}

fn push_string(out: &mut String, t: &str) {
    out.push('"');
    for c in t.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A record's hash: SHA-256 over the previous hash, the table's name, the
/// row id (8 bytes, little-endian) and the content.
pub fn link(prev: &[u8], table: &str, row_id: i64, content: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(table.as_bytes());
    h.update(row_id.to_le_bytes());
    h.update(content.as_bytes());
    h.finalize().into()
}

/// A hash as lowercase hex (how the wire and the summaries carry it).
pub fn hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A record as it travels from a kiosk to the server and back (SPEC
/// "Records"): its place on the chain, its row, its chained columns by
/// name, and the chain's hash after it (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRecord {
    pub seq: u64,
    pub table: String,
    pub id: i64,
    pub fields: BTreeMap<String, Value>,
    pub hash: String,
}

/// What is wrong with a record's shape (before any hash is checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// Below the record: `table`, `fields.NAME`, `hash`.
    pub field: String,
    pub message: String,
}

impl WireRecord {
    /// The record's content (what its hash covers): its fields in the
    /// table's column order. Every chained column must be there, and
    /// nothing else.
    pub fn content(&self) -> Result<String, ShapeError> {
        let bad = |field: String, message: String| ShapeError { field, message };
        let columns = columns(&self.table)
            .ok_or_else(|| bad("table".into(), format!("{:?} is not a chained table", self.table)))?;
        if let Some(extra) = self.fields.keys().find(|k| !columns.contains(&k.as_str())) {
            return Err(bad(format!("fields.{extra}"), format!("{extra} is not a chained column of {}", self.table)));
        }
        let values = columns
            .iter()
            .map(|c| self.fields.get(*c).cloned().ok_or_else(|| bad(format!("fields.{c}"), format!("{c} is missing"))))
            .collect::<Result<Vec<Value>, ShapeError>>()?;
        Ok(content(&values))
    }

    /// The record rebuilt from what a server stored: its content split
    /// back into the table's columns (None if the content is not a JSON
    /// array of as many values as the table has columns).
    pub fn from_stored(seq: u64, table: &str, id: i64, content: &str, hash: &str) -> Option<WireRecord> {
        let columns = columns(table)?;
        let values: Vec<Value> = serde_json::from_str(content).ok()?;
        (values.len() == columns.len()).then(|| WireRecord {
            seq,
            table: table.to_string(),
            id,
            fields: columns.iter().map(|c| c.to_string()).zip(values).collect(),
            hash: hash.to_string(),
        })
    }
}

/// Parses a hex SHA-256.
pub fn parse_hex(hash: &str) -> Option<[u8; 32]> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hash[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_sqlites_json_array() {
        use Value::*;
        assert_eq!(content(&[]), "[]");
        assert_eq!(
            content(&[Null, Int(-9_223_372_036_854_775_808), Text("张三 \"q\" \\ ' \u{7f}".into())]),
            "[null,-9223372036854775808,\"张三 \\\"q\\\" \\\\ ' \u{7f}\"]"
        );
        assert_eq!(
            content(&[Text("\u{0}\u{8}\t\n\u{b}\u{c}\r\u{1f}".into())]),
            "[\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\"]"
        );
    }

    #[test]
    fn a_record_links_to_the_one_before() {
        let first = link(&GENESIS, "punches", 1, "[\"0001\"]");
        let second = link(&first, "punches", 2, "[\"0001\"]");
        assert_ne!(first, second);
        assert_eq!(link(&GENESIS, "punches", 1, "[\"0001\"]"), first);
        assert_ne!(link(&GENESIS, "punches", 2, "[\"0001\"]"), first, "the row id is covered");
        assert_ne!(link(&GENESIS, "leave", 1, "[\"0001\"]"), first, "the table is covered");
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
        assert_eq!(columns("punches").unwrap()[2], "at_ms");
        assert_eq!(columns("photos"), None);
        // Values on the wire: null, integers, strings; nothing else.
        let v: Vec<Value> = serde_json::from_str(r#"[null, 5, "x"]"#).unwrap();
        assert_eq!(v, vec![Value::Null, Value::Int(5), Value::Text("x".into())]);
        assert!(serde_json::from_str::<Value>("1.5").is_err());
        assert!(serde_json::from_str::<Value>("[1]").is_err());
    }

    #[test]
    fn a_wire_record_has_every_chained_column_and_nothing_else() {
        let fields = |pairs: &[(&str, Value)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let mut r = WireRecord {
            seq: 1,
            table: "punch_voids".into(),
            id: 3,
            fields: fields(&[
                ("punch_id", Value::Int(2)),
                ("reason", Value::Text("重复".into())),
                ("by_whom", Value::Null),
                ("recorded_at", Value::Int(1_700_000_000_000)),
            ]),
            hash: hex(&GENESIS),
        };
        let c = r.content().unwrap();
        assert_eq!(c, "[2,\"重复\",null,1700000000000]", "in the table's order, not the map's");
        assert_eq!(WireRecord::from_stored(1, "punch_voids", 3, &c, &r.hash).unwrap(), r);
        r.fields.insert("photo".into(), Value::Null);
        assert_eq!(r.content().unwrap_err().field, "fields.photo");
        r.fields.remove("photo");
        r.fields.remove("reason");
        assert_eq!(r.content().unwrap_err().field, "fields.reason");
        r.table = "photos".into();
        assert_eq!(r.content().unwrap_err().field, "table");
        assert_eq!(parse_hex(&hex(&[7u8; 32])), Some([7u8; 32]));
        assert_eq!(parse_hex("00"), None);
        assert_eq!(parse_hex(&"g".repeat(64)), None);
    }
}
