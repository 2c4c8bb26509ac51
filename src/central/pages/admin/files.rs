//! 导入: the admin's uploads of the files the kiosk takes (staff, roster,
//! leave: CSV in UTF-8 or GB18030, or `.xlsx`; the holiday-cn calendar
//! year), imported by the same code as `dutyclock-central staff import`
//! and the rest, all rows or none, an error naming `FILE:LINE` or
//! `FILE:SHEET!ROW` of the file as the admin named it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{csrf, forbidden, input_error, Role};
use crate::central::api::{self, App};
use crate::central::auth;
use crate::central::master::{self, MasterError, Outcome};
use crate::central::pages::{failed, Viewer};
use crate::central::storage::StorageError;
use crate::files::template::{self, Format, Importer, Kind};

/// The largest upload (a district's staff workbook is well under it; the
/// other forms keep the server's 16 KiB).
pub(in crate::central::pages) const MAX_UPLOAD: usize = 8 * 1024 * 1024;

/// A directory of one request's, removed however the request ends (a
/// timeout or a client gone drops the handler's future midway), made
/// readable by the server's user only.
struct UploadDir(PathBuf);

impl UploadDir {
    fn new() -> std::io::Result<UploadDir> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(format!("dutyclock-upload-{}", auth::new_secret("")));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(UploadDir(dir))
    }
}

impl Drop for UploadDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The kinds of file, their form value and words.
const KINDS: [(&str, &str, &str); 5] = [
    ("staff", "人员名单（staff）", "Staff file"),
    ("roster", "值班表（roster）", "Roster"),
    ("leave", "请假、公出（leave）", "Leave and duty"),
    ("calendar", "节假日日历（holiday-cn JSON）", "Holiday calendar (holiday-cn JSON)"),
    ("rules", "作息时间（[schedules] 的 TOML，含夏令作息）", "Schedules ([schedules] TOML, seasons included)"),
];

/// `/admin/files`: a form for each kind of file.
pub(in crate::central::pages) async fn page(State(app): State<App>, headers: HeaderMap) -> Response {
    let v = admin_in!(&app, &headers);
    let body = html! {
        p.muted {
            (v.w("与终端导入的文件相同：CSV（UTF-8 或 GB18030）或 .xlsx；出错时整份文件不导入，并指出文件、行号。管理中心数据的终端（master = true）在 30 秒内取得更改。",
                 "The files the kiosk takes: CSV (UTF-8 or GB18030) or .xlsx; a file with an error is not imported at all, and the error names the file and line. Kiosks that take their data from here (master = true) have the changes within 30 s."))
        }
        @for (kind, zh, en) in KINDS {
            h2 { (v.w(zh, en)) }
            @if template_kind(kind).is_some() {
                p.muted {
                    (v.w("模板：", "Template: "))
                    a href={"/admin/templates/" (kind) ".xlsx"} { "Excel" } " · "
                    a href={"/admin/templates/" (kind) ".csv"} { "CSV" }
                }
            }
            form.stack method="post" action="/admin/files" enctype="multipart/form-data" {
                (csrf(&v))
                input type="hidden" name="kind" value=(kind);
                input type="file" name="file" required;
                button { (v.w("导入", "Import")) }
            }
        }
    };
    super::page(&v, v.w("导入文件", "Import files"), "/admin/files", body)
}

/// The template kind of a form's kind of file (the calendar and the
/// schedules have their own formats).
fn template_kind(kind: &str) -> Option<Kind> {
    Kind::AT_CENTRAL.into_iter().find(|k| k.word() == kind)
}

/// `GET /admin/templates/{KIND.csv|KIND.xlsx}`: the kiosk's template of a
/// file central imports, the leave kinds with the district's duty kinds.
pub(in crate::central::pages) async fn template(
    State(app): State<App>,
    headers: HeaderMap,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let v = admin_in!(&app, &headers);
    let found = file.rsplit_once('.').and_then(|(kind, ext)| {
        let format = [Format::Csv, Format::Xlsx].into_iter().find(|f| f.extension() == ext)?;
        Some((template_kind(kind)?, format))
    });
    let Some((kind, format)) = found else {
        return input_error(
            &v,
            "/admin/files",
            &format!("no template {file:?}: staff, roster or leave, .csv or .xlsx"),
        );
    };
    let duty = match master::duty_kinds(&*app.storage).await {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    match template::file(kind, format, v.lang, &template::leave_kinds(duty), Importer::Central) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, format.content_type().to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}.{}\"", kind.word(), format.extension()),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => failed(StorageError::Db(format!("template: {e}"))),
    }
}

/// A file name as the admin gave it, safe to create in a directory of
/// our own: its last path part, without control characters.
fn file_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).take(100).collect();
    match clean.trim() {
        "" | "." | ".." => "upload".to_string(),
        t => t.to_string(),
    }
}

/// A multipart form's text fields, and its `file` (the name as the
/// browser gave it, made safe by [`file_name`], and the bytes).
pub(in crate::central::pages) async fn read_form(
    form: &mut Multipart,
) -> Result<(HashMap<String, String>, Option<(String, axum::body::Bytes)>), String> {
    let (mut fields, mut file) = (HashMap::new(), None);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("the upload could not be read: {e}")),
        };
        let key = field.name().unwrap_or("").to_string();
        if key == "file" {
            let name = file_name(field.file_name().unwrap_or("upload"));
            match field.bytes().await {
                Ok(b) => file = Some((name, b)),
                Err(e) => return Err(format!("the file could not be read: {e}")),
            }
        } else if let Ok(text) = field.text().await {
            fields.insert(key, text);
        }
    }
    Ok((fields, file))
}

/// `POST /admin/files` (multipart): the session's CSRF token, the kind, the file.
pub(in crate::central::pages) async fn upload(
    State(app): State<App>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let v = admin_in!(&app, &headers);
    let (fields, file) = match read_form(&mut form).await {
        Ok(f) => f,
        Err(m) => return input_error(&v, "/admin/files", &m),
    };
    if !fields.get("csrf").is_some_and(|t| auth::same(t, &v.csrf)) {
        return super::refused(&v);
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return input_error(
            &v,
            "/admin/files",
            v.w("没有选择文件（或文件为空）。", "No file was chosen (or it is empty)."),
        );
    };
    let kind = fields.get("kind").cloned().unwrap_or_default();
    if !KINDS.iter().any(|(k, ..)| *k == kind) {
        return input_error(&v, "/admin/files", &format!("unknown kind of file {kind:?}"));
    }
    // Kept under its own name (its extension says CSV or workbook) in a
    // directory of this request's, removed after.
    let dir = match UploadDir::new() {
        Ok(d) => d,
        Err(e) => return input_error(&v, "/admin/files", &format!("the file could not be kept for reading: {e}")),
    };
    let path: PathBuf = dir.0.join(&name);
    if let Err(e) = std::fs::write(&path, &bytes) {
        return input_error(&v, "/admin/files", &format!("the file could not be kept for reading: {e}"));
    }
    let r = import(&app, &kind, &path, &v.user.name).await;
    let strip = |m: String| m.replace(&format!("{}/", dir.0.display()), "");
    match r {
        Ok(o) => done(&v, &name, &o, &strip),
        Err(MasterError::Import(e)) => input_error(&v, "/admin/files", &strip(e.to_string())),
        Err(MasterError::Storage(e)) => failed(e),
    }
}

async fn import(app: &App, kind: &str, path: &Path, who: &str) -> Result<Outcome, MasterError> {
    let (s, now) = (&*app.storage, api::now());
    match kind {
        "staff" => master::import_staff(s, path, false, who, now).await,
        "roster" => master::import_roster(s, path, who, now).await,
        "leave" => master::import_leave(s, path, who, now).await,
        "rules" => master::import_rules(s, path, who, now).await,
        _ => master::import_calendar(s, path, who, now).await,
    }
}

fn done(v: &Viewer, name: &str, o: &Outcome, strip: &dyn Fn(String) -> String) -> Response {
    let body = html! {
        p role="status" {
            (name) (v.w("：已导入。", ": imported. "))
            (v.w("更改 ", "Changed ")) (o.changed) (v.w("，未变 ", ", unchanged ")) (o.unchanged)
            (v.w("（版本 ", " (version ")) (o.version) (v.w("）", ")"))
        }
        @if !o.notes.is_empty() {
            ul { @for n in &o.notes { li { (strip(n.clone())) } } }
        }
        p { a href="/admin/files" { (v.w("继续导入", "Import another")) } " " a href="/admin/people" { (v.w("人员", "People")) } }
    };
    super::page(v, v.w("已导入", "Imported"), "/admin/files", body)
}
