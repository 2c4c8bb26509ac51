//! Each day judged twice (SPEC "Records"): the server judges every summary
//! revision a kiosk sends again from the kiosk's records with the rules
//! the kiosk declared, and stores the verdict (agrees, differs with the
//! people and figures, waiting, or unjudgeable).
//!
//! One task runs it, off the request path: an upload of records, rules or
//! a summary only nudges it with the kiosk's id, and the task works
//! through the nudged kiosks one at a time. For a kiosk it reads the
//! chain from its first record up to the last pending summary's record
//! (each summary says where: its `chain_length`, the records before it),
//! folding it with `domain::replay`, and judges each pending revision
//! when its record comes by. A revision whose record or rules have not
//! arrived waits and is judged again at the next nudge.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tokio::sync::Notify;

use super::storage::{Storage, StoredVerdict, VerdictState};
use crate::domain::rejudge::{check, DeclaredRules, Verdict};
use crate::domain::replay::{ChainedSummary, Tables};
use crate::domain::time::Instant;

/// Summary revisions judged in one pass over a kiosk's chain.
const PASS: usize = 500;
/// Records read from the store at a time.
const BATCH: usize = 1_000;

/// The kiosks waiting for a pass, and the bell that wakes the task.
#[derive(Default)]
pub struct Rejudging {
    due: Mutex<BTreeSet<String>>,
    bell: Notify,
}

impl Rejudging {
    /// Something of `kiosk` arrived: judge what it can now.
    pub fn nudge(&self, kiosk: &str) {
        self.due.lock().unwrap_or_else(|e| e.into_inner()).insert(kiosk.to_string());
        self.bell.notify_one();
    }

    fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.due.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs for ever: every kiosk once at start (what waited before a
    /// restart), then the nudged ones as they come.
    pub async fn run(self: Arc<Self>, storage: Arc<dyn Storage>) {
        match storage.kiosks(chrono::Utc::now().date_naive()).await {
            Ok(kiosks) => kiosks.iter().for_each(|k| self.nudge(&k.id)),
            Err(e) => eprintln!("rejudging: cannot list the kiosks: {e}"),
        }
        loop {
            let due = self.take();
            if due.is_empty() {
                self.bell.notified().await;
                continue;
            }
            for kiosk in due {
                if let Err(e) = pass(storage.as_ref(), &kiosk, now()).await {
                    eprintln!("rejudging {kiosk}: {e}");
                }
            }
        }
    }
}

fn now() -> Instant {
    chrono::Utc::now().timestamp_millis()
}

/// One pass over `kiosk`: judges up to [`PASS`] pending revisions and
/// stores their verdicts; returns how many were judged for good.
pub async fn pass(storage: &dyn Storage, kiosk: &str, at: Instant) -> Result<usize, String> {
    let pending = storage.unjudged(kiosk, PASS).await.map_err(|e| e.to_string())?;
    if pending.is_empty() {
        return Ok(0);
    }
    let Some(row) = storage
        .kiosks(chrono::Utc::now().date_naive())
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|k| k.id == kiosk)
    else {
        return Ok(0);
    };
    let held_to = row.records.stored_to;
    let mut verdicts = Vec::new();
    let mut rules: HashMap<u64, Option<DeclaredRules>> = HashMap::new();
    // Each pending revision, by the seq its record has on the chain.
    let mut wanted: HashMap<(NaiveDate, i64), (String, u64)> = HashMap::new();
    let verdict =
        |date, revision, state, detail: String| StoredVerdict { date, revision, state, detail, judged_at: at };
    for (date, revision, content) in pending {
        let json: serde_json::Value = serde_json::from_str(&content).unwrap_or_default();
        let (Some(version), Some(length)) = (
            json.get("rules_version").and_then(serde_json::Value::as_u64),
            json.get("chain_length").and_then(serde_json::Value::as_u64),
        ) else {
            let why = "the summary names no rules version or chain position (made before its kiosk declared its rules)";
            verdicts.push(verdict(date, revision, VerdictState::Unjudgeable, why.into()));
            continue;
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = rules.entry(version) {
            let declared = storage.rules(kiosk, Some(version)).await.map_err(|e| e.to_string())?;
            slot.insert(declared.and_then(|(_, text)| serde_json::from_str(&text).ok()));
        }
        let seq = length + 1;
        if rules[&version].is_none() {
            verdicts.push(verdict(
                date,
                revision,
                VerdictState::Waiting,
                format!("rules version {version} has not arrived"),
            ));
        } else if seq > held_to {
            let why = format!("its record ({seq}) has not arrived: the server holds records 1 to {held_to}");
            verdicts.push(verdict(date, revision, VerdictState::Waiting, why));
        } else {
            wanted.insert((date, revision), (content, version));
        }
    }
    let last = wanted.values().map(|(c, _)| seq_of(c)).max().unwrap_or(0);
    let (mut tables, mut from) = (Tables::default(), 1);
    let mut judged = 0;
    'read: while from <= last && !wanted.is_empty() {
        let records = storage.records(kiosk, from, BATCH).await.map_err(|e| e.to_string())?;
        if records.is_empty() {
            break;
        }
        for r in &records {
            let chained = match tables.apply(r) {
                Ok(c) => c,
                Err(e) => {
                    // A held record the rules cannot read: nothing after it
                    // can be judged; said on every revision left.
                    for ((date, revision), _) in wanted.drain() {
                        verdicts.push(verdict(date, revision, VerdictState::Waiting, e.to_string()));
                    }
                    break 'read;
                }
            };
            let Some(s) = chained else { continue };
            let Some((content, version)) = wanted.remove(&(s.date, s.revision)) else { continue };
            if s.seq != seq_of(&content) {
                // The summary says it was made at another place on the chain
                // than the record of that revision stands.
                let detail = format!(
                    "the summary says it was made after record {}, its record is {}",
                    seq_of(&content) - 1,
                    s.seq
                );
                verdicts.push(verdict(s.date, s.revision, VerdictState::Differs, differences_note(&detail)));
                judged += 1;
                continue;
            }
            // The summary as the server received it (what the bureau reads),
            // judged from the records before its own record.
            let received = ChainedSummary { content, ..s };
            let v = check(kiosk, &row.units, &tables, &received, rules[&version].as_ref());
            let (state, detail) = match v {
                Verdict::Agrees => (VerdictState::Agrees, "[]".to_string()),
                Verdict::Differs(d) => (VerdictState::Differs, serde_json::to_string(&d).unwrap_or_default()),
                Verdict::Waiting(why) => (VerdictState::Waiting, why),
            };
            judged += usize::from(state != VerdictState::Waiting);
            verdicts.push(verdict(received.date, received.revision, state, detail));
        }
        from = records.last().map_or(from, |r| r.seq + 1);
    }
    for ((date, revision), (content, _)) in wanted {
        // Its place on the chain came and held another record.
        let why = format!("no summary record of this revision at record {}", seq_of(&content));
        verdicts.push(verdict(date, revision, VerdictState::Waiting, why));
    }
    storage.put_verdicts(kiosk, &verdicts).await.map_err(|e| e.to_string())?;
    Ok(judged)
}

/// The seq of a summary's own record: the records before it, plus one.
fn seq_of(content: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(content)
        .ok()
        .and_then(|j| j.get("chain_length").and_then(serde_json::Value::as_u64))
        .map_or(0, |l| l + 1)
}

/// A difference that is not a figure, as the differences' JSON.
fn differences_note(detail: &str) -> String {
    serde_json::json!([{"staff_no": "", "name": "", "field": "chain_length", "kiosk": detail, "central": null}])
        .to_string()
}
