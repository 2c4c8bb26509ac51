//! Each day judged twice (SPEC "Records"): the server judges every summary
//! revision a kiosk sends again from the kiosk's records with the rules
//! the kiosk declared, and stores the verdict (agrees, differs with the
//! people and figures, waiting, or unjudgeable).
//!
//! One task runs it, off the request path: an upload of records, rules or
//! a summary that names its rules only nudges it with the kiosk's id (a
//! summary naming none is unjudgeable from its upload: [`never_judged`]), and the task works
//! through the nudged kiosks one at a time, each pass in a task of its own
//! (a fault in one is logged; the others go on). A revision is judged from
//! the records before its own record on the chain (its `chain_length`
//! says where: the records before it, so its record is the next), and of
//! those only what its day reads: every person, card, leave and void
//! record, and the day's punches, spot checks and leave spans
//! (`records::period_records_sql`, bounded by the seq). A revision whose
//! record or rules have not arrived waits and is judged at a later nudge;
//! one that names no rules, or rules or records that cannot be read, is
//! unjudgeable for good.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use tokio::sync::Notify;

use super::storage::{KioskRow, Storage, StoredVerdict, VerdictState};
use crate::domain::attendance::read_range;
use crate::domain::config::Config;
use crate::domain::rejudge::{check, DeclaredRules, Verdict};
use crate::domain::replay::{ChainedSummary, Tables};
use crate::domain::time::Instant;

/// How long a server's claim on a kiosk's pass lasts if it never says it
/// is done (it stopped part-way): then another server may take it.
const CLAIM_MS: i64 = 10 * 60_000;

/// When a kiosk whose pass another server holds is looked at again.
const RETRY_MS: i64 = 5_000;

/// Summary revisions judged in one pass over a kiosk (a kiosk with more
/// waiting is nudged again behind the others).
pub const PASS: usize = 200;

/// The kiosks waiting for a pass, and the bell that wakes the task.
#[derive(Default)]
pub struct Rejudging {
    due: Mutex<BTreeSet<String>>,
    bell: Notify,
    /// Kiosks to be nudged again shortly (each once, however often its
    /// claim was found taken meanwhile).
    later: Mutex<BTreeSet<String>>,
}

impl Rejudging {
    /// Something of `kiosk` arrived: judge what it can now.
    pub fn nudge(&self, kiosk: &str) {
        self.due.lock().unwrap_or_else(|e| e.into_inner()).insert(kiosk.to_string());
        self.bell.notify_one();
    }

    /// Nudges `kiosk` again after [`RETRY_MS`].
    fn nudge_later(self: Arc<Self>, kiosk: &str) {
        let kiosk = kiosk.to_string();
        if !self.later.lock().unwrap_or_else(|e| e.into_inner()).insert(kiosk.clone()) {
            return;
        }
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(RETRY_MS as u64)).await;
            self.later.lock().unwrap_or_else(|e| e.into_inner()).remove(&kiosk);
            self.nudge(&kiosk);
        });
    }

    fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.due.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Runs for ever: every kiosk once at start (what waited before a
    /// restart), then the nudged ones as they come. A kiosk's pass is
    /// claimed for `holder` first (servers sharing a database judge a
    /// revision once between them); a kiosk another server is judging is
    /// looked at again a little later, for what arrived meanwhile.
    pub async fn run(self: Arc<Self>, storage: Arc<dyn Storage>, holder: String) {
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
                let work = format!("rejudge {kiosk}");
                match storage.claim_work(&work, &holder, now() + CLAIM_MS, now()).await {
                    Ok(true) => {}
                    Ok(false) => {
                        self.clone().nudge_later(&kiosk);
                        continue;
                    }
                    Err(e) => {
                        eprintln!("rejudging {kiosk}: cannot claim the pass: {e}");
                        self.clone().nudge_later(&kiosk);
                        continue;
                    }
                }
                let (s, k) = (storage.clone(), kiosk.clone());
                let passed = tokio::spawn(async move { pass(s.as_ref(), &k, now()).await }).await;
                if let Err(e) = storage.release_work(&work, &holder).await {
                    eprintln!("rejudging {kiosk}: cannot release the pass (it runs out by itself): {e}");
                }
                match passed {
                    // More waiting, and this pass moved some: again, behind the others.
                    Ok(Ok((looked, judged))) if looked >= PASS && judged > 0 => self.nudge(&kiosk),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => eprintln!("rejudging {kiosk}: {e}"),
                    Err(e) => eprintln!("rejudging {kiosk}: the pass failed ({e}); the next nudge tries again"),
                }
            }
        }
    }
}

/// Why a summary naming no rules version or chain position cannot be
/// judged again.
pub const NAMES_NO_RULES: &str =
    "the summary names no rules version or chain position (made before its kiosk declared its rules)";

/// Whether a summary can never be judged again (it names no rules version
/// or chain position): then the upload itself stores it as unjudgeable
/// ([`UNJUDGEABLE`]) and nudges nobody, so the pass never reads its
/// hundred kilobytes back to find out (issue 25: a province whose kiosks
/// declare no rules had the re-judging re-read every upload, a second
/// ingest competing with the first).
pub fn never_judged(s: &crate::domain::summary::DailySummary) -> bool {
    s.rules_version.is_none() || s.chain_length.is_none_or(|l| l.checked_add(1).is_none())
}

/// The upload's verdict for a summary [`never_judged`] (`?1` kiosk, `?2`
/// date, `?3` revision, `?4` why, `?5` when), the same SQL for both
/// backends.
pub const UNJUDGEABLE: &str = "INSERT INTO rejudged (kiosk_id, date, revision, state, detail, judged_at)
    VALUES (?1, ?2, ?3, 'unjudgeable', ?4, ?5) ON CONFLICT (kiosk_id, date, revision) DO NOTHING";

fn now() -> Instant {
    chrono::Utc::now().timestamp_millis()
}

/// One pass over `kiosk`: judges up to [`PASS`] revisions without a final
/// verdict and stores their verdicts; returns how many it looked at and
/// how many of those it judged for good.
pub async fn pass(storage: &dyn Storage, kiosk: &str, at: Instant) -> Result<(usize, usize), String> {
    let pending = storage.unjudged(kiosk, PASS).await.map_err(|e| e.to_string())?;
    if pending.is_empty() {
        return Ok((0, 0));
    }
    let Some(row) = storage.kiosk(kiosk).await.map_err(|e| e.to_string())? else {
        return Ok((0, 0));
    };
    let mut rules: HashMap<u64, Option<DeclaredRules>> = HashMap::new();
    let mut verdicts = Vec::with_capacity(pending.len());
    for (date, revision, content) in &pending {
        let (state, detail) = judge_one(storage, &row, *date, *revision, content, &mut rules).await?;
        verdicts.push(StoredVerdict { date: *date, revision: *revision, state, detail, judged_at: at });
    }
    storage.put_verdicts(kiosk, &verdicts).await.map_err(|e| e.to_string())?;
    let judged = verdicts.iter().filter(|v| v.state != VerdictState::Waiting).count();
    Ok((pending.len(), judged))
}

/// One revision's verdict and its detail (the differences as JSON, or why
/// it waits or cannot be judged), from the store as it is; `rules` caches
/// the declarations read. `Err` only when the store fails.
pub async fn judge_one(
    storage: &dyn Storage,
    row: &KioskRow,
    date: NaiveDate,
    revision: i64,
    content: &str,
    rules: &mut HashMap<u64, Option<DeclaredRules>>,
) -> Result<(VerdictState, String), String> {
    use VerdictState::{Differs, Unjudgeable, Waiting};
    // The two fields it needs, the people skipped over unread (a province
    // kiosk's summary is a hundred kilobytes, read once an upload).
    #[derive(serde::Deserialize, Default)]
    struct Place {
        rules_version: Option<u64>,
        chain_length: Option<u64>,
    }
    let place: Place = serde_json::from_str(content).unwrap_or_default();
    let (Some(version), Some(seq)) = (place.rules_version, place.chain_length.and_then(|l| l.checked_add(1))) else {
        return Ok((Unjudgeable, NAMES_NO_RULES.into()));
    };
    if let std::collections::hash_map::Entry::Vacant(slot) = rules.entry(version) {
        let declared = storage.rules(&row.id, Some(version)).await.map_err(|e| e.to_string())?;
        slot.insert(declared.and_then(|(_, text)| serde_json::from_str(&text).ok()));
    }
    let Some(declared) = rules[&version].as_ref() else {
        return Ok((Waiting, format!("rules version {version} has not arrived")));
    };
    let held_to = row.records.stored_to;
    if seq > held_to {
        return Ok((Waiting, format!("its record ({seq}) has not arrived: the server holds records 1 to {held_to}")));
    }
    // The record at its place must be this revision's summary.
    let own = storage.records(&row.id, seq, 1).await.map_err(|e| e.to_string())?;
    let chained = match own.first().map(|r| Tables::default().apply(r)) {
        Some(Ok(Some(s))) if s.date == date && s.revision == revision => s,
        Some(Err(e)) => return Ok((Unjudgeable, e.to_string())),
        _ => {
            let note =
                format!("the summary says it was made after record {}; record {seq} is not its summary", seq - 1);
            let d = serde_json::json!([{"staff_no": "", "name": "", "field": "chain_length", "kiosk": note, "central": null}]);
            return Ok((Differs, d.to_string()));
        }
    };
    let units = if declared.units.is_empty() { &row.units[..] } else { &declared.units[..] };
    let config = match Config::for_judging(&row.id, units, &declared.config) {
        Ok(c) => c,
        Err(e) => return Ok((Unjudgeable, format!("rules version {version} cannot be read: {e}"))),
    };
    let (from, to) = read_range(&config, date, date);
    let records = storage.period_records(&row.id, from, to, seq).await.map_err(|e| e.to_string())?;
    let mut tables = Tables::default();
    for r in &records {
        if let Err(e) = tables.apply(r) {
            return Ok((Unjudgeable, e.to_string()));
        }
    }
    // The summary as the server received it (what the bureau reads).
    let received = ChainedSummary { content: content.to_string(), ..chained };
    Ok(match check(&row.id, &row.units, &tables, &received, Some(declared)) {
        Verdict::Agrees => (VerdictState::Agrees, "[]".into()),
        Verdict::Differs(d) => (Differs, serde_json::to_string(&d).unwrap_or_default()),
        Verdict::Waiting(why) => (Waiting, why),
        Verdict::Unjudgeable(why) => (Unjudgeable, why),
    })
}
