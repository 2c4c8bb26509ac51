//! 暗访 findings and their cases over real sockets, on both backends
//! (issue 24): an inspector records findings through the API (JSON, and
//! multipart with a PNG and a JPEG), refusals change nothing, photos are
//! served only to signed-in accounts, the bureau moves the case through
//! the page's forms (an inspector cannot, a stale form is refused), and
//! the report, the cases API and the quarter's 通报 draft count it.

#[path = "common/central.rs"]
mod central;
#[path = "common/photo.rs"]
mod photo;

use central::{agent, enc, get, put, rows_text, sign_in, summary, Central, BACKENDS};
use serde_json::Value;

/// A multipart body: text fields, then files (name, type, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----dutyclock-test-7f3a";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").bytes());
    }
    for (i, (k, mime, bytes)) in files.iter().enumerate() {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"photo{i}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A 64×48 JPEG, as a phone would send (smaller).
fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn post(a: &ureq::Agent, url: &str, token: Option<&str>, mime: &str, body: &[u8]) -> (u16, String) {
    let mut req = a.post(url).header("Content-Type", mime);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.send(body).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
}

/// A page with a session cookie: (status, body).
fn page(a: &ureq::Agent, url: &str, cookie: &str) -> (u16, String) {
    let mut r = a.get(url).header("Cookie", cookie).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
}

/// The first value of hidden field `name` on a page.
fn hidden(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("{name} on {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

/// Posts a case step as the page's form does; (status, body).
fn step(a: &ureq::Agent, base: &str, id: i64, cookie: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let (_, shown) = page(a, &format!("{base}/findings/{id}"), cookie);
    let (csrf, seen) = (hidden(&shown, "csrf"), hidden(&shown, "seen"));
    let mut form = vec![("csrf", csrf.as_str()), ("seen", seen.as_str())];
    form.extend_from_slice(fields);
    let mut r = a.post(&format!("{base}/findings/{id}/case")).header("Cookie", cookie).send_form(form).unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap_or_default())
}

fn findings_count(c: &Central) -> usize {
    rows_text(c, "SELECT CAST(count(*) AS TEXT) FROM findings").trim().parse().unwrap()
}

#[test]
fn findings_become_cases_and_reach_the_report_and_the_bulletin() {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    // A day three days back: the unit's people are those of its kiosk's
    // last 31 days, and the quarter is that day's.
    let day = today - chrono::Duration::days(3);
    let (year, q) = (chrono::Datelike::year(&day), chrono::Datelike::month0(&day) / 3 + 1);
    let q_from = chrono::NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1, 1).unwrap();
    for backend in BACKENDS {
        let mut c = Central::new(backend);
        let k1 = c.kiosk("hall-1", &["城关镇"]);
        let inspector = c.user("insp", "inspector", "inspector pass");
        let bureau = c.user("bur", "bureau", "bureau password");
        c.start();
        let a = agent();
        let no_redirect =
            ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().new_agent();
        let base = c.url.clone();
        // 陈一 (0000) is first by staff number: only the findings rank 张三
        // and 李四 above.
        let people = [
            ("0000", "陈一", "城关镇", 0),
            ("0001", "张三", "城关镇", 0),
            ("0002", "李四", "城关镇", 0),
            ("0003", "王五", "城关镇", 0),
        ];
        let s = summary("hall-1", &day.to_string(), 1, &people);
        assert_eq!(put(&a, &base, "hall-1", &day.to_string(), Some(&k1), &serde_json::to_vec(&s).unwrap()).0, 201);
        let at = format!("{day} 10:05");
        let finding = |people: &[&str]| {
            serde_json::json!({"at": at, "unit": "城关镇", "place": "三楼办事大厅", "people": people,
                "category": "上班时间从事与工作无关的事", "description": "上班时间玩手机游戏", "inspectors": ["督查组 陈"]})
            .to_string()
        };
        let url = format!("{base}/api/v1/findings");
        // Refused, and nothing stored: a bureau account, no token, a
        // person not of the unit, an unknown category, a photo that is
        // not a picture, one over the cap.
        let json = "application/json";
        let (s403, _) = post(&a, &url, Some(&bureau), json, finding(&["0001"]).as_bytes());
        assert_eq!(s403, 403, "{backend:?}: a bureau account records no finding");
        assert_eq!(post(&a, &url, None, json, finding(&["0001"]).as_bytes()).0, 401);
        let (s, e) = post(&a, &url, Some(&inspector), json, finding(&["0001", "9999"]).as_bytes());
        assert!(s == 400 && e.contains("\"field\":\"people[1]\""), "{s} {e}");
        let bad = finding(&["0001"]).replace("上班时间从事与工作无关的事", "打瞌睡");
        let (s, e) = post(&a, &url, Some(&inspector), json, bad.as_bytes());
        assert!(s == 400 && e.contains("\"field\":\"category\""), "{s} {e}");
        let (mime, body) =
            multipart(&[("finding", &finding(&["0001"]))], &[("photos", "application/pdf", b"%PDF-1.4 minutes")]);
        let (s, e) = post(&a, &url, Some(&inspector), &mime, &body);
        assert!(s == 400 && e.contains("photos[0]") && e.contains("Not a JPEG or PNG"), "{s} {e}");
        let mut huge = photo::portrait_png_bytes();
        huge.resize(8 * 1024 * 1024 + 1, 0);
        let (mime, body) = multipart(&[("finding", &finding(&["0001"]))], &[("photos", "image/png", &huge)]);
        let (s, e) = post(&a, &url, Some(&inspector), &mime, &body);
        assert!(s == 400 && e.contains("at most 8 MB"), "{s} {e}");
        assert_eq!(findings_count(&c), 0, "{backend:?}: refusals store nothing");
        // Two findings: JSON for 张三 and 李四; multipart with a PNG and a
        // JPEG for 张三.
        let (s, first) = post(&a, &url, Some(&inspector), json, finding(&["0001", "0002"]).as_bytes());
        assert_eq!(s, 201, "{first}");
        let first: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(first["people"][1]["name"], "李四");
        assert_eq!(first["recorded_by"], "insp");
        let (png, jpg) = (photo::portrait_png_bytes(), jpeg());
        let (mime, body) = multipart(
            &[("finding", &finding(&["0001"]))],
            &[("photos", "image/png", &png), ("photos", "image/jpeg", &jpg)],
        );
        let (s, second) = post(&a, &url, Some(&inspector), &mime, &body);
        assert_eq!(s, 201, "{second}");
        let second: Value = serde_json::from_str(&second).unwrap();
        let photos: Vec<String> =
            second["photos"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
        assert_eq!(photos.len(), 2);
        assert!(photos[0].ends_with(".png") && photos[1].ends_with(".jpg"), "{photos:?}");
        let id = first["id"].as_i64().unwrap();
        // A photo: to a signed-in account, no-store; without a session the login.
        let photo_url = format!("{base}/findings/photos/{}", photos[1]);
        let r = no_redirect.get(&photo_url).call().unwrap();
        assert_eq!(r.status().as_u16(), 303, "not signed in: to the login");
        let bureau_cookie = sign_in(&c, "bur", "bureau password");
        let mut r = a.get(&photo_url).header("Cookie", &bureau_cookie).call().unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
        assert_eq!(r.headers().get("content-type").unwrap(), "image/jpeg");
        assert_eq!(r.body_mut().read_to_vec().unwrap(), jpg);
        // The finding's page shows each person's day from the kiosk.
        let (_, shown) = page(&a, &format!("{base}/findings/{id}"), &bureau_cookie);
        assert!(shown.contains("张三") && shown.contains("08:29") && shown.contains("正常"), "{backend:?}: {shown}");
        // The case, through the page's forms. An inspector cannot decide;
        // a step out of order is refused naming why; a stale form too.
        let insp_cookie = sign_in(&c, "insp", "inspector pass");
        let (_, theirs) = page(&a, &format!("{base}/findings/{id}"), &insp_cookie);
        assert!(!theirs.contains("name=\"seen\""), "an inspector is shown no case forms");
        let forged = [("csrf", hidden(&theirs, "csrf")), ("seen", "1".to_string()), ("action", "open".to_string())];
        let r = no_redirect
            .post(&format!("{base}/findings/{id}/case"))
            .header("Cookie", &insp_cookie)
            .send_form(forged)
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "an inspector cannot open a case");
        let (s, e) = step(
            &a,
            &base,
            id,
            &bureau_cookie,
            &[("action", "decide"), ("staff_no", "0001"), ("decision", "通报批评"), ("decided_by", "区纪委")],
        );
        assert!(s == 400 && e.contains("请先立案"), "{s} {e}");
        assert_eq!(step(&no_redirect, &base, id, &bureau_cookie, &[("action", "open")]).0, 303);
        let (s, e) = step(&no_redirect, &base, id, &bureau_cookie, &[("action", "state"), ("to", "处理")]);
        assert!(s == 400 && e.contains("不能从"), "{s} {e}");
        let (_, stale) = page(&a, &format!("{base}/findings/{id}"), &bureau_cookie);
        for to in ["核实", "处理"] {
            assert_eq!(
                step(&no_redirect, &base, id, &bureau_cookie, &[("action", "state"), ("to", to)]).0,
                303,
                "{to}"
            );
        }
        let old = [
            ("csrf", hidden(&stale, "csrf")),
            ("seen", hidden(&stale, "seen")),
            ("action", "publish".into()),
            ("published", "1".into()),
        ];
        let mut r =
            a.post(&format!("{base}/findings/{id}/case")).header("Cookie", &bureau_cookie).send_form(old).unwrap();
        assert_eq!(r.status().as_u16(), 400);
        assert!(r.body_mut().read_to_string().unwrap().contains("刷新"), "a stale form is refused");
        for (no, d) in [("0001", "通报批评"), ("0002", "提醒谈话")] {
            let form = [("action", "decide"), ("staff_no", no), ("decision", d), ("decided_by", "区委组织部")];
            assert_eq!(step(&no_redirect, &base, id, &bureau_cookie, &form).0, 303, "{no}");
        }
        let leader = [("action", "leader"), ("name", "赵局长"), ("decision", "诫勉谈话"), ("decided_by", "区纪委")];
        assert_eq!(step(&no_redirect, &base, id, &bureau_cookie, &leader).0, 303);
        assert_eq!(step(&no_redirect, &base, id, &bureau_cookie, &[("action", "publish"), ("published", "1")]).0, 303);
        // The cases API: this one, with its decisions; a bad state named.
        let (from, to) = (q_from, today);
        let (s, list) = get(&a, &format!("{base}/api/v1/cases?from={from}&to={to}&state={}", enc("处理")), &inspector);
        assert_eq!(s, 200, "{list}");
        let list: Value = serde_json::from_str(&list).unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        let case = &list[0]["case"];
        assert_eq!(case["published"], true);
        assert_eq!(case["decisions"][0]["decision"], "通报批评");
        assert_eq!(case["decisions"][1]["decision"], "提醒谈话");
        assert_eq!(case["leader"]["decision"], "诫勉谈话");
        let (s, e) = get(&a, &format!("{base}/api/v1/cases?from={from}&to={to}&state=closed"), &bureau);
        assert!(s == 400 && e.contains("\"field\":\"state\""), "{s} {e}");
        let (_, all) = get(&a, &format!("{base}/api/v1/findings?from={from}&to={to}&unit={}", enc("城关镇")), &bureau);
        assert_eq!(serde_json::from_str::<Value>(&all).unwrap().as_array().unwrap().len(), 2);
        // The report's 暗访问题: 张三 in both, 李四 in one; the unit two.
        let (_, report) = get(&a, &format!("{base}/api/v1/report?from={from}&to={to}"), &bureau);
        let report: Value = serde_json::from_str(&report).unwrap();
        let person =
            |no: &str| report["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == no).unwrap().clone();
        assert_eq!((person("0001")["findings"].as_u64(), person("0002")["findings"].as_u64()), (Some(2), Some(1)));
        assert_eq!(person("0003")["findings"].as_u64(), Some(0));
        let order: Vec<&str> =
            report["people"].as_array().unwrap().iter().map(|p| p["staff_no"].as_str().unwrap()).collect();
        assert_eq!(order, ["0001", "0002", "0000", "0003"], "ranked by findings after the other figures");
        assert_eq!(report["units"][0]["findings"].as_u64(), Some(2));
        let (_, csv) = get(&a, &format!("{base}/api/v1/report?from={from}&to={to}&format=csv"), &bureau);
        assert!(csv.lines().next().unwrap().contains("查岗缺岗,暗访问题,"), "{csv}");
        // The quarter's 通报: the published case under 典型案例, and the
        // table by unit.
        let mut r = a
            .get(&format!("{base}/api/v1/bulletin?quarter={year}-Q{q}"))
            .header("Authorization", &format!("Bearer {bureau}"))
            .call()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let text = dutyclock::central::bulletin::text_of(&r.body_mut().read_to_vec().unwrap()).unwrap();
        let at = |needle: &str| {
            text.iter().position(|t| t.contains(needle)).unwrap_or_else(|| panic!("{needle}: {text:#?}"))
        };
        assert!(text[at("共有迟到")].ends_with("缺卡未补0次；暗访发现问题2起。"), "{text:#?}");
        let case = &text[at("（四）暗访发现的典型案例") + 1];
        assert!(case.contains("暗访发现城关镇张三同志、李四同志在三楼办事大厅"), "{case}");
        assert!(
            case.contains("给予张三同志通报批评，给予李四同志提醒谈话") && case.contains("赵局长同志给予诫勉谈话"),
            "{case}"
        );
        assert_eq!(text[at("单位|暗访问题|处理人次") + 1], "城关镇|2|3|1|0|0|1|1|0|0");
        // A change by the inspector is a new version, the old one kept.
        let (_, form) = page(&a, &format!("{base}/findings/{}/edit", second["id"]), &insp_cookie);
        let fields = [
            ("csrf", hidden(&form, "csrf")),
            ("unit", "城关镇".to_string()),
            ("seen", hidden(&form, "seen")),
            ("at", format!("{day}T10:20")),
            ("place", "二楼".into()),
            ("people", "0001".into()),
            ("people", "0003".into()),
            ("category", "工作散漫".into()),
            ("description", "两人聊天".into()),
            ("keep", photos[0].clone()),
            ("inspectors", "督查组 陈、督查组 林".into()),
        ];
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (mime, body) = multipart(&pairs, &[]);
        let mut r = no_redirect
            .post(&format!("{base}/findings/{}", second["id"]))
            .header("Cookie", &insp_cookie)
            .header("Content-Type", &mime)
            .send(&body[..])
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{}", r.body_mut().read_to_string().unwrap_or_default());
        let (_, all) = get(&a, &format!("{base}/api/v1/findings?from={from}&to={to}"), &bureau);
        let all: Value = serde_json::from_str(&all).unwrap();
        let changed = all.as_array().unwrap().iter().find(|f| f["id"] == second["id"]).unwrap();
        assert_eq!((changed["version"].as_u64(), changed["category"].as_str()), (Some(2), Some("工作散漫")));
        assert_eq!(changed["photos"].as_array().unwrap().len(), 1, "one photo kept");
        assert_eq!(changed["inspectors"][1], "督查组 林");
        let events = rows_text(&c, "SELECT CAST(count(*) AS TEXT) FROM case_events");
        assert_eq!(events.trim(), "10", "{backend:?}: every version and step kept");
        // The person's page lists their cases; the unit's page its open ones.
        let (_, p) = page(&a, &format!("{base}/people/0001"), &bureau_cookie);
        assert!(p.contains(&format!("/findings/{id}")) && p.contains(&format!("/findings/{}", second["id"])), "{p}");
        let (_, u) = page(&a, &format!("{base}/units/{}?date={day}", enc("城关镇")), &bureau_cookie);
        assert!(u.contains("未结的暗访问题") && u.contains(&format!("/findings/{id}")), "{u}");
        // Every step is in the audit log.
        let audit = c.ok(&["audit"]);
        assert!(audit.contains(&format!("#{id} published")) && audit.contains("leader 赵局长"), "{audit}");
    }
}
