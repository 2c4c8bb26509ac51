//! The bureau's charts, drawn on the server as SVG by plotters (its SVG
//! backend writes text as `<text>`, escaped, so the browser sets Chinese
//! in its own fonts and no font file is read here). Pure: figures in,
//! SVG text out; the pages put the SVG inline.
//!
//! - [`daily_chart`]: late, early and absent per day across a period, for
//!   the report's scope (every unit, or the unit filter).
//! - [`heat_map`]: a unit's month, people × days, each cell coloured by
//!   the day's result the way DingTalk's 月度汇总 marks it.

use chrono::{Datelike, NaiveDate};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub use super::storage::DayCounts;
use crate::domain::summary::{DayFigures, DayStatus};

/// What a heat map cell shows: one result per person and day, the worst
/// first (as the kiosk's month grid: 旷工, then 缺卡, then 迟到/早退).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cell {
    Absent,
    Missing,
    LateEarly,
    /// An exception from 空岗 or a spot check alone.
    OffPost,
    Leave,
    Duty,
    Normal,
    Rest,
    Pending,
}

impl Cell {
    /// The cell of a person's day.
    pub fn of(status: DayStatus, f: &DayFigures) -> Cell {
        if status == DayStatus::Absent || f.absent_sessions > 0 {
            Cell::Absent
        } else if f.missing_punches > 0 {
            Cell::Missing
        } else if f.late_count + f.early_count > 0 {
            Cell::LateEarly
        } else if status == DayStatus::Exception {
            Cell::OffPost
        } else {
            match status {
                DayStatus::Leave => Cell::Leave,
                DayStatus::Duty => Cell::Duty,
                DayStatus::Rest => Cell::Rest,
                DayStatus::Pending => Cell::Pending,
                _ => Cell::Normal,
            }
        }
    }

    pub const ALL: [Cell; 9] = [
        Cell::Normal,
        Cell::LateEarly,
        Cell::Missing,
        Cell::Absent,
        Cell::OffPost,
        Cell::Leave,
        Cell::Duty,
        Cell::Rest,
        Cell::Pending,
    ];

    /// The colour, as `#rrggbb` (the pages' legend uses the same).
    pub fn colour(self) -> &'static str {
        match self {
            Cell::Normal => "#4ac26b",
            Cell::LateEarly => "#f0883e",
            Cell::Missing => "#d4a72c",
            Cell::Absent => "#cf222e",
            Cell::OffPost => "#bf3989",
            Cell::Leave => "#54aeff",
            Cell::Duty => "#8250df",
            Cell::Rest => "#d0d7de",
            Cell::Pending => "#fff1b8",
        }
    }

    /// Its word, Chinese and English: the glossary's (the kiosk's), joined
    /// where one colour stands for two.
    pub fn words(self) -> (&'static str, &'static str) {
        use crate::domain::glossary::Term;
        let one = |t: Term| (t.zh(), t.en());
        match self {
            Cell::Normal => one(Term::Normal),
            Cell::LateEarly => ("迟到/早退", "late/early"),
            Cell::Missing => one(Term::Missing),
            Cell::Absent => one(Term::Absent),
            Cell::OffPost => ("空岗/查岗不在岗", "off post / absent at spot check"),
            Cell::Leave => one(Term::Leave),
            Cell::Duty => one(Term::Duty),
            Cell::Rest => one(Term::Rest),
            Cell::Pending => one(Term::Pending),
        }
    }
}

/// A part of the daily chart's bars: its words (Chinese, English),
/// colour and figure.
type Part = (&'static str, &'static str, RGBColor, fn(&DayCounts) -> u32);

fn rgb(hex: &str) -> RGBColor {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    RGBColor(c(1), c(3), c(5))
}

/// Text in the chart: the page's own sans-serif (CJK from the browser),
/// `px` high in the SVG (plotters writes a font's size divided by 1.24).
fn font(px: u32) -> TextStyle<'static> {
    ("sans-serif", f64::from(px) * 1.24).into_font().color(&RGBColor(0x1f, 0x23, 0x29))
}

/// Late, early and absent (half days) per day from `from` to `to`, a bar
/// a day stacked by kind (a month is 20-odd working days: bars, not
/// lines over a few points); days without data have no bar. Only the
/// whole-number gridlines across, none between. Labels in Chinese or
/// English, 13 px.
pub fn daily_chart(
    from: NaiveDate,
    to: NaiveDate,
    days: &[(NaiveDate, DayCounts)],
    zh: bool,
) -> Result<String, String> {
    let n = (to - from).num_days().max(0) as i32 + 1;
    let at = |d: NaiveDate| (d - from).num_days() as i32;
    let mut counts = vec![DayCounts::default(); n as usize];
    for (d, c) in days {
        if let Some(slot) = usize::try_from(at(*d)).ok().and_then(|i| counts.get_mut(i)) {
            *slot = *c;
        }
    }
    let parts: [Part; 3] = [
        ("迟到", "late", rgb("#d4a72c"), |c| c.late),
        ("早退", "early", rgb("#8250df"), |c| c.early),
        ("旷工（半天）", "absent (half days)", rgb(Cell::Absent.colour()), |c| c.absent),
    ];
    let sum = |c: &DayCounts| parts.iter().map(|p| u64::from((p.3)(c))).sum::<u64>();
    let top = counts.iter().map(sum).max().unwrap_or(0).max(4).min(i32::MAX as u64 / 2) as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(44)
            // Days at whole numbers, half a day of room at either end (a
            // one-day period is a range too).
            .build_cartesian_2d(-0.5..f64::from(n) - 0.5, 0..top + top / 5 + 1)
            .map_err(|e| e.to_string())?;
        let day_label = |x: &f64| match (x.fract() == 0.0 && *x >= 0.0 && *x < f64::from(n)).then_some(*x as u64) {
            Some(i) => from
                .checked_add_days(chrono::Days::new(i))
                .map_or_else(String::new, |d| format!("{}-{:02}", d.month(), d.day())),
            None => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(16)
            .x_label_formatter(&day_label)
            .y_labels(6)
            .y_desc(if zh { "人次" } else { "times" })
            .label_style(font(13))
            .axis_desc_style(font(13))
            .bold_line_style(RGBColor(0xea, 0xec, 0xef))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(|e| e.to_string())?;
        for (k, (zh_word, en_word, colour, get)) in parts.iter().enumerate() {
            let colour = *colour;
            let below = |c: &DayCounts| parts[..k].iter().map(|p| (p.3)(c) as i32).sum::<i32>();
            let bars = counts.iter().enumerate().filter(|(_, c)| get(c) > 0).map(|(i, c)| {
                let (x, y0) = (i as f64, below(c));
                Rectangle::new([(x - 0.38, y0), (x + 0.38, y0 + get(c) as i32)], colour.filled())
            });
            chart
                .draw_series(bars)
                .map_err(|e| e.to_string())?
                .label(if zh { *zh_word } else { *en_word })
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(font(13))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(0xde, 0xe0, 0xe3))
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// What kind of day a heat map column is: a working day, a weekend or
/// holiday (shaded), or a day still to come (nothing to say yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    Work,
    Off,
    Future,
}

/// The shade behind a weekend's or holiday's column; the legend's too.
pub const OFF_SHADE: &str = "#e6eaef";

/// A unit's month: one row per person (`(label, cells)`, cells by day of
/// the month, `None` for a day without a record), one column per day,
/// `kinds` a day each. A weekend or holiday column is shaded; a past day
/// without a record is crossed out ("无数据", unlike a day still being
/// recorded, [`Cell::Pending`]); a day to come is left blank. The legend
/// is the page's (see [`Cell::ALL`]).
pub fn heat_map(
    month: NaiveDate,
    people: &[(String, Vec<Option<Cell>>)],
    kinds: &[DayKind],
    zh: bool,
) -> Result<String, String> {
    let days = people.iter().map(|(_, c)| c.len()).max().unwrap_or(0).max(kinds.len()).max(28) as i32;
    let rows = people.len().max(1) as i32;
    const ROW: i32 = 26;
    let mut svg = String::new();
    {
        let height = (rows * ROW + 80) as u32;
        let root = SVGBackend::with_string(&mut svg, (1100, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(150)
            // Days as segments (labels at their centres); people as a plain
            // range, row i from i to i + 1 (a segmented 0..0 for one person
            // would have no height).
            .build_cartesian_2d((0..days - 1).into_segmented(), 0.0..f64::from(rows))
            .map_err(|e| e.to_string())?;
        let day_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(d) => format!("{}", d + 1),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(days as usize)
            .x_label_formatter(&day_label)
            .x_desc(if zh {
                format!("{}年{}月", month.year(), month.month())
            } else {
                format!("{}-{:02}", month.year(), month.month())
            })
            .y_labels(0)
            .label_style(font(13))
            .axis_desc_style(font(13))
            .draw()
            .map_err(|e| e.to_string())?;
        let kind = |d: i32| usize::try_from(d).ok().and_then(|d| kinds.get(d)).copied().unwrap_or(DayKind::Work);
        // The weekends' and holidays' columns, the whole height.
        let shade = rgb(OFF_SHADE);
        chart
            .draw_series((0..days).filter(|d| kind(*d) == DayKind::Off).map(|d| {
                Rectangle::new(
                    [(SegmentValue::Exact(d), 0.0), (SegmentValue::Exact(d + 1), f64::from(rows))],
                    shade.filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        // Person i is the row from rows-1-i to rows-i: the first on top.
        let top_of = |i: usize| f64::from(rows) - i as f64;
        for (i, (label, _)) in people.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(SegmentValue::Exact(0), top_of(i) - 0.5));
            let style = font(13).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(label.clone(), (x - 8, y), style)).map_err(|e| e.to_string())?;
        }
        let cells = people
            .iter()
            .enumerate()
            .flat_map(|(i, (_, cells))| cells.iter().enumerate().map(move |(d, c)| (d as i32, top_of(i), *c)));
        let outline = RGBColor(0xde, 0xe0, 0xe3);
        let no_data = RGBColor(0x8c, 0x95, 0x9f);
        for (d, top, c) in cells {
            let corners = [(SegmentValue::Exact(d), top - 1.0), (SegmentValue::Exact(d + 1), top)];
            if let Some(c) = c {
                chart
                    .draw_series([Rectangle::new(corners.clone(), rgb(c.colour()).filled())])
                    .map_err(|e| e.to_string())?;
            } else if kind(d) == DayKind::Work {
                // 无数据: a past working day nobody sent, crossed out.
                let cross = [(SegmentValue::Exact(d), top - 1.0), (SegmentValue::Exact(d + 1), top)];
                chart
                    .draw_series([PathElement::new(cross.to_vec(), no_data.stroke_width(1))])
                    .map_err(|e| e.to_string())?;
            }
            chart.draw_series([Rectangle::new(corners, outline.stroke_width(1))]).map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_shows_the_worst_of_the_day() {
        let f = |absent, missing, late| DayFigures {
            absent_sessions: absent,
            missing_punches: missing,
            late_count: late,
            ..DayFigures::default()
        };
        assert_eq!(Cell::of(DayStatus::Exception, &f(1, 1, 1)), Cell::Absent, "half a day absent beats the rest");
        assert_eq!(Cell::of(DayStatus::Exception, &f(0, 1, 1)), Cell::Missing);
        assert_eq!(Cell::of(DayStatus::Exception, &f(0, 0, 1)), Cell::LateEarly);
        assert_eq!(Cell::of(DayStatus::Exception, &f(0, 0, 0)), Cell::OffPost);
        assert_eq!(Cell::of(DayStatus::Leave, &f(0, 0, 0)), Cell::Leave);
        assert_eq!(Cell::of(DayStatus::Normal, &f(0, 0, 0)), Cell::Normal);
        assert_eq!(Cell::of(DayStatus::Absent, &f(0, 0, 0)), Cell::Absent);
    }

    /// The attributes of each `<tag …>` in `svg`, by name.
    fn elements(svg: &str, tag: &str) -> Vec<std::collections::HashMap<String, String>> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .map(|e| {
                let e = e.split('>').next().unwrap_or("");
                e.split('"')
                    .collect::<Vec<_>>()
                    .chunks(2)
                    .filter_map(|kv| Some((kv[0].trim().trim_end_matches('=').to_string(), kv.get(1)?.to_string())))
                    .collect()
            })
            .collect()
    }

    /// The words of every `<text>`, trimmed.
    fn labels(svg: &str) -> Vec<String> {
        svg.split("<text ")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split("</text>").next()?.trim().to_string()))
            .collect()
    }

    fn num(e: &std::collections::HashMap<String, String>, k: &str) -> f64 {
        e[k].parse().unwrap()
    }

    #[test]
    fn the_daily_chart_is_bars_stacked_by_kind_with_its_words() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let days = [
            (d("2026-11-03"), DayCounts { late: 3, early: 1, absent: 2 }),
            (d("2026-11-05"), DayCounts { late: 1, early: 0, absent: 0 }),
        ];
        let svg = daily_chart(d("2026-11-01"), d("2026-11-30"), &days, true).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(elements(&svg, "polyline").iter().all(|l| l["stroke"] != "#D4A72C"), "no lines");
        let rects = elements(&svg, "rect");
        let of = |colour: &str| -> Vec<_> { rects.iter().filter(|r| r["fill"] == colour).collect() };
        let (late, early, absent) = (of("#D4A72C"), of("#8250DF"), of("#CF222E"));
        // A bar a day with that kind, and the legend's mark.
        assert_eq!((late.len(), early.len(), absent.len()), (3, 2, 2), "{svg}");
        // 11-03: late at the bottom, early on it, absent on top, 3:1:2 high,
        // in the third day's place; 11-05's late bar two days right.
        let (l3, e3, a3, l5) = (late[0], early[0], absent[0], late[1]);
        assert!((num(l3, "y") - (num(e3, "y") + num(e3, "height"))).abs() <= 1.0, "early sits on late");
        assert!((num(e3, "y") - (num(a3, "y") + num(a3, "height"))).abs() <= 1.0, "absent sits on early");
        assert!((num(l3, "height") - 3.0 * num(e3, "height")).abs() <= 2.0);
        assert!((num(a3, "height") - 2.0 * num(e3, "height")).abs() <= 2.0);
        assert_eq!(num(l3, "x"), num(e3, "x"));
        let day_width = (num(l5, "x") - num(l3, "x")) / 2.0;
        assert!(day_width > 20.0 && num(l3, "width") < day_width, "{day_width}");
        // No gridlines between the whole numbers, none down the days.
        let grey: Vec<_> =
            elements(&svg, "line").into_iter().filter(|l| l.get("stroke").is_some_and(|s| s == "#EAECEF")).collect();
        assert!(grey.iter().all(|l| l["y1"] == l["y2"]), "across only");
        for w in ["迟到", "早退", "旷工（半天）", "11-03", "人次"] {
            assert!(svg.contains(w), "{w} missing");
        }
        let sizes: Vec<f64> = elements(&svg, "text").iter().map(|t| num(t, "font-size")).collect();
        assert!(!sizes.is_empty() && sizes.iter().all(|s| *s >= 12.0), "every word at 12 px or more: {sizes:?}");
        // One day: only that day's label, no bar.
        let en = daily_chart(d("2026-11-01"), d("2026-11-01"), &[], false).unwrap();
        assert!(en.contains("absent (half days)") && !en.contains("迟到"));
        let l = labels(&en);
        assert!(l.contains(&"11-01".to_string()) && !l.iter().any(|t| t == "11-02" || t == "10-31"), "{l:?}");
    }

    #[test]
    fn the_heat_map_colours_each_day_and_escapes_names() {
        let m = "2026-11-01".parse::<NaiveDate>().unwrap();
        let people = vec![
            ("张三 <b>".to_string(), [Some(Cell::Normal), Some(Cell::Absent)].into_iter().chain([None; 28]).collect()),
            ("李四".to_string(), vec![Some(Cell::Leave); 30]),
        ];
        let mut kinds = vec![DayKind::Work; 30];
        kinds[2] = DayKind::Off;
        kinds[4] = DayKind::Off;
        kinds[29] = DayKind::Future;
        let svg = heat_map(m, &people, &kinds, true).unwrap();
        assert!(svg.contains("张三 &lt;b&gt;") && !svg.contains("<b>"), "names are escaped");
        assert!(svg.contains("李四") && svg.contains("2026年11月"));
        let rects = elements(&svg, "rect");
        let filled = |c: Cell| -> Vec<_> { rects.iter().filter(|r| r["fill"] == c.colour().to_uppercase()).collect() };
        let (normal, absent, leave) = (filled(Cell::Normal), filled(Cell::Absent), filled(Cell::Leave));
        assert_eq!((normal.len(), absent.len(), leave.len()), (1, 1, 30), "{svg}");
        // 张三's two days side by side on the top row, 李四's row below.
        let (n, a) = (normal[0], absent[0]);
        assert_eq!(num(n, "y"), num(a, "y"));
        assert!((num(a, "x") - num(n, "x") - num(n, "width")).abs() <= 1.0, "the next column");
        assert!(leave.iter().all(|l| num(l, "y") >= num(n, "y") + num(n, "height") - 1.0), "below");
        assert!(num(n, "height") > 15.0 && num(n, "width") > 15.0);
        // The two off days are shaded the whole height, under the cells.
        let shaded: Vec<_> = rects.iter().filter(|r| r["fill"] == OFF_SHADE.to_uppercase()).collect();
        assert_eq!(shaded.len(), 2, "{svg}");
        assert!(num(shaded[0], "height") >= 2.0 * num(n, "height") - 1.0);
        assert!(svg.find(OFF_SHADE.to_uppercase().as_str()) < svg.find(Cell::Leave.colour().to_uppercase().as_str()));
        // 张三 has no record from day 3 on: crossed out on working days
        // (4, 6..=29), not on the off days nor on the day to come.
        let crosses = elements(&svg, "polyline").into_iter().filter(|l| l["stroke"] == "#8C959F").count();
        assert_eq!(crosses, 1 + 24, "{svg}");
    }

    #[test]
    fn a_unit_of_one_has_a_heat_map_row() {
        let m = "2026-02-01".parse::<NaiveDate>().unwrap();
        let svg = heat_map(m, &[("王五".to_string(), vec![Some(Cell::Missing); 28])], &[], false).unwrap();
        let rects = elements(&svg, "rect");
        let cells: Vec<_> = rects.iter().filter(|r| r["fill"] == Cell::Missing.colour().to_uppercase()).collect();
        assert_eq!(cells.len(), 28);
        assert!(cells.iter().all(|c| num(c, "height") > 15.0), "{svg}");
        let l = labels(&svg);
        assert!(l.contains(&"28".to_string()) && !l.contains(&"29".to_string()), "February's days: {l:?}");
    }
}
