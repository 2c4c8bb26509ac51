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
            Cell::Pending => "#f6f8fa",
        }
    }

    /// Its word, Chinese and English.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Cell::Normal => ("正常", "normal"),
            Cell::LateEarly => ("迟到/早退", "late/early"),
            Cell::Missing => ("缺卡", "missing punch"),
            Cell::Absent => ("旷工", "absent"),
            Cell::OffPost => ("空岗/查岗不在岗", "off post / spot check"),
            Cell::Leave => ("请假", "leave"),
            Cell::Duty => ("公出/出差", "duty"),
            Cell::Rest => ("休息", "rest"),
            Cell::Pending => ("进行中", "pending"),
        }
    }
}

/// A line of the daily chart: its words (Chinese, English), colour and figure.
type Line = (&'static str, &'static str, RGBColor, fn(&DayCounts) -> u32);

fn rgb(hex: &str) -> RGBColor {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    RGBColor(c(1), c(3), c(5))
}

/// Text in the chart: the page's own sans-serif (CJK from the browser).
fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&RGBColor(0x1f, 0x23, 0x29))
}

/// Late, early and absent (half days) per day from `from` to `to`, one
/// line each; days without data count as 0. Labels in Chinese or English.
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
    let top =
        counts.iter().map(|c| c.late.max(c.early).max(c.absent)).max().unwrap_or(0).max(4).min(i32::MAX as u32 / 2)
            as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0..n.max(2) - 1, 0..top + top / 5 + 1)
            .map_err(|e| e.to_string())?;
        let day_label = |i: &i32| {
            from.checked_add_days(chrono::Days::new(*i as u64))
                .map_or_else(String::new, |d| format!("{}-{:02}", d.month(), d.day()))
        };
        chart
            .configure_mesh()
            .x_labels(16)
            .x_label_formatter(&day_label)
            .y_labels(6)
            .y_desc(if zh { "人次" } else { "times" })
            .label_style(font(13))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(|e| e.to_string())?;
        let series: [Line; 3] = [
            ("迟到", "late", rgb(Cell::LateEarly.colour()), |c| c.late),
            ("早退", "early", rgb("#8250df"), |c| c.early),
            ("旷工（半天）", "absent (half days)", rgb(Cell::Absent.colour()), |c| c.absent),
        ];
        for (zh_word, en_word, colour, get) in series {
            let style = ShapeStyle::from(&colour).stroke_width(2);
            chart
                .draw_series(LineSeries::new(counts.iter().enumerate().map(|(i, c)| (i as i32, get(c) as i32)), style))
                .map_err(|e| e.to_string())?
                .label(if zh { zh_word } else { en_word })
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
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

/// A unit's month: one row per person (`(label, cells)`, cells by day of
/// the month, `None` for a day without a record), one column per day.
/// The legend is the page's (see [`Cell::ALL`]).
pub fn heat_map(month: NaiveDate, people: &[(String, Vec<Option<Cell>>)], zh: bool) -> Result<String, String> {
    let days = people.iter().map(|(_, c)| c.len()).max().unwrap_or(0).max(28) as i32;
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
            // A segmented 0..n has n + 1 segments (n included): 0..n-1 is n.
            .build_cartesian_2d((0..days - 1).into_segmented(), (0..rows - 1).into_segmented())
            .map_err(|e| e.to_string())?;
        let day_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(d) => format!("{}", d + 1),
            _ => String::new(),
        };
        // Person i is drawn at row rows-1-i: the first person on top.
        let person_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(r) => {
                people.get((rows - 1 - r) as usize).map_or_else(String::new, |(l, _)| l.clone())
            }
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
            .y_labels(rows as usize)
            .y_label_formatter(&person_label)
            .label_style(font(14))
            .draw()
            .map_err(|e| e.to_string())?;
        let cells = people.iter().enumerate().flat_map(|(i, (_, cells))| {
            let r = rows - 1 - i as i32;
            cells.iter().enumerate().map(move |(d, c)| (d as i32, r, *c))
        });
        let outline = RGBColor(0xde, 0xe0, 0xe3);
        chart
            .draw_series(cells.flat_map(|(d, r, c)| {
                let corners = [
                    (SegmentValue::Exact(d), SegmentValue::Exact(r)),
                    (SegmentValue::Exact(d + 1), SegmentValue::Exact(r + 1)),
                ];
                let fill = c.map(|c| rgb(c.colour()).filled());
                fill.map(|f| Rectangle::new(corners.clone(), f))
                    .into_iter()
                    .chain([Rectangle::new(corners, outline.stroke_width(1))])
            }))
            .map_err(|e| e.to_string())?;
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

    #[test]
    fn the_daily_chart_is_svg_with_its_lines_and_words() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let days = [(d("2026-11-03"), DayCounts { late: 3, early: 1, absent: 2 })];
        let svg = daily_chart(d("2026-11-01"), d("2026-11-30"), &days, true).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for colour in ["#F0883E", "#8250DF", "#CF222E"] {
            let lines = svg.matches(&format!("<polyline fill=\"none\" opacity=\"1\" stroke=\"{colour}\"")).count();
            assert_eq!(lines, 2, "{colour}: its line and its legend mark\n{svg}");
        }
        for w in ["迟到", "早退", "旷工（半天）", "11-03", "人次"] {
            assert!(svg.contains(w), "{w} missing");
        }
        let en = daily_chart(d("2026-11-01"), d("2026-11-01"), &[], false).unwrap();
        assert!(en.contains("absent (half days)") && !en.contains("迟到"));
    }

    #[test]
    fn the_heat_map_colours_each_day_and_escapes_names() {
        let m = "2026-11-01".parse::<NaiveDate>().unwrap();
        let people = vec![
            ("张三 <b>".to_string(), vec![Some(Cell::Normal), Some(Cell::Absent), None]),
            ("李四".to_string(), vec![Some(Cell::Leave); 30]),
        ];
        let svg = heat_map(m, &people, true).unwrap();
        assert!(svg.contains("张三 &lt;b&gt;") && !svg.contains("<b>"), "names are escaped");
        assert!(svg.contains("李四") && svg.contains("2026年11月"));
        let filled = |c: Cell| svg.matches(&format!("fill=\"{}\"", c.colour().to_uppercase())).count();
        assert_eq!((filled(Cell::Normal), filled(Cell::Absent), filled(Cell::Leave)), (1, 1, 30), "{svg}");
    }
}
