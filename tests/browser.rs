//! The bureau's pages in a real browser: Debian's Chromium, headless,
//! driven over WebDriver (chromedriver) from Rust (fantoccini), against a
//! real `dutyclock-central` on 127.0.0.1. Signs in (and fails to), opens
//! each page, does the bureau's three tasks counting the clicks, tries a
//! form without its CSRF token, and writes screenshots of every page at
//! 1366×768 and 390×844 in both languages to
//! `target/screenshots/central-*.png` (copied to `docs/screenshots/`).
//! Without chromium or chromedriver it fails, saying what to install.

#[path = "common/central.rs"]
mod central;
#[path = "common/photo.rs"]
mod photo;

use std::process::{Command, Stdio};
use std::time::Duration;

use central::{agent, enc, free_port, put, summary, Backend, Central};
use fantoccini::{ClientBuilder, Locator};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, killed at the end of the test.
struct Driver(std::process::Child, u16);

impl Driver {
    fn start() -> Driver {
        for (bin, pkg) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(std::path::Path::new(bin).exists(), "{bin} is missing: apt-get install {pkg}");
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        // Dropped (killed and waited for) on every path from here.
        let driver = Driver(child, port);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not listen on {port} within 10 s");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The file a click downloaded into `dir` whose name ends with `suffix`
/// (waited for, up to 15 s; Chromium writes `*.crdownload` first), taken
/// out of the folder so the next download of that kind is new.
async fn downloaded(dir: &std::path::Path, suffix: &str) -> Vec<u8> {
    for _ in 0..150 {
        let done = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(suffix));
        if let Some(p) = done {
            let bytes = std::fs::read(&p).unwrap();
            std::fs::remove_file(&p).unwrap();
            return bytes;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no *{suffix} downloaded into {} within 15 s", dir.display());
}

/// Whether the page comes to contain `text` within 10 s (a click's page
/// may still be loading when the click returns).
async fn shows(b: &fantoccini::Client, text: &str) -> bool {
    for _ in 0..100 {
        if b.source().await.is_ok_and(|s| s.contains(text)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Whether the browser comes to be on a URL ending with `suffix` within 10 s.
async fn lands(b: &fantoccini::Client, suffix: &str) -> bool {
    for _ in 0..100 {
        if b.current_url().await.is_ok_and(|u| u.as_str().ends_with(suffix)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Clicks `button` (a form's submit) and waits, up to 10 s, until the page
/// it was on has gone: the click returns before the answer arrives, and the
/// next page has the same `main h1`, so waiting for an element would find
/// the old page's and race the navigation.
async fn posts_and_reloads(b: &fantoccini::Client, button: fantoccini::elements::Element) {
    let before = b.find(Locator::Css("html")).await.unwrap();
    button.click().await.unwrap();
    for _ in 0..100 {
        if before.tag_name().await.is_err() {
            b.wait().for_element(Locator::Css("main h1")).await.unwrap();
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the click's page did not load within 10 s (still on {:?})", b.current_url().await);
}

/// The first sheet's rows of an XLSX as text.
fn xlsx_rows(bytes: Vec<u8>, sheet: &str) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

/// The text of each element.
async fn futures_names(rows: &[fantoccini::elements::Element]) -> Vec<String> {
    let mut out = Vec::new();
    for r in rows {
        out.push(r.text().await.unwrap());
    }
    out
}

/// A headless Chromium session through `driver`, its window `size`
/// ("1366,768"), downloading into `downloads` without asking.
async fn chromium(driver: &Driver, downloads: &std::path::Path, size: &str) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", format!("--window-size={size}"), "--lang=zh-CN"],
            "prefs": {
                "download.default_directory": downloads.to_str().unwrap(),
                "download.prompt_for_download": false,
            },
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.1))
        .await
        .expect("a Chromium session")
}

fn body(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

#[test]
fn the_pages_in_chromium() {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let mut c = Central::new(Backend::Sqlite);
    let k1 = c.kiosk("hall-1", &["区党政办公室"]);
    let k2 = c.kiosk("hall-2", &["区财政局"]);
    c.kiosk("hall-3", &["区档案馆"]);
    // A town with a village (三级: the district's units, 城关镇, 东村).
    c.ok(&["unit", "add", "城关镇"]);
    c.ok(&["unit", "add", "东村", "--parent", "城关镇"]);
    let k5 = c.kiosk("hall-5", &["东村"]);
    c.user("alice", "bureau", "correct horse");
    c.user("root", "admin", "admin password");
    c.start();
    let a = agent();
    // The overview opens on the newest closed day: yesterday from 06:00.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai);
    let opened = today - chrono::Duration::days(if chrono::Timelike::hour(&now) < 6 { 2 } else { 1 });
    let absent = |s: &mut serde_json::Value, i: usize| {
        let p = &mut s["people"][i];
        p["status"] = "absent".into();
        p["absent_sessions"] = 2.into();
        p["late_count"] = 0.into();
        p["late_minutes"] = 0.into();
        p["punches"] = serde_json::json!([]);
    };
    for back in 0..5 {
        let d = (today - chrono::Duration::days(back)).to_string();
        // 东村's 赵六 is absent on the day the overview opens on.
        let mut s5 = summary("hall-5", &d, 1, &[("0501", "赵六", "东村", 0), ("0502", "孙七", "东村", 0)]);
        // (on yesterday too: before 06:00 the task is one more click)
        if d == opened.to_string() || d == (today - chrono::Duration::days(1)).to_string() {
            absent(&mut s5, 0);
        }
        assert_eq!(put(&a, &c.url, "hall-5", &d, Some(&k5), &body(&s5)).0, 201);
    }
    // Today 区财政局 has two absent: the worst unit this month.
    let mut s2 =
        summary("hall-2", &today.to_string(), 2, &[("0101", "王五", "区财政局", 0), ("0102", "钱八", "区财政局", 0)]);
    absent(&mut s2, 0);
    absent(&mut s2, 1);
    for back in 0..5 {
        let d = (today - chrono::Duration::days(back)).to_string();
        let s1 = summary(
            "hall-1",
            &d,
            1,
            &[
                ("0001", "张三", "区党政办公室", if back % 2 == 0 { 11 } else { 0 }),
                ("0002", "李四", "区党政办公室", 0),
            ],
        );
        assert_eq!(put(&a, &c.url, "hall-1", &d, Some(&k1), &body(&s1)).0, 201);
        let s2 = summary("hall-2", &d, 1, &[("0101", "王五", "区财政局", if back == 1 { 35 } else { 0 })]);
        assert_eq!(put(&a, &c.url, "hall-2", &d, Some(&k2), &body(&s2)).0, 201);
    }
    assert_eq!(put(&a, &c.url, "hall-2", &today.to_string(), Some(&k2), &body(&s2)).0, 201);
    let driver = Driver::start();
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let b = chromium(&driver, downloads.path(), "1366,768").await;
        let shot = |name: &'static str| {
            let b = b.clone();
            let path = shots.join(format!("central-{name}.png"));
            async move {
                let png = b.screenshot().await.unwrap();
                std::fs::write(&path, png).unwrap();
            }
        };
        let sign_in = |user: &'static str, password: &'static str| {
            let b = b.clone();
            let url = c.url.clone();
            async move {
                b.goto(&format!("{url}/login")).await.unwrap();
                b.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
                b.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(password).await.unwrap();
                b.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
            }
        };
        // Every page at a desk's and a phone's width, in both languages:
        // `central-NAME.png` (Chinese, 1366×768), `-en`, `-phone`,
        // `-phone-en`. At the phone's width the page itself must not
        // scroll sideways (a wide table scrolls in its own box).
        let shoot = |name: &'static str, path: String| {
            let b = b.clone();
            let (url, shots) = (c.url.clone(), shots.clone());
            async move {
                for (lang, suffix) in [("en", "-en"), ("zh", "")] {
                    for (w, h, phone) in [(390, 844, "-phone"), (1366, 768, "")] {
                        b.set_window_size(w, h).await.unwrap();
                        let back = enc(&path);
                        b.goto(&format!("{url}/lang/{lang}?back={back}")).await.unwrap();
                        let png = b.screenshot().await.unwrap();
                        std::fs::write(shots.join(format!("central-{name}{phone}{suffix}.png")), png).unwrap();
                        if w == 390 && !name.starts_with("admin") {
                            let (page, view): (i64, i64) = (
                                b.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap(),
                                b.execute("return window.innerWidth", vec![]).await.unwrap().as_i64().unwrap(),
                            );
                            assert!(page <= view + 1, "{name} {lang} at {w} px: the page is {page} px wide");
                        }
                    }
                }
            }
        };
        // Not signed in: the login page. A wrong password is said.
        b.goto(&format!("{}/overview", c.url)).await.unwrap();
        assert!(b.current_url().await.unwrap().as_str().ends_with("/login"));
        shot("login").await;
        b.set_window_size(390, 844).await.unwrap();
        shot("login-phone").await;
        b.set_window_size(1366, 768).await.unwrap();
        sign_in("alice", "wrong").await;
        let alert = b.wait().for_element(Locator::Css("p[role=alert]")).await.unwrap().text().await.unwrap();
        assert!(alert.starts_with("用户名或密码错误"), "{alert}");
        // The three tasks, counting clicks from signing in (the overview).
        // 1. Who was absent yesterday: the 旷工 card lists them (after
        // 后一天 when the overview opens on the day before yesterday).
        sign_in("alice", "correct horse").await;
        assert!(lands(&b, "/overview").await, "signed in, to the overview");
        let mut clicks = 0;
        let yesterday = today - chrono::Duration::days(1);
        if opened != yesterday {
            b.find(Locator::XPath("//a[contains(., '后一天')]")).await.unwrap().click().await.unwrap();
            clicks += 1;
        }
        // (On the day before yesterday 赵六 is absent; yesterday too
        // when the overview opens on it.)
        b.find(Locator::Css("a.card[href*='kind=absent']")).await.unwrap().click().await.unwrap();
        clicks += 1;
        assert!(lands(&b, "kind=absent").await);
        assert!(b.current_url().await.unwrap().as_str().contains(&format!("date={yesterday}")), "yesterday's");
        assert!(shows(&b, "赵六").await, "赵六 listed as absent yesterday");
        let row = b.find(Locator::Css("tbody tr")).await.unwrap().text().await.unwrap();
        assert!(row.contains("东村") && row.contains("旷工") && row.contains("无打卡"), "{row}");
        assert!(clicks <= 2, "who was absent yesterday: {clicks} clicks");
        shoot("exceptions", format!("/exceptions?date={opened}&kind=absent")).await;
        // 2. The worst unit this month: the report's ranking, first row.
        b.goto(&format!("{}/overview", c.url)).await.unwrap();
        // (The overview's day is yesterday: on the 1st its month is last
        // month's, where 东村's 赵六 is the one absent.)
        let same_month = chrono::Datelike::month(&opened) == chrono::Datelike::month(&today);
        b.find(Locator::XPath("//div[@class='actions']//a[contains(., '月报表')]")).await.unwrap().click().await.unwrap();
        let worst = b.wait().for_element(Locator::Css("table#units tbody tr td:nth-child(2)")).await.unwrap();
        let expected = if same_month { "区财政局" } else { "城关镇" };
        assert_eq!(worst.text().await.unwrap(), expected, "one click: the worst unit this month");
        // 3. The month's 通报 draft: one click from the overview.
        b.goto(&format!("{}/overview", c.url)).await.unwrap();
        b.find(Locator::XPath("//a[contains(., '月通报草稿')]")).await.unwrap().click().await.unwrap();
        let text = dutyclock::central::bulletin::text_of(&downloaded(downloads.path(), ".docx").await).unwrap();
        assert!(text[0].ends_with("机关考勤情况的通报"), "{text:?}");
        let month = format!("{}年{}月", chrono::Datelike::year(&opened), chrono::Datelike::month(&opened));
        assert!(text.iter().any(|t| t.contains(&month)), "this month's draft ({month}): {text:?}");
        // The overview of today: the top units, 城关镇 rolled up from 东村.
        b.goto(&format!("{}/overview?date={today}", c.url)).await.unwrap();
        let rows = b.find_all(Locator::Css("tbody tr")).await.unwrap();
        let names: Vec<String> =
            futures_names(&rows).await.into_iter().map(|t| t.split(' ').next().unwrap().to_string()).collect();
        assert_eq!(names, ["区党政办公室", "区财政局", "城关镇", "区档案馆"], "by name; no data last");
        let text = rows[0].text().await.unwrap();
        assert!(text.starts_with("区党政办公室 2 2 1"), "{text}");
        // A unit with no data comes last, said as such.
        let last = rows[3].text().await.unwrap();
        assert!(last.contains("无数据") && last.contains("未上报：hall-3"), "{last}");
        shot("overview").await;
        // Its files, downloaded by the browser: the page's numbers ("—"
        // on the page is 0 in the files).
        let page_row: Vec<String> = rows[0]
            .text()
            .await
            .unwrap()
            .split(' ')
            .map(|c| if c == "—" { "0".to_string() } else { c.to_string() })
            .collect();
        b.find(Locator::LinkText("下载 CSV")).await.unwrap().click().await.unwrap();
        let csv = downloaded(downloads.path(), ".csv").await;
        assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM");
        let line = String::from_utf8(csv[3..].to_vec()).unwrap().lines().nth(1).unwrap().to_string();
        assert_eq!(line.split(',').take(11).collect::<Vec<_>>(), page_row[..11], "CSV = page");
        b.find(Locator::LinkText("下载 Excel")).await.unwrap().click().await.unwrap();
        let sheet = xlsx_rows(downloaded(downloads.path(), ".xlsx").await, &today.to_string());
        assert_eq!(sheet[1][..11], page_row[..11], "XLSX = page");
        shoot("overview", format!("/overview?date={today}")).await;
        // Down a level: the town's villages.
        b.find(Locator::LinkText("城关镇")).await.unwrap().click().await.unwrap();
        assert!(lands(&b, &format!("under={}", enc("城关镇"))).await);
        let village = b.find(Locator::Css("tbody tr")).await.unwrap().text().await.unwrap();
        assert!(village.starts_with("东村 2 2"), "{village}");
        shoot("overview-branch", format!("/overview?date={opened}&under={}", enc("城关镇"))).await;
        // A unit's day, from its link.
        b.goto(&format!("{}/overview?date={today}", c.url)).await.unwrap();
        b.find(Locator::LinkText("区党政办公室")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "1 次 11 分钟").await, "1 次 11 分钟");
        assert!(shows(&b, "本月个人合计").await, "each person's month");
        shot("unit-day").await;
        shoot("unit-day", format!("/units/{}?date={today}", enc("区党政办公室"))).await;
        // The period report: this month by default; a range by editing
        // the dates alone (the radio stays on 本月: no script needed).
        let from = (today - chrono::Duration::days(4)).to_string();
        b.goto(&format!("{}/report", c.url)).await.unwrap();
        let from_box = b.find(Locator::Css("input[name=from]")).await.unwrap();
        from_box.clear().await.unwrap();
        b.execute(&format!("document.querySelector('input[name=from]').value = '{from}'"), vec![]).await.unwrap();
        b.find(Locator::Css("form[action='/report'] button")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, &format!("期间：{from} — {today}")).await, "the dates chose 自定");
        let range_checked: bool = b
            .execute("return document.querySelector(\"form[action='/report'] input[name=period][value=range]\").checked", vec![])
            .await
            .unwrap()
            .as_bool()
            .unwrap();
        assert!(range_checked, "自定 is selected");
        let first = b.find(Locator::Css("table#units tbody tr td:nth-child(2)")).await.unwrap().text().await.unwrap();
        assert_eq!(first, "区财政局", "two absent today rank above lateness (SPEC's ranking)");
        assert!(shows(&b, "各单位异常").await && shows(&b, "每日迟到、早退、旷工").await, "the charts");
        shot("report").await;
        shoot("report", format!("/report?period=range&from={from}&to={today}")).await;
        // The report's XLSX: the persons' sheet in the page's order and figures.
        let first_person: Vec<String> = b
            .find(Locator::Css("table#people tbody tr"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .split(' ')
            .map(|c| if c == "—" { "0".to_string() } else { c.to_string() })
            .collect();
        b.find(Locator::LinkText("Excel")).await.unwrap().click().await.unwrap();
        let people = xlsx_rows(downloaded(downloads.path(), ".xlsx").await, "个人");
        assert_eq!(people[0][..6], ["工号", "姓名", "单位", "应出勤天数", "出勤天数", "迟到次数"]);
        assert_eq!(people[1][..5], first_person[1..6], "XLSX = page: {first_person:?}");
        // The 通报 draft from the action bar, with names; then as 某同志.
        b.find(Locator::XPath("//a[contains(., '通报草稿（Word）')]")).await.unwrap().click().await.unwrap();
        let text = dutyclock::central::bulletin::text_of(&downloaded(downloads.path(), ".docx").await).unwrap();
        assert!(text[0].ends_with("机关考勤情况的通报") && text[2] == "各单位：", "{text:?}");
        let ranked = text.iter().position(|t| t.starts_with("序号|单位|姓名")).expect("the persons ranked");
        // (Before 06:00 in Shanghai the overview opens on the day before
        // yesterday, 赵六 is absent on two days and ranks first: the
        // page's first person, whoever it is.)
        let (name, unit) = (&first_person[2], &first_person[3]);
        assert!(text[ranked + 1].starts_with(&format!("1|{unit}|{name}|")), "as the page ranks them: {text:?}");
        b.find(Locator::Css("details.options summary")).await.unwrap().click().await.unwrap();
        b.find(Locator::Css("input[name=naming][value=anonymous]")).await.unwrap().click().await.unwrap();
        b.find(Locator::Css("form[action='/report.docx'] button")).await.unwrap().click().await.unwrap();
        let text =
            dutyclock::central::bulletin::text_of(&downloaded(downloads.path(), ".docx").await).unwrap().join("\n");
        assert!(text.contains("|区党政办公室|某同志|0|3") && !text.contains("张三"), "{text}");
        // The town's branch: its report has the village, its draft too.
        b.goto(&format!("{}/report?period=range&from={from}&to={today}&unit={}", c.url, enc("城关镇"))).await.unwrap();
        let units = b.find(Locator::Css("table#units tbody")).await.unwrap().text().await.unwrap();
        assert!(units.starts_with("1 东村") && !units.contains("区财政局"), "{units}");
        b.find(Locator::XPath("//a[contains(., '通报草稿（Word）')]")).await.unwrap().click().await.unwrap();
        let text = dutyclock::central::bulletin::text_of(&downloaded(downloads.path(), ".docx").await).unwrap().join("\n");
        assert!(text.contains("东村") && !text.contains("区财政局"), "the branch's draft: {text}");
        // A person's history, from the report: back to the report.
        b.goto(&format!("{}/report?period=range&from={from}&to={today}", c.url)).await.unwrap();
        b.find(Locator::LinkText("张三")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "1 次 11 分钟").await, "1 次 11 分钟");
        assert!(shows(&b, "补卡与作废").await, "the person's corrections and voids");
        shot("person").await;
        let person = b.current_url().await.unwrap();
        shoot("person", format!("{}?{}", person.path(), person.query().unwrap_or(""))).await;
        b.goto(&format!("{}/kiosks", c.url)).await.unwrap();
        assert!(shows(&b, "hall-3").await, "hall-3");
        let hall3 = b.find(Locator::XPath("//tr[td[1]='hall-3']")).await.unwrap().text().await.unwrap();
        assert!(hall3.contains("从未上报") && !hall3.contains("正常"), "{hall3}");
        shot("kiosks").await;
        shoot("kiosks", "/kiosks".to_string()).await;
        // English.
        b.goto(&format!("{}/lang/en?back=/kiosks", c.url)).await.unwrap();
        assert!(shows(&b, "Days without a summary").await, "Days without a summary");
        b.goto(&format!("{}/overview?date={today}", c.url)).await.unwrap();
        shot("overview-en").await;
        // A form without its CSRF token is refused: sign out with the
        // token taken out of the form.
        b.execute("document.querySelector('header form input[name=csrf]').remove()", vec![]).await.unwrap();
        b.find(Locator::Css("header form button")).await.unwrap().click().await.unwrap();
        for _ in 0..50 {
            if b.current_url().await.unwrap().as_str().ends_with("/logout") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = b.source().await.unwrap();
        assert!(page.contains("the form's CSRF token is not this session's"), "refused: {page}");
        b.goto(&format!("{}/overview", c.url)).await.unwrap();
        assert!(b.current_url().await.unwrap().as_str().contains("/overview"), "still signed in");
        // A bureau account is refused the admin's pages.
        b.find(Locator::LinkText("中文")).await.unwrap().click().await.unwrap();
        b.goto(&format!("{}/admin/kiosks", c.url)).await.unwrap();
        assert!(shows(&b, "只对管理员账户开放").await, "只对管理员账户开放");
        // The admin: kiosks (register one, its token shown once), accounts.
        b.find(Locator::Css("header form button")).await.unwrap().click().await.unwrap();
        sign_in("root", "admin password").await;
        b.wait().for_element(Locator::LinkText("管理")).await.unwrap().click().await.unwrap();
        assert!(lands(&b, "/admin/kiosks").await);
        shoot("admin-kiosks", "/admin/kiosks".to_string()).await;
        // Units are a managed list: two added under the district's page,
        // one of them under the town, then ticked for a new kiosk.
        b.goto(&format!("{}/admin/units", c.url)).await.unwrap();
        b.find(Locator::Css("form.stack input[name=name]")).await.unwrap().send_keys("区人社局").await.unwrap();
        b.find(Locator::Css("form.stack button")).await.unwrap().click().await.unwrap();
        assert!(lands(&b, "/admin/units").await && shows(&b, "区人社局").await, "区人社局 added");
        b.find(Locator::Css("form.stack input[name=name]")).await.unwrap().send_keys("西村").await.unwrap();
        b.find(Locator::Css("select[name=parent] option[value='城关镇']")).await.unwrap().click().await.unwrap();
        b.find(Locator::Css("form.stack button")).await.unwrap().click().await.unwrap();
        let west = b.wait().for_element(Locator::XPath("//tr[td[1][contains(., '西村')]]")).await.unwrap();
        assert!(west.text().await.unwrap().contains("城关镇"), "西村 under 城关镇");
        shoot("admin-units", "/admin/units".to_string()).await;
        b.goto(&format!("{}/admin/kiosks", c.url)).await.unwrap();
        b.find(Locator::Css("input[name=id]")).await.unwrap().send_keys("hall-4").await.unwrap();
        b.find(Locator::Css("input[name=units][value='区人社局']")).await.unwrap().click().await.unwrap();
        b.find(Locator::Css("input[name=units][value='西村']")).await.unwrap().click().await.unwrap();
        b.find(Locator::Css("form.stack button")).await.unwrap().click().await.unwrap();
        let token = b.wait().for_element(Locator::Css("code.token")).await.unwrap().text().await.unwrap();
        assert!(token.starts_with("dck_"), "{token}");
        shot("admin-token").await;
        // Revoking asks first.
        b.goto(&format!("{}/admin/kiosks", c.url)).await.unwrap();
        b.find(Locator::Css("form[action='/admin/kiosks/hall-4/revoke'] button")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "停用终端 hall-4？").await, "停用终端 hall-4？");
        b.find(Locator::Css("main form button")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "已停用").await, "hall-4 revoked");
        let row = b.find(Locator::XPath("//tr[td[1]='hall-4']")).await.unwrap().text().await.unwrap();
        assert!(row.contains("已停用"), "{row}");
        b.goto(&format!("{}/admin/users", c.url)).await.unwrap();
        assert!(shows(&b, "alice").await, "alice");
        shot("admin-users").await;
        shoot("admin-users", "/admin/users".to_string()).await;
        // The district's people: a staff file uploaded from the browser
        // (multipart), the unit's people, one person's page.
        let staff = downloads.path().join("档案馆名单.csv");
        std::fs::write(
            &staff,
            "staff_no,name,unit,cards,role,pin\n0301,周八,区档案馆,0100000301,head,1357\n0302,吴九,区档案馆,,staff,\n",
        )
        .unwrap();
        b.find(Locator::LinkText("导入")).await.unwrap().click().await.unwrap();
        assert!(lands(&b, "/admin/files").await);
        shot("admin-files").await;
        shoot("admin-files", "/admin/files".to_string()).await;
        b.find(Locator::Css("form input[type=file]")).await.unwrap().send_keys(staff.to_str().unwrap()).await.unwrap();
        b.find(Locator::Css("form.stack button")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "档案馆名单.csv：已导入").await, "the staff file imported");
        b.find(Locator::LinkText("人员")).await.unwrap().click().await.unwrap();
        b.find(Locator::LinkText("区档案馆")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "周八").await, "周八");
        shot("admin-people").await;
        let people_url = b.current_url().await.unwrap();
        shoot("admin-people", format!("{}?{}", people_url.path(), people_url.query().unwrap_or(""))).await;
        b.find(Locator::LinkText("0301")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "调动到其他单位").await, "the person's forms");
        // A photo uploaded from the browser, shown on the person's page.
        let portrait = downloads.path().join("周八.png");
        std::fs::write(&portrait, photo::portrait_png_bytes()).unwrap();
        let photo_form = "form[action='/admin/people/0301/photo']";
        b.find(Locator::Css(&format!("{photo_form} input[type=file]")))
            .await
            .unwrap()
            .send_keys(portrait.to_str().unwrap())
            .await
            .unwrap();
        b.find(Locator::Css(&format!("{photo_form} button"))).await.unwrap().click().await.unwrap();
        b.wait().for_element(Locator::Css("img.photo")).await.unwrap();
        let shown: bool = b
            .execute("const i = document.querySelector('img.photo'); return i.complete && i.naturalWidth === 96;", vec![])
            .await
            .unwrap()
            .as_bool()
            .unwrap();
        assert!(shown, "the photo is served to the page and decodes");
        shot("admin-person").await;
        shoot("admin-person", "/admin/people/0301".to_string()).await;
        // The district's schedules: a file with a summer season uploaded,
        // the page shows both timetables and the season's dates.
        let schedules = downloads.path().join("作息.toml");
        std::fs::write(
            &schedules,
            "[schedules.default]\nsessions = [{ start = \"08:30\", end = \"12:00\" }, { start = \"14:30\", end = \"17:30\" }]\n\
             [[schedules.default.seasons]]\nfrom = \"05-01\"\nto = \"09-30\"\n\
             sessions = [{ start = \"08:30\", end = \"12:00\" }, { start = \"15:00\", end = \"18:00\" }]\n",
        )
        .unwrap();
        b.find(Locator::LinkText("作息")).await.unwrap().click().await.unwrap();
        assert!(lands(&b, "/admin/schedules").await);
        assert!(shows(&b, "中心尚未保存作息").await, "no schedules yet");
        b.find(Locator::Css("form input[name=kind][value=rules] ~ input[type=file]"))
            .await
            .unwrap()
            .send_keys(schedules.to_str().unwrap())
            .await
            .unwrap();
        b.find(Locator::XPath("//form[input[@value='rules']]//button")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "作息.toml：已导入").await, "the schedules imported");
        b.goto(&format!("{}/admin/schedules", c.url)).await.unwrap();
        assert!(shows(&b, "季节作息 05-01 – 09-30").await, "the summer season");
        assert!(shows(&b, "15:00–18:00").await, "its hours");
        shot("admin-schedules").await;
        shoot("admin-schedules", "/admin/schedules".to_string()).await;
        b.close().await.unwrap();
    });
}

/// Issue 24 at a phone's width: an inspector records a finding with two
/// photos for two people; a bureau account makes it a case, decides
/// 通报批评 for one and 提醒谈话 for the other plus a leader's
/// responsibility, and publishes it; the quarter's 通报 draft then has it
/// under 典型案例 (read back with docx-rs) and the report's 暗访问题
/// column counts it. Screenshots `central-finding*.png`.
#[test]
fn a_finding_becomes_a_published_case_at_a_phones_width() {
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let day = today - chrono::Duration::days(3);
    let (year, q0) = (chrono::Datelike::year(&day), chrono::Datelike::month0(&day) / 3);
    let q_from = chrono::NaiveDate::from_ymd_opt(year, q0 * 3 + 1, 1).unwrap();
    let q_to = q_from.checked_add_months(chrono::Months::new(3)).unwrap().pred_opt().unwrap();
    let mut c = Central::new(Backend::Sqlite);
    let k1 = c.kiosk("hall-1", &["城关镇"]);
    c.user("chen", "inspector", "inspector pass");
    c.user("alice", "bureau", "correct horse");
    c.start();
    let a = agent();
    let s = summary("hall-1", &day.to_string(), 1, &[("0001", "张三", "城关镇", 0), ("0002", "李四", "城关镇", 12)]);
    assert_eq!(put(&a, &c.url, "hall-1", &day.to_string(), Some(&k1), &body(&s)).0, 201);
    let photos = tempfile::tempdir().unwrap();
    let (p1, p2) = (photos.path().join("现场1.png"), photos.path().join("现场2.png"));
    std::fs::write(&p1, photo::portrait_png_bytes()).unwrap();
    std::fs::write(&p2, photo::portrait_on([200, 120, 60])).unwrap();
    let driver = Driver::start();
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let b = chromium(&driver, downloads.path(), "390,844").await;
        b.set_window_size(390, 844).await.unwrap();
        let css = |s: &'static str| Locator::Css(s);
        let shot = |name: &'static str| {
            let b = b.clone();
            let path = shots.join(format!("central-{name}.png"));
            async move {
                // The page itself never scrolls sideways at 390 px.
                let (page, view): (i64, i64) = (
                    b.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap(),
                    b.execute("return window.innerWidth", vec![]).await.unwrap().as_i64().unwrap(),
                );
                assert!(page <= view + 1, "{name}: the page is {page} px wide at {view}");
                std::fs::write(&path, b.screenshot().await.unwrap()).unwrap();
            }
        };
        let sign_in = |user: &'static str, password: &'static str| {
            let b = b.clone();
            let url = c.url.clone();
            async move {
                b.goto(&format!("{url}/login")).await.unwrap();
                b.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(user).await.unwrap();
                b.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(password).await.unwrap();
                b.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
                assert!(lands(&b, "/overview").await, "{user} signed in");
            }
        };
        // The inspector: 暗访 → 记录 → the unit → the form.
        sign_in("chen", "inspector pass").await;
        b.find(css("header nav a[href='/findings']")).await.unwrap().click().await.unwrap();
        b.find(Locator::LinkText("记录暗访问题")).await.unwrap().click().await.unwrap();
        b.find(css("select[name=unit]")).await.unwrap().select_by_value("城关镇").await.unwrap();
        b.find(css("main form button")).await.unwrap().click().await.unwrap();
        let at = b.wait().for_element(css("input[name=at]")).await.unwrap();
        let now = at.prop("value").await.unwrap().unwrap_or_default();
        assert!(now.starts_with(&today.to_string()), "when: now by default ({now})");
        shot("finding-new-phone").await;
        // Seen three days ago at 10:05 (a date-time field takes its value
        // as the browser's picker would set it).
        b.execute(&format!("document.querySelector('input[name=at]').value = '{day}T10:05'"), vec![]).await.unwrap();
        b.find(css("input[name=place]")).await.unwrap().send_keys("三楼办事大厅").await.unwrap();
        for no in ["0001", "0002"] {
            b.find(Locator::Css(&format!("input[name=people][value='{no}']"))).await.unwrap().click().await.unwrap();
        }
        b.find(css("select[name=category]"))
            .await
            .unwrap()
            .select_by_value("上班时间从事与工作无关的事")
            .await
            .unwrap();
        b.find(css("textarea[name=description]")).await.unwrap().send_keys("两人在工位上玩手机游戏").await.unwrap();
        let files = format!("{}\n{}", p1.to_str().unwrap(), p2.to_str().unwrap());
        b.find(css("input[type=file][name=photos]")).await.unwrap().send_keys(&files).await.unwrap();
        b.find(css("form.finding button.primary")).await.unwrap().click().await.unwrap();
        assert!(shows(&b, "暗访问题 #").await, "saved: the finding's page");
        let url = b.current_url().await.unwrap().to_string();
        let id = url.rsplit('/').next().unwrap().to_string();
        assert_eq!(b.find_all(css("div.photos img.thumb")).await.unwrap().len(), 2, "two photos");
        // The two people's day at the kiosk: 张三 normal, 李四 late.
        let rows = futures_names(&b.find_all(css("main table tbody tr")).await.unwrap()).await;
        assert!(rows[0].contains("张三") && rows[0].contains("正常") && rows[0].contains("08:29"), "{rows:?}");
        assert!(rows[1].contains("李四") && rows[1].contains("异常"), "{rows:?}");
        assert!(!shows_now(&b, "立案（登记）").await, "an inspector is offered no case forms");
        shot("finding-phone").await;
        // The bureau: the case, step by step from its page.
        sign_in("alice", "correct horse").await;
        b.goto(&url).await.unwrap();
        let click = |text: &'static str| {
            let b = b.clone();
            async move {
                let button = Locator::XPath(&format!("//button[contains(., '{text}')]"));
                posts_and_reloads(&b, b.find(button).await.unwrap()).await;
            }
        };
        click("立案（登记）").await;
        click("转为：核实").await;
        click("转为：处理").await;
        for (name, decision) in [("张三", "通报批评"), ("李四", "提醒谈话")] {
            let form = format!("//form[span[text()='{name}']]");
            b.find(Locator::XPath(&format!("{form}//select[@name='decision']")))
                .await
                .unwrap()
                .select_by_value(decision)
                .await
                .unwrap();
            b.find(Locator::XPath(&format!("{form}//button"))).await.unwrap().click().await.unwrap();
            assert!(shows(&b, &format!("{decision}</strong>")).await, "{name}: {decision}");
        }
        b.find(css("input[name=name]")).await.unwrap().send_keys("赵局长").await.unwrap();
        b.find(Locator::XPath("//form[input[@value='leader']]//select"))
            .await
            .unwrap()
            .select_by_value("诫勉谈话")
            .await
            .unwrap();
        click("追究领导责任").await;
        assert!(shows(&b, "赵局长").await, "the leader's responsibility");
        click("曝光（列入通报典型案例）").await;
        assert!(shows(&b, "是（列入通报典型案例）").await, "published");
        shot("finding-case-phone").await;
        // The quarter's report: 暗访问题 counts it; its 通报 draft has it.
        b.goto(&format!("{}/report?period=range&from={q_from}&to={q_to}", c.url)).await.unwrap();
        let head = b.find(css("table#people thead")).await.unwrap().text().await.unwrap();
        assert!(head.contains("暗访问题"), "{head}");
        let rows = futures_names(&b.find_all(css("table#people tbody tr")).await.unwrap()).await;
        assert!(rows.iter().any(|r| r.contains("张三") && r.ends_with(" 1")), "张三: one finding: {rows:?}");
        let unit = b.find(css("table#units tbody tr")).await.unwrap().text().await.unwrap();
        assert!(unit.starts_with("1 城关镇") && unit.ends_with(" 1"), "the unit: one finding: {unit}");
        shot("finding-report-phone").await;
        b.find(css("div.actions a.button.primary")).await.unwrap().click().await.unwrap();
        let text = dutyclock::central::bulletin::text_of(&downloaded(downloads.path(), ".docx").await).unwrap();
        let at = |needle: &str| {
            text.iter().position(|t| t.contains(needle)).unwrap_or_else(|| panic!("{needle}: {text:#?}"))
        };
        assert!(text[0].contains("季度"), "the quarter's draft: {}", text[0]);
        let case = &text[at("（四）暗访发现的典型案例") + 1];
        assert!(case.starts_with("1. ") && case.contains("城关镇张三同志、李四同志在三楼办事大厅"), "{case}");
        assert!(
            case.contains("通报批评") && case.contains("提醒谈话") && case.contains("赵局长同志给予诫勉谈话"),
            "{case}"
        );
        assert_eq!(text[at("单位|暗访问题|处理人次") + 1], "城关镇|1|3|1|0|0|1|1|0|0");
        // The audit log has every step.
        let audit = c.ok(&["audit"]);
        assert!(audit.contains(&format!("#{id} published")), "{audit}");
        b.close().await.unwrap();
    });
}

/// Whether the page holds `text` now (no waiting).
async fn shows_now(b: &fantoccini::Client, text: &str) -> bool {
    b.source().await.is_ok_and(|s| s.contains(text))
}
