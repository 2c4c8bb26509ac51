//! What kiosks pull from the server (SPEC "Master data", "Doors"): the
//! master data of their units, and the punches made at the other kiosks
//! serving those units. Both answer the kiosk's own token only.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::api::{kiosk_of, ApiError, ApiResult, App};
use super::master;
use super::storage::{KioskRow, Storage, StorageError};
use crate::domain::chain::{Value, WireRecord};
use crate::domain::master::{Change, PeerPunch, PeerPunches};

#[derive(serde::Deserialize)]
pub(super) struct Since {
    since: Option<String>,
}

/// `GET …/master?since=V`: the changes after V for the kiosk's units, or
/// 304 when there are none.
pub(super) async fn master(
    State(app): State<App>,
    Path(kiosk_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Since>,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&app, &headers, &kiosk_id).await?;
    let since = match q.since.as_deref() {
        None | Some("") => 0,
        Some(t) => t.parse::<u64>().map_err(|_| ApiError::bad("since", format!("since {t:?}: a version number")))?,
    };
    match master::feed(&*app.storage, &kiosk, since).await? {
        None => Ok(StatusCode::NOT_MODIFIED.into_response()),
        Some(feed) => Ok(Json(feed).into_response()),
    }
}

/// `GET …/photos/{name}`: a photo by its content name, for a kiosk one
/// of whose units has a person with that photo now (a kiosk learns the
/// names from its feed; it is given no one else's).
pub(super) async fn photo(
    State(app): State<App>,
    Path((kiosk_id, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&app, &headers, &kiosk_id).await?;
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "name", format!("no photo {name:?} for this kiosk"));
    if !crate::files::staff::is_photo_name(&name) {
        return Err(not_found());
    }
    let people = app.storage.master_current(master::PERSON, Some(&master::scopes(&kiosk))).await?;
    let theirs = people.iter().any(|r| {
        matches!(serde_json::from_str(&r.content), Ok(Change::Person(p)) if p.photo.as_deref() == Some(name.as_str()))
    });
    if !theirs {
        return Err(not_found());
    }
    match app.storage.photo(&name).await? {
        Some(bytes) => {
            Ok(([(axum::http::header::CONTENT_TYPE, crate::files::staff::photo_content_type(&name))], bytes)
                .into_response())
        }
        None => Err(not_found()),
    }
}

/// The most punches one answer carries, and records read of a peer a call.
const PEER_LIMIT: usize = 1_000;

/// A cursor: how far each peer's chain has been looked at, as
/// `door-2:120,door-3:7` (the kiosk keeps it as it is given).
fn parse_cursor(t: &str) -> Result<BTreeMap<String, u64>, String> {
    let mut out = BTreeMap::new();
    for part in t.split(',').filter(|p| !p.is_empty()) {
        let (k, n) = part.rsplit_once(':').ok_or_else(|| format!("cursor part {part:?}: KIOSK:SEQ expected"))?;
        let n = n.parse::<u64>().map_err(|_| format!("cursor part {part:?}: KIOSK:SEQ expected"))?;
        out.insert(k.to_string(), n);
    }
    Ok(out)
}

fn cursor_text(c: &BTreeMap<String, u64>) -> String {
    c.iter().map(|(k, n)| format!("{k}:{n}")).collect::<Vec<_>>().join(",")
}

/// The kiosks in service other than `k` that serve one of its units
/// (as home or door), by id.
pub fn peers(k: &KioskRow, all: &[KioskRow]) -> Vec<String> {
    let mine = master::scopes(k);
    all.iter()
        .filter(|o| !o.revoked && o.id != k.id && master::scopes(o).iter().any(|u| mine.contains(u)))
        .map(|o| o.id.clone())
        .collect()
}

/// A reader punch made at the kiosk itself, as a peer receives it: not a
/// correction or import (those are the kiosk's heads' records), and not
/// one it received from its own peers (which carry their origin).
fn own_reader_punch(r: &WireRecord) -> Option<(String, i64, Option<bool>)> {
    if r.table != "punches" {
        return None;
    }
    let f = |n: &str| r.fields.get(n);
    match (f("card"), f("at_ms"), f("source"), f("by_whom")) {
        (Some(Value::Text(card)), Some(Value::Int(at)), Some(Value::Text(src)), None | Some(Value::Null))
            if src == "reader" =>
        {
            let synced = match f("clock_synced") {
                Some(Value::Int(n)) => Some(*n != 0),
                _ => None,
            };
            Some((card.clone(), *at, synced))
        }
        _ => None,
    }
}

/// The punches made at `k`'s peers after `cursor`, and the next cursor.
pub async fn peer_punches_after(
    s: &dyn Storage,
    k: &KioskRow,
    mut cursor: BTreeMap<String, u64>,
) -> Result<PeerPunches, StorageError> {
    let all = s.kiosk_rows().await?;
    // Whose the cards are, by central's assignments and people: a punch of
    // a card held by someone of none of the caller's units is not its
    // business (a kiosk may serve units its peer does not).
    let mine = master::scopes(k);
    let stints = master::Stints::load(s, None).await?;
    let mut punches = Vec::new();
    let mut owners: HashMap<String, Option<String>> = HashMap::new();
    for peer in peers(k, &all) {
        if punches.len() >= PEER_LIMIT {
            break;
        }
        let after = cursor.get(&peer).copied().unwrap_or(0);
        let records = s.records(&peer, after.saturating_add(1), PEER_LIMIT).await?;
        for r in &records {
            if let Some((card, at, clock_synced)) = own_reader_punch(r) {
                if !owners.contains_key(&card) {
                    let owner = match s.master_one(master::CARD, &card).await? {
                        Some(row) => match serde_json::from_str(&row.content) {
                            Ok(Change::Card { staff_no, .. }) => Some(staff_no),
                            _ => None,
                        },
                        None => None,
                    };
                    owners.insert(card.clone(), owner);
                }
                let owner = owners[&card].clone();
                // The holder's units on the punch's day (and the day before:
                // an attendance day may start before midnight's date turns).
                let day = crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, at).date();
                let theirs = |no: &str| stints.units_over(no, day.pred_opt().unwrap_or(day), day);
                if owner
                    .as_deref()
                    .filter(|no| stints.latest(no).is_some())
                    .is_some_and(|no| !theirs(no).iter().any(|u| mine.contains(u)))
                {
                    continue;
                }
                // An instant no clock can show is not sent (the kiosk
                // would refuse the whole answer).
                let Some(at_text) = chrono::DateTime::from_timestamp_millis(at).map(|t| {
                    t.with_timezone(&chrono_tz::Asia::Shanghai).to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
                }) else {
                    continue;
                };
                punches.push(PeerPunch {
                    origin: peer.clone(),
                    origin_name: all.iter().find(|k| k.id == peer).and_then(|k| k.name.clone()),
                    seq: r.seq,
                    staff_no: owner,
                    card,
                    at: at_text,
                    clock_synced,
                });
            }
        }
        if let Some(last) = records.last() {
            cursor.insert(peer.clone(), last.seq);
        }
    }
    Ok(PeerPunches { cursor: cursor_text(&cursor), punches })
}

/// `GET …/peer-punches?since=CURSOR`.
pub(super) async fn peer_punches(
    State(app): State<App>,
    Path(kiosk_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Since>,
) -> ApiResult<Response> {
    let kiosk = kiosk_of(&app, &headers, &kiosk_id).await?;
    let cursor = parse_cursor(q.since.as_deref().unwrap_or("")).map_err(|m| ApiError::bad("since", m))?;
    Ok(Json(peer_punches_after(&*app.storage, &kiosk, cursor).await?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_a_bad_one_is_refused() {
        let c = parse_cursor("door-2:120,back.door:7").unwrap();
        assert_eq!(c["door-2"], 120);
        assert_eq!(cursor_text(&c), "back.door:7,door-2:120");
        assert!(parse_cursor("door-2").is_err());
        assert!(parse_cursor("door-2:x").is_err());
        assert!(parse_cursor("").unwrap().is_empty());
    }
}
