//! 暗访 findings and the cases made of them (issue 24), pure: what an
//! inspector records, what the bureau decides, and what the report and
//! the 通报 draft count.
//!
//! Nothing is changed or deleted: a finding and its case are a list of
//! events, numbered per finding (a new version of the finding, the case
//! opened, a step of its state, a decision, the leader's responsibility,
//! publication), each with who made it and when. [`fold`] turns the
//! events into what stands now ([`Finding`], [`Case`]) and keeps every
//! earlier version and step for the page. [`check`] says whether an event
//! may follow the ones before; the storage appends it only if nobody
//! appended one meanwhile (the count of events is compared), so two
//! people deciding at once cannot both pass a check made on stale state.
//!
//! Choices where the issue was silent:
//! - The states go forward only: 登记 → 核实 → 处理 → 归档, and from any
//!   open state to 不予处理 with a reason. Decisions and the leader's
//!   responsibility are made in 处理; 归档 needs a decision for every
//!   person named. A finding can be changed (a new version) until its
//!   case is closed (归档 or 不予处理).
//! - A case is published only with a decision, in 处理 or 归档.
//! - A finding whose case ended 不予处理 is not counted in the report's
//!   暗访问题 nor in the 通报 (it was found not to be a problem); one
//!   without a case yet is counted (the finding stands until dismissed).
//! - A finding's day is the date of when it was seen, in the district's
//!   time zone (Asia/Shanghai, as every page).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::storage::CaseEventRow;
use crate::domain::summary::ReportRow;
use crate::domain::time::Instant;

/// Photos a finding may have.
pub const MAX_PHOTOS: usize = 6;
/// A photo's size cap: a phone's camera picture (4000×3000 JPEG) is 2–5 MB.
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// A photo's largest side in pixels (a 50-megapixel camera is 8160 wide).
pub const MAX_PHOTO_SIDE: usize = 10_000;
/// People named in one finding.
pub const MAX_PEOPLE: usize = 20;
/// Characters of a description (or a reason).
pub const MAX_TEXT: usize = 2000;

/// What an inspector saw (the list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Category {
    #[serde(rename = "迟到早退")]
    LateEarly,
    #[serde(rename = "空岗串岗")]
    OffPost,
    #[serde(rename = "上班时间从事与工作无关的事")]
    Unrelated,
    #[serde(rename = "工作散漫")]
    Lax,
    #[serde(rename = "服务态度")]
    Attitude,
    #[serde(rename = "违反厉行节约")]
    Thrift,
    #[serde(rename = "其他")]
    Other,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::LateEarly,
        Category::OffPost,
        Category::Unrelated,
        Category::Lax,
        Category::Attitude,
        Category::Thrift,
        Category::Other,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            Category::LateEarly => "迟到早退",
            Category::OffPost => "空岗串岗",
            Category::Unrelated => "上班时间从事与工作无关的事",
            Category::Lax => "工作散漫",
            Category::Attitude => "服务态度",
            Category::Thrift => "违反厉行节约",
            Category::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Category::LateEarly => "late arrival or early departure",
            Category::OffPost => "away from post",
            Category::Unrelated => "non-work activity in working hours",
            Category::Lax => "lax at work",
            Category::Attitude => "attitude to the public",
            Category::Thrift => "against frugality rules",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.zh() == s)
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaseState {
    #[serde(rename = "登记")]
    Registered,
    #[serde(rename = "核实")]
    Verifying,
    #[serde(rename = "处理")]
    Handling,
    #[serde(rename = "归档")]
    Archived,
    #[serde(rename = "不予处理")]
    Dismissed,
}

impl CaseState {
    pub const ALL: [CaseState; 5] =
        [CaseState::Registered, CaseState::Verifying, CaseState::Handling, CaseState::Archived, CaseState::Dismissed];

    pub fn zh(self) -> &'static str {
        match self {
            CaseState::Registered => "登记",
            CaseState::Verifying => "核实",
            CaseState::Handling => "处理",
            CaseState::Archived => "归档",
            CaseState::Dismissed => "不予处理",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            CaseState::Registered => "registered",
            CaseState::Verifying => "verifying",
            CaseState::Handling => "handling",
            CaseState::Archived => "archived",
            CaseState::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|c| c.zh() == s || c.en() == s)
    }

    /// Closed: nothing more is done (nor changed) in the case.
    pub fn closed(self) -> bool {
        matches!(self, CaseState::Archived | CaseState::Dismissed)
    }

    /// The state a case goes to next in the usual course, if any.
    pub fn next(self) -> Option<CaseState> {
        match self {
            CaseState::Registered => Some(CaseState::Verifying),
            CaseState::Verifying => Some(CaseState::Handling),
            CaseState::Handling => Some(CaseState::Archived),
            CaseState::Archived | CaseState::Dismissed => None,
        }
    }
}

/// What is decided for a person (the list, mildest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    #[serde(rename = "提醒谈话")]
    Reminder,
    #[serde(rename = "批评教育")]
    Criticism,
    #[serde(rename = "责令作出书面检查")]
    WrittenSelfReview,
    #[serde(rename = "通报批评")]
    PublicCriticism,
    #[serde(rename = "诫勉谈话")]
    Admonition,
    #[serde(rename = "组织处理")]
    Organizational,
    #[serde(rename = "移送纪检监察机关")]
    Referred,
}

impl Decision {
    pub const ALL: [Decision; 7] = [
        Decision::Reminder,
        Decision::Criticism,
        Decision::WrittenSelfReview,
        Decision::PublicCriticism,
        Decision::Admonition,
        Decision::Organizational,
        Decision::Referred,
    ];

    pub fn zh(self) -> &'static str {
        match self {
            Decision::Reminder => "提醒谈话",
            Decision::Criticism => "批评教育",
            Decision::WrittenSelfReview => "责令作出书面检查",
            Decision::PublicCriticism => "通报批评",
            Decision::Admonition => "诫勉谈话",
            Decision::Organizational => "组织处理",
            Decision::Referred => "移送纪检监察机关",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Decision::Reminder => "reminder talk",
            Decision::Criticism => "criticism",
            Decision::WrittenSelfReview => "written self-review",
            Decision::PublicCriticism => "public criticism",
            Decision::Admonition => "admonition talk",
            Decision::Organizational => "organizational measures",
            Decision::Referred => "referred to discipline inspection",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.zh() == s)
    }

    fn index(self) -> usize {
        Decision::ALL.iter().position(|d| *d == self).unwrap_or(0)
    }
}

/// A person as a finding names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub staff_no: String,
    pub name: String,
}

/// One version of a finding: everything the form says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingVersion {
    /// When it was seen.
    pub at: Instant,
    pub unit: String,
    /// The place in words ("三楼办事大厅").
    pub place: String,
    pub people: Vec<Named>,
    /// Someone not identified (身份不明) was seen too (or instead).
    pub unknown: bool,
    pub category: Category,
    pub description: String,
    /// Photos by content name (SHA-256 hex and extension).
    pub photos: Vec<String>,
    pub inspectors: Vec<String>,
}

impl FindingVersion {
    /// The district's date of the finding.
    pub fn day(&self) -> NaiveDate {
        crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, self.at).date()
    }
}

/// Something done to a finding, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The finding as recorded, or a change of it (the whole form again).
    Version(FindingVersion),
    /// The finding becomes a case (登记).
    Opened,
    /// A step of the case; `reason` says why (required for 不予处理).
    State { to: CaseState, reason: String },
    /// A named person's decision and who decided it (a later one for the
    /// same person replaces it; both are kept).
    Decision { staff_no: String, decision: Decision, decided_by: String },
    /// 领导责任: the unit's head, named, with their own decision.
    Leader { name: String, unit: String, decision: Decision, decided_by: String },
    /// Marked for (or taken off) publication as a 典型案例.
    Publish { published: bool },
}

/// An event as stored: its finding, its number there, who and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub finding: i64,
    pub seq: u64,
    pub by: String,
    pub at: Instant,
    pub event: Event,
}

/// A finding's version as kept: who saved it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub by: String,
    pub at: Instant,
    pub version: FindingVersion,
}

/// A decision as it stands, with who recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub decision: Decision,
    pub decided_by: String,
    pub by: String,
    pub at: Instant,
}

/// The leader's responsibility as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderDecided {
    pub name: String,
    pub unit: String,
    pub decided: Decided,
}

/// A case as it stands, and every step that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub state: CaseState,
    /// The reason of the last step that gave one (不予处理's).
    pub reason: String,
    /// The latest decision of each named person, by staff number.
    pub decisions: BTreeMap<String, Decided>,
    pub leader: Option<LeaderDecided>,
    pub published: bool,
    /// Every event from the opening on, in order.
    pub steps: Vec<Stored>,
}

/// A finding as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: i64,
    /// Every version, the first first; never empty.
    pub versions: Vec<Versioned>,
    pub case: Option<Case>,
    /// How many events it has (what an append is checked against).
    pub events: u64,
}

impl Finding {
    pub fn current(&self) -> &FindingVersion {
        &self.versions[self.versions.len() - 1].version
    }

    pub fn state(&self) -> Option<CaseState> {
        self.case.as_ref().map(|c| c.state)
    }

    /// Counted in the report and the 通报: not dismissed.
    pub fn counted(&self) -> bool {
        self.state() != Some(CaseState::Dismissed)
    }

    /// Whether the finding names the person.
    pub fn names(&self, staff_no: &str) -> bool {
        self.current().people.iter().any(|p| p.staff_no == staff_no)
    }
}

/// Events (as [`Stored`], ordered by finding then number) folded into
/// findings, by id. A finding whose first event is not a version is left
/// out (it cannot be made by [`check`]).
pub fn fold(events: Vec<Stored>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for e in events {
        if out.last().is_none_or(|f| f.id != e.finding) {
            let Event::Version(v) = &e.event else { continue };
            out.push(Finding {
                id: e.finding,
                versions: vec![Versioned { by: e.by.clone(), at: e.at, version: v.clone() }],
                case: None,
                events: e.seq,
            });
            continue;
        }
        let Some(f) = out.last_mut() else { continue };
        // The stored count (an event left out unread still counts: the
        // next append is checked against what is stored).
        f.events = e.seq;
        apply(f, e);
    }
    out
}

fn apply(f: &mut Finding, e: Stored) {
    let decided = |decision: Decision, decided_by: &str, e: &Stored| Decided {
        decision,
        decided_by: decided_by.to_string(),
        by: e.by.clone(),
        at: e.at,
    };
    match (&e.event, f.case.as_mut()) {
        (Event::Version(v), _) => {
            f.versions.push(Versioned { by: e.by.clone(), at: e.at, version: v.clone() });
            if let Some(c) = f.case.as_mut() {
                c.steps.push(e);
            }
        }
        (Event::Opened, None) => {
            f.case = Some(Case {
                state: CaseState::Registered,
                reason: String::new(),
                decisions: BTreeMap::new(),
                leader: None,
                published: false,
                steps: vec![e],
            })
        }
        (Event::Opened, Some(_)) => {}
        (_, None) => {}
        (Event::State { to, reason }, Some(c)) => {
            c.state = *to;
            if !reason.is_empty() {
                c.reason = reason.clone();
            }
            c.steps.push(e);
        }
        (Event::Decision { staff_no, decision, decided_by }, Some(c)) => {
            c.decisions.insert(staff_no.clone(), decided(*decision, decided_by, &e));
            c.steps.push(e);
        }
        (Event::Leader { name, unit, decision, decided_by }, Some(c)) => {
            c.leader = Some(LeaderDecided {
                name: name.clone(),
                unit: unit.clone(),
                decided: decided(*decision, decided_by, &e),
            });
            c.steps.push(e);
        }
        (Event::Publish { published }, Some(c)) => {
            c.published = *published;
            c.steps.push(e);
        }
    }
}

/// Why an event is refused: the field it is about, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub zh: String,
    pub en: String,
}

fn refuse(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Refusal {
    Refusal { field, zh: zh.into(), en: en.into() }
}

/// Short text from a form: plain, at most `max` characters.
fn text_ok(s: &str, max: usize) -> bool {
    super::ingest::plain_text(s, max)
}

/// A description or a reason: at most [`MAX_TEXT`] characters, lines
/// and tabs allowed, no other control character.
fn long_text_ok(s: &str) -> bool {
    s.chars().count() <= MAX_TEXT && !s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// A finding's content: the unit given (and one of `units`), the people
/// (or 身份不明), a description, at most [`MAX_PHOTOS`] photos, an
/// inspector, and not seen in the future (`now`, with five minutes for a
/// phone's clock).
pub fn check_version(v: &FindingVersion, units: &[String], now: Instant) -> Result<(), Refusal> {
    if v.unit.trim().is_empty() {
        return Err(refuse("unit", "请选择单位。", "Choose the unit."));
    }
    if !units.contains(&v.unit) {
        return Err(refuse("unit", format!("没有单位“{}”。", v.unit), format!("There is no unit {:?}.", v.unit)));
    }
    if v.at > now + 5 * 60_000 {
        return Err(refuse("at", "时间晚于现在。", "The time is in the future."));
    }
    if !text_ok(&v.place, 100) {
        return Err(refuse("place", "地点最多 100 个字，不含控制字符。", "The place: at most 100 characters."));
    }
    if v.people.is_empty() && !v.unknown {
        return Err(refuse(
            "people",
            "请选择被发现的人员，或勾选“身份不明”。",
            "Choose the people seen, or tick 'unidentified'.",
        ));
    }
    if v.people.len() > MAX_PEOPLE {
        return Err(refuse("people", format!("最多 {MAX_PEOPLE} 人。"), format!("At most {MAX_PEOPLE} people.")));
    }
    for (i, p) in v.people.iter().enumerate() {
        if p.staff_no.is_empty() || !text_ok(&p.staff_no, 64) || !text_ok(&p.name, 64) {
            return Err(refuse(
                "people",
                format!("第 {} 个人员有误。", i + 1),
                format!("people[{i}] is not a person."),
            ));
        }
        if v.people[..i].iter().any(|q| q.staff_no == p.staff_no) {
            return Err(refuse(
                "people",
                format!("{} 选了两次。", p.staff_no),
                format!("{} is named twice.", p.staff_no),
            ));
        }
    }
    let description = v.description.trim();
    if description.is_empty() {
        return Err(refuse("description", "请写明发现的问题。", "Describe what was found."));
    }
    if !long_text_ok(&v.description) {
        return Err(refuse(
            "description",
            format!("描述最多 {MAX_TEXT} 个字。"),
            format!("The description: at most {MAX_TEXT} characters."),
        ));
    }
    if v.photos.len() > MAX_PHOTOS {
        return Err(refuse("photos", format!("最多 {MAX_PHOTOS} 张照片。"), format!("At most {MAX_PHOTOS} photos.")));
    }
    if v.photos.iter().any(|p| !crate::files::staff::is_photo_name(p)) {
        return Err(refuse("photos", "照片名称有误。", "A photo is not named by its content."));
    }
    let inspectors: Vec<&String> = v.inspectors.iter().filter(|i| !i.trim().is_empty()).collect();
    if inspectors.is_empty() || inspectors.len() != v.inspectors.len() {
        return Err(refuse("inspectors", "请填写检查人员。", "Name the inspectors."));
    }
    if v.inspectors.len() > 10 || v.inspectors.iter().any(|i| !text_ok(i, 40)) {
        return Err(refuse(
            "inspectors",
            "检查人员最多 10 人，每人最多 40 个字。",
            "At most 10 inspectors of 40 characters.",
        ));
    }
    Ok(())
}

/// Whether `event` may follow what `finding` is now (the content of a
/// version is checked apart, by [`check_version`]).
pub fn check(finding: &Finding, event: &Event) -> Result<(), Refusal> {
    let case = finding.case.as_ref();
    let closed = case.is_some_and(|c| c.state.closed());
    let state_words = |s: CaseState| (s.zh(), s.en());
    match event {
        Event::Version(_) if closed => {
            Err(refuse("finding", "案件已结案，不能再修改。", "The case is closed: the finding cannot change."))
        }
        Event::Version(_) => Ok(()),
        Event::Opened if case.is_some() => Err(refuse("case", "已经立案。", "It is a case already.")),
        Event::Opened => Ok(()),
        _ if case.is_none() => Err(refuse("case", "请先立案。", "Make it a case first.")),
        Event::State { to, reason } => {
            let c = case.expect("a case");
            let (zh, en) = state_words(c.state);
            if c.state.closed() {
                return Err(refuse("state", format!("案件已{zh}。"), format!("The case is {en}.")));
            }
            if !long_text_ok(reason) {
                return Err(refuse("reason", format!("理由最多 {MAX_TEXT} 个字。"), "The reason is too long."));
            }
            match to {
                CaseState::Dismissed if reason.trim().is_empty() => {
                    Err(refuse("reason", "不予处理须写明理由。", "Dismissing needs a reason."))
                }
                CaseState::Dismissed => Ok(()),
                CaseState::Archived if c.state == CaseState::Handling => {
                    let undecided: Vec<&str> = finding
                        .current()
                        .people
                        .iter()
                        .filter(|p| !c.decisions.contains_key(&p.staff_no))
                        .map(|p| p.name.as_str())
                        .collect();
                    if undecided.is_empty() {
                        Ok(())
                    } else {
                        let names = undecided.join("、");
                        Err(refuse(
                            "state",
                            format!("{names} 尚无处理决定，不能归档。"),
                            format!("{names}: no decision yet; it cannot be archived."),
                        ))
                    }
                }
                to if c.state.next() == Some(*to) => Ok(()),
                to => Err(refuse(
                    "state",
                    format!("不能从“{zh}”转为“{}”。", to.zh()),
                    format!("A case cannot go from {en} to {}.", to.en()),
                )),
            }
        }
        Event::Decision { staff_no, decided_by, .. } | Event::Leader { name: staff_no, decided_by, .. } => {
            let c = case.expect("a case");
            if c.state != CaseState::Handling {
                let (zh, en) = state_words(c.state);
                return Err(refuse(
                    "decision",
                    format!("处理决定在“处理”阶段作出（现为“{zh}”）。"),
                    format!("Decisions are made while handling (the case is {en})."),
                ));
            }
            if !text_ok(decided_by, 40) || decided_by.trim().is_empty() {
                return Err(refuse(
                    "decided_by",
                    "请填写决定人（最多 40 个字）。",
                    "Say who decided (at most 40 characters).",
                ));
            }
            match event {
                Event::Decision { .. } if !finding.names(staff_no) => Err(refuse(
                    "staff_no",
                    format!("{staff_no} 不是本问题涉及的人员。"),
                    format!("{staff_no} is not named in the finding."),
                )),
                Event::Leader { unit, .. }
                    if staff_no.trim().is_empty() || !text_ok(staff_no, 64) || !text_ok(unit, 64) =>
                {
                    Err(refuse("leader", "请填写负有领导责任的负责人。", "Name the leader responsible."))
                }
                _ => Ok(()),
            }
        }
        Event::Publish { published: true } => {
            let c = case.expect("a case");
            let decided = finding.current().people.iter().any(|p| c.decisions.contains_key(&p.staff_no));
            if !matches!(c.state, CaseState::Handling | CaseState::Archived) || !(decided || c.leader.is_some()) {
                Err(refuse("published", "有处理决定后才能曝光。", "A case is published once something is decided."))
            } else {
                Ok(())
            }
        }
        Event::Publish { published: false } => Ok(()),
    }
}

/// The report's 暗访问题: counted findings with their day in `[from, to]`,
/// per person named and per unit (a finding naming two people is one for
/// their unit).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub people: HashMap<String, u32>,
    pub units: HashMap<String, u32>,
}

pub fn tally(findings: &[Finding], from: NaiveDate, to: NaiveDate) -> Tally {
    let mut t = Tally::default();
    for f in findings.iter().filter(|f| f.counted()) {
        let v = f.current();
        if !(from..=to).contains(&v.day()) {
            continue;
        }
        *t.units.entry(v.unit.clone()).or_default() += 1;
        for p in &v.people {
            *t.people.entry(p.staff_no.clone()).or_default() += 1;
        }
    }
    t
}

/// Sets the report's 暗访问题: each person's count, and each unit row's
/// from the units that roll up to it (`head`: the row a unit counts in,
/// `None` when outside the report).
pub fn count_into(t: &Tally, people: &mut [ReportRow], units: &mut [ReportRow], head: impl Fn(&str) -> Option<String>) {
    for p in people.iter_mut() {
        p.findings = Some(t.people.get(&p.staff_no).copied().unwrap_or(0));
    }
    for u in units.iter_mut() {
        u.findings = Some(0);
    }
    for (unit, n) in &t.units {
        let Some(h) = head(unit) else { continue };
        if let Some(row) = units.iter_mut().find(|u| u.unit == h) {
            row.findings = Some(row.findings.unwrap_or(0) + n);
        }
    }
}

/// Stored events as [`Stored`]: one that cannot be read (written by a
/// newer server) is left out, said in the log.
pub fn parse_rows(rows: Vec<CaseEventRow>) -> Vec<Stored> {
    rows.into_iter()
        .filter_map(|r| match serde_json::from_str::<Event>(&r.body) {
            Ok(event) => Some(Stored { finding: r.finding, seq: r.seq, by: r.by, at: r.at, event }),
            Err(e) => {
                eprintln!("finding {} event {}: unreadable ({e}); left out", r.finding, r.seq);
                None
            }
        })
        .collect()
}

/// A unit's cases in the quarterly 通报's table: findings, people handled
/// (a decision made), and those by decision (in [`Decision::ALL`]'s order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitCases {
    pub unit: String,
    pub findings: u32,
    pub handled: u32,
    pub by_decision: [u32; 7],
}

/// The counted findings of `[from, to]` by unit (by name), with their
/// people's decisions (a leader's counts as a person handled).
pub fn unit_cases(findings: &[Finding], from: NaiveDate, to: NaiveDate) -> Vec<UnitCases> {
    let mut by_unit: BTreeMap<String, UnitCases> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.counted() && (from..=to).contains(&f.current().day())) {
        let v = f.current();
        let u = by_unit.entry(v.unit.clone()).or_insert_with(|| UnitCases {
            unit: v.unit.clone(),
            findings: 0,
            handled: 0,
            by_decision: [0; 7],
        });
        u.findings += 1;
        let Some(c) = &f.case else { continue };
        let decided =
            v.people.iter().filter_map(|p| c.decisions.get(&p.staff_no)).chain(c.leader.iter().map(|l| &l.decided));
        for d in decided {
            u.handled += 1;
            u.by_decision[d.decision.index()] += 1;
        }
    }
    by_unit.into_values().collect()
}

/// Whether a person is called by name or as 某同志 in a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calling {
    Names,
    Anonymous,
}

/// The published cases of `[from, to]` as the 通报's 典型案例 lines, in
/// date order: who (named or 某同志), what, when, what was decided.
pub fn typical_cases(findings: &[Finding], from: NaiveDate, to: NaiveDate, calling: Calling) -> Vec<String> {
    let mut cases: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.counted() && f.case.as_ref().is_some_and(|c| c.published))
        .filter(|f| (from..=to).contains(&f.current().day()))
        .collect();
    cases.sort_by_key(|f| (f.current().at, f.id));
    cases.iter().map(|f| typical_case(f, calling)).collect()
}

fn typical_case(f: &Finding, calling: Calling) -> String {
    use chrono::Datelike;
    let v = f.current();
    let local = crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, v.at);
    let who = |name: &str| match calling {
        Calling::Names => format!("{name}同志"),
        Calling::Anonymous => "某同志".to_string(),
    };
    let mut people: Vec<String> = v.people.iter().map(|p| who(&p.name)).collect();
    if v.unknown {
        people.push("身份不明人员".to_string());
    }
    let place = if v.place.is_empty() { String::new() } else { format!("在{}", v.place) };
    let description = v.description.trim().trim_end_matches(['。', '.']);
    let mut line = format!(
        "{}年{}月{}日{}，暗访发现{}{}{}存在“{}”问题：{}。",
        local.year(),
        local.month(),
        local.day(),
        local.format("%H:%M"),
        v.unit,
        people.join("、"),
        place,
        v.category.zh(),
        description,
    );
    if let Some(c) = &f.case {
        let decided: Vec<String> = v
            .people
            .iter()
            .filter_map(|p| c.decisions.get(&p.staff_no).map(|d| format!("给予{}{}", who(&p.name), d.decision.zh())))
            .collect();
        if !decided.is_empty() {
            line.push_str(&format!("经核实，{}", decided.join("，")));
        }
        if let Some(l) = &c.leader {
            let sep = if decided.is_empty() { "经核实，" } else { "；" };
            line.push_str(&format!(
                "{sep}对负有领导责任的{}负责人{}给予{}",
                l.unit,
                who(&l.name),
                l.decided.decision.zh()
            ));
        }
        if !decided.is_empty() || c.leader.is_some() {
            line.push('。');
        }
    }
    line
}

/// A photo from an inspector's phone: JPEG or PNG by its header and
/// readable dimensions, at most [`MAX_PHOTO_BYTES`] and
/// [`MAX_PHOTO_SIDE`]. Returns its content name (SHA-256 hex and
/// extension), or why not, in both languages.
pub fn photo_name(bytes: &[u8]) -> Result<String, Refusal> {
    use sha2::Digest;
    if bytes.len() > MAX_PHOTO_BYTES {
        let mb = bytes.len() as f64 / 1_048_576.0;
        return Err(refuse(
            "photos",
            format!("照片 {mb:.1} MB，最大 {} MB。", MAX_PHOTO_BYTES / 1_048_576),
            format!("The photo is {mb:.1} MB, at most {} MB.", MAX_PHOTO_BYTES / 1_048_576),
        ));
    }
    let ext = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Jpeg) => "jpg",
        Ok(imagesize::ImageType::Png) => "png",
        _ => return Err(refuse("photos", "不是 JPEG 或 PNG 图片。", "Not a JPEG or PNG picture.")),
    };
    match imagesize::blob_size(bytes) {
        Ok(s) if s.width > 0 && s.height > 0 && s.width <= MAX_PHOTO_SIDE && s.height <= MAX_PHOTO_SIDE => {}
        Ok(s) => {
            return Err(refuse(
                "photos",
                format!("图片 {}×{} 像素，每边最多 {MAX_PHOTO_SIDE}。", s.width, s.height),
                format!("The picture is {}×{} pixels, at most {MAX_PHOTO_SIDE} a side.", s.width, s.height),
            ))
        }
        Err(e) => {
            return Err(refuse("photos", format!("图片无法读取（{e}）。"), format!("An unreadable picture ({e}).")))
        }
    }
    let hex: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{hex}.{ext}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Instant {
        let local = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        crate::domain::time::local_to_instant(chrono_tz::Asia::Shanghai, local)
    }

    fn version(day: &str, people: &[(&str, &str)]) -> FindingVersion {
        FindingVersion {
            at: at(&format!("{day} 10:05")),
            unit: "城关镇".into(),
            place: "办事大厅".into(),
            people: people.iter().map(|(s, n)| Named { staff_no: s.to_string(), name: n.to_string() }).collect(),
            unknown: false,
            category: Category::Unrelated,
            description: "上班时间玩手机游戏".into(),
            photos: vec![],
            inspectors: vec!["督查组 李"].into_iter().map(String::from).collect(),
        }
    }

    /// Appends `events` one by one as the storage does: each checked
    /// against the fold of those before.
    fn run(first: FindingVersion, events: &[Event]) -> Result<Finding, Refusal> {
        let mut stored = vec![Stored { finding: 1, seq: 1, by: "insp".into(), at: 1, event: Event::Version(first) }];
        for (i, e) in events.iter().enumerate() {
            let f = fold(stored.clone()).remove(0);
            check(&f, e)?;
            stored.push(Stored {
                finding: 1,
                seq: i as u64 + 2,
                by: "bureau".into(),
                at: 2 + i as i64,
                event: e.clone(),
            });
        }
        Ok(fold(stored).remove(0))
    }

    fn state(to: CaseState) -> Event {
        Event::State { to, reason: String::new() }
    }

    fn decide(staff_no: &str, d: Decision) -> Event {
        Event::Decision { staff_no: staff_no.into(), decision: d, decided_by: "区纪委".into() }
    }

    #[test]
    fn a_case_goes_forward_and_is_archived_only_when_everyone_is_decided() {
        let v = version("2026-10-15", &[("0001", "张三"), ("0002", "李四")]);
        let handling = [
            Event::Opened,
            state(CaseState::Verifying),
            state(CaseState::Handling),
            decide("0001", Decision::PublicCriticism),
        ];
        let f = run(v.clone(), &handling).unwrap();
        assert_eq!(f.state(), Some(CaseState::Handling));
        let archive = check(&f, &state(CaseState::Archived)).unwrap_err();
        assert!(archive.zh.contains("李四"), "{archive:?}");
        let mut all = handling.to_vec();
        all.extend([
            decide("0002", Decision::Reminder),
            decide("0002", Decision::Criticism),
            state(CaseState::Archived),
        ]);
        let f = run(v.clone(), &all).unwrap();
        let c = f.case.as_ref().unwrap();
        assert_eq!(c.state, CaseState::Archived);
        // A later decision for the same person stands; both are kept.
        assert_eq!(c.decisions["0002"].decision, Decision::Criticism);
        assert_eq!(c.steps.len(), all.len());
        // Closed: no change of the finding, no step.
        assert!(check(&f, &Event::Version(v.clone())).is_err());
        assert!(check(&f, &state(CaseState::Dismissed)).is_err());
    }

    #[test]
    fn steps_out_of_order_are_refused_with_their_field() {
        let v = version("2026-10-15", &[("0001", "张三")]);
        assert_eq!(run(v.clone(), &[state(CaseState::Verifying)]).unwrap_err().field, "case");
        assert_eq!(run(v.clone(), &[Event::Opened, state(CaseState::Handling)]).unwrap_err().field, "state");
        assert_eq!(run(v.clone(), &[Event::Opened, Event::Opened]).unwrap_err().field, "case");
        // A decision before handling, or for someone not named.
        assert_eq!(run(v.clone(), &[Event::Opened, decide("0001", Decision::Reminder)]).unwrap_err().field, "decision");
        let handling = [Event::Opened, state(CaseState::Verifying), state(CaseState::Handling)];
        let mut stranger = handling.to_vec();
        stranger.push(decide("9999", Decision::Reminder));
        assert_eq!(run(v.clone(), &stranger).unwrap_err().field, "staff_no");
        // Published only with a decision.
        let mut early = handling.to_vec();
        early.push(Event::Publish { published: true });
        assert_eq!(run(v.clone(), &early).unwrap_err().field, "published");
        // Dismissed only with a reason.
        let dismiss = Event::State { to: CaseState::Dismissed, reason: " ".into() };
        assert_eq!(run(v.clone(), &[Event::Opened, dismiss]).unwrap_err().field, "reason");
        let dismiss = Event::State { to: CaseState::Dismissed, reason: "经核实为公务外出".into() };
        let f = run(v, &[Event::Opened, dismiss]).unwrap();
        assert!(!f.counted());
        assert_eq!(f.case.unwrap().reason, "经核实为公务外出");
    }

    #[test]
    fn the_report_and_the_draft_count_what_stands() {
        let a = run(version("2026-10-15", &[("0001", "张三"), ("0002", "李四")]), &[]).unwrap();
        let mut b = run(
            version("2026-10-31", &[("0001", "张三")]),
            &[
                Event::Opened,
                state(CaseState::Verifying),
                state(CaseState::Handling),
                decide("0001", Decision::PublicCriticism),
                Event::Leader {
                    name: "王五".into(),
                    unit: "城关镇".into(),
                    decision: Decision::Admonition,
                    decided_by: "区委组织部".into(),
                },
                Event::Publish { published: true },
            ],
        )
        .unwrap();
        b.id = 2;
        let dismissed = run(
            version("2026-10-20", &[("0003", "赵六")]),
            &[Event::Opened, Event::State { to: CaseState::Dismissed, reason: "误报".into() }],
        )
        .unwrap();
        let all = [a, b, dismissed];
        let (from, to) =
            (NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
        let t = tally(&all, from, to);
        assert_eq!(t.people.get("0001"), Some(&2));
        assert_eq!(t.people.get("0002"), Some(&1));
        assert_eq!(t.people.get("0003"), None, "dismissed is not counted");
        assert_eq!(t.units.get("城关镇"), Some(&2));
        // One day either side leaves the 31st's out.
        assert_eq!(tally(&all, from, to.pred_opt().unwrap()).people.get("0001"), Some(&1));
        let table = unit_cases(&all, from, to);
        assert_eq!(table.len(), 1);
        assert_eq!((table[0].findings, table[0].handled), (2, 2));
        assert_eq!(table[0].by_decision[Decision::PublicCriticism.index()], 1);
        assert_eq!(table[0].by_decision[Decision::Admonition.index()], 1);
        let named = typical_cases(&all, from, to, Calling::Names);
        assert_eq!(named.len(), 1, "only the published case");
        assert!(named[0].starts_with("2026年10月31日10:05，暗访发现城关镇张三同志在办事大厅"), "{}", named[0]);
        assert!(named[0].contains("给予张三同志通报批评") && named[0].contains("王五同志给予诫勉谈话"), "{}", named[0]);
        let anonymous = typical_cases(&all, from, to, Calling::Anonymous);
        assert!(!anonymous[0].contains("张三") && !anonymous[0].contains("王五"), "{}", anonymous[0]);
        assert!(anonymous[0].contains("某同志"));
    }

    #[test]
    fn findings_rank_after_spot_checks_and_only_where_known() {
        let row = |no: &str, spot: u32, found: Option<u32>| ReportRow {
            staff_no: no.into(),
            spot_check_absences: spot,
            findings: found,
            ..ReportRow::default()
        };
        let order = |mut rows: Vec<ReportRow>| {
            crate::domain::summary::rank(&mut rows, &mut []);
            rows.into_iter().map(|r| r.staff_no).collect::<Vec<_>>()
        };
        let central = vec![row("1", 0, Some(3)), row("2", 1, Some(0)), row("3", 0, Some(0)), row("4", 0, Some(1))];
        assert_eq!(order(central), ["2", "1", "4", "3"]);
        // The kiosk's report (no findings): SPEC's four keys, then the number.
        assert_eq!(order(vec![row("1", 0, None), row("2", 1, None)]), ["1", "2"]);
    }

    #[test]
    fn events_round_trip_as_json() {
        let events = [
            Event::Version(version("2026-10-15", &[("0001", "张三")])),
            Event::Opened,
            state(CaseState::Dismissed),
            decide("0001", Decision::Referred),
            Event::Publish { published: false },
        ];
        for e in events {
            let text = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e, "{text}");
        }
        assert!(serde_json::to_string(&state(CaseState::Archived)).unwrap().contains("\"to\":\"归档\""));
    }

    #[test]
    fn a_finding_needs_its_parts() {
        let units = vec!["城关镇".to_string()];
        let now = at("2026-10-16 09:00");
        let ok = version("2026-10-15", &[("0001", "张三")]);
        assert_eq!(check_version(&ok, &units, now), Ok(()));
        let bad = |f: &dyn Fn(&mut FindingVersion)| {
            let mut v = ok.clone();
            f(&mut v);
            check_version(&v, &units, now).unwrap_err().field
        };
        assert_eq!(bad(&|v| v.unit = "别处".into()), "unit");
        assert_eq!(bad(&|v| v.people.clear()), "people");
        assert_eq!(bad(&|v| v.people.push(v.people[0].clone())), "people");
        assert_eq!(bad(&|v| v.description = "  ".into()), "description");
        assert_eq!(bad(&|v| v.inspectors.clear()), "inspectors");
        assert_eq!(bad(&|v| v.at = now + 3_600_000), "at");
        assert_eq!(bad(&|v| v.photos = vec!["x.jpg".into()]), "photos");
        let mut unknown = ok.clone();
        unknown.people.clear();
        unknown.unknown = true;
        assert_eq!(check_version(&unknown, &units, now), Ok(()));
    }

    #[test]
    fn only_pictures_under_the_cap_are_photos() {
        let mut png = Vec::new();
        image_png(&mut png, 4, 3);
        let name = photo_name(&png).unwrap();
        assert!(name.ends_with(".png") && crate::files::staff::is_photo_name(&name));
        assert_eq!(photo_name(b"%PDF-1.4 not a picture").unwrap_err().field, "photos");
        let mut big = png.clone();
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert!(photo_name(&big).unwrap_err().zh.contains("最大 8 MB"));
    }

    /// A real PNG header (signature and IHDR) of `w`×`h`.
    fn image_png(out: &mut Vec<u8>, w: u32, h: u32) {
        out.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&h.to_be_bytes());
        out.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    }
}
