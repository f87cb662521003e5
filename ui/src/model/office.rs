//! The office pages' logic that needs no browser: query strings of the
//! records filter, the dashboard chart's scale, hours as people read them,
//! months and periods by name, what a report's rows add up to.

use odnowa_shared::office::{Figures, Month, Period, RecordFilter};

use crate::i18n::{Key, Lang, plural, t, tf};

/// `text` made safe inside a URL query value (RFC 3986 unreserved kept).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The query string of a records filter (`?service=food&from=…`), empty
/// when nothing is filtered.
pub fn filter_query(filter: &RecordFilter) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(service) = &filter.service {
        pairs.push(("service", service.clone()));
    }
    if let Some(org) = filter.org {
        pairs.push(("org", org.to_string()));
    }
    if let Some(site) = filter.site {
        pairs.push(("site", site.to_string()));
    }
    if let Some(worker) = filter.worker {
        pairs.push(("worker", worker.to_string()));
    }
    if let Some(from) = filter.from {
        pairs.push(("from", from.to_string()));
    }
    if let Some(to) = filter.to {
        pairs.push(("to", to.to_string()));
    }
    if let Some(offset) = filter.offset.filter(|o| *o > 0) {
        pairs.push(("offset", offset.to_string()));
    }
    if pairs.is_empty() {
        return String::new();
    }
    let joined: Vec<String> = pairs
        .into_iter()
        .map(|(key, value)| format!("{key}={}", percent_encode(&value)))
        .collect();
    format!("?{}", joined.join("&"))
}

/// The top of the chart's scale: the largest value rounded up to 1, 2 or 5
/// times a power of ten (at least 1), so the axis reads in round numbers.
pub fn chart_max(values: &[i64]) -> i64 {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if step * factor >= max {
                return step * factor;
            }
        }
        step *= 10;
    }
}

/// Bar heights for `values` in a chart `height` tall.
pub fn bar_heights(values: &[i64], height: f64) -> Vec<f64> {
    let max = chart_max(values) as f64;
    values
        .iter()
        .map(|v| (*v).max(0) as f64 / max * height)
        .collect()
}

/// Minutes as hours with at most one decimal, in the language's notation
/// ("12,5" in Polish, "12.5" in English).
pub fn hours(lang: Lang, minutes: i64) -> String {
    let tenths = (minutes as f64 / 6.0).round() as i64;
    let text = if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, (tenths % 10).abs())
    };
    match lang {
        Lang::Pl => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A month by name: "listopad 2026" / "November 2026".
pub fn month_name(lang: Lang, month: Month) -> String {
    const PL: [&str; 12] = [
        "styczeń",
        "luty",
        "marzec",
        "kwiecień",
        "maj",
        "czerwiec",
        "lipiec",
        "sierpień",
        "wrzesień",
        "październik",
        "listopad",
        "grudzień",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let names = match lang {
        Lang::Pl => PL,
        Lang::En => EN,
    };
    let index = (month.month.clamp(1, 12) - 1) as usize;
    format!("{} {}", names[index], month.year)
}

/// A month under a chart bar: "lis 26" / "Nov 26".
pub fn month_short(lang: Lang, month: Month) -> String {
    let name = month_name(lang, month);
    let short: String = name.chars().take(3).collect();
    format!("{short} {:02}", month.year.rem_euclid(100))
}

/// A report's period as people say it: "listopad 2026", "IV kwartał 2026"
/// / "Q4 2026", "01.01.2026 – 31.03.2026".
pub fn period_name(lang: Lang, period: Period) -> String {
    match period {
        Period::Month(month) => month_name(lang, month),
        Period::Quarter { year, quarter } => match lang {
            Lang::Pl => {
                let roman = ["I", "II", "III", "IV"];
                let q = roman
                    .get(quarter.saturating_sub(1) as usize)
                    .unwrap_or(&"?");
                format!("{q} kwartał {year}")
            }
            Lang::En => format!("Q{quarter} {year}"),
        },
        Period::Range { from, to } => format!(
            "{} – {}",
            crate::model::format::date(lang, from),
            crate::model::format::date(lang, to)
        ),
    }
}

/// What the service rows of a report add up to (a contact with two
/// services counts in both rows), beside the consortium's total, which
/// counts it once: `(rows' records, rows' minutes)`. Each row's minutes
/// are taken as the page shows them, to a tenth of an hour, so the note's
/// sum is the sum of the figures a reader adds up.
pub fn rows_sum<'a>(figures: impl IntoIterator<Item = &'a Figures>) -> (i64, i64) {
    figures.into_iter().fold((0, 0), |(records, minutes), f| {
        let shown = (f.minutes as f64 / 6.0).round() as i64 * 6;
        (records + f.records, minutes + shown)
    })
}

/// A service code made from its name: lower case, Polish letters without
/// their marks, words joined by `_`, at most 40 characters ("Gorący
/// napój" → `goracy_napoj`).
pub fn service_code(name: &str) -> String {
    let folded = odnowa_shared::search::fold(name);
    let mut code = String::new();
    for word in folded.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !code.is_empty() {
            code.push('_');
        }
        code.push_str(word);
    }
    code.chars().take(40).collect()
}

/// An audit row's detail in the reader's language: the server writes it
/// in English for its log ("2 records and 0 pieces of case work of 1
/// persons"); known shapes are said again with Polish plural forms,
/// anything else is `None` (the page then keeps the server's words under
/// "technical details").
pub fn audit_detail(lang: Lang, action: &str, detail: &str) -> Option<String> {
    let numbers: Vec<u64> = detail
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let count = |n: u64, keys: [Key; 3]| plural(lang, n, keys, &[]);
    let records = [Key::RecordsOne, Key::RecordsFew, Key::RecordsMany];
    let persons = [Key::PersonsOne, Key::PersonsFew, Key::PersonsMany];
    let case_work = [Key::CaseWorkOne, Key::CaseWorkFew, Key::CaseWorkMany];
    match (action, numbers.as_slice()) {
        ("view_timeline", [entries, work, people])
            if detail.ends_with(" persons") || detail.ends_with(" person") =>
        {
            Some(format!(
                "{}, {} — {}",
                count(*entries, records),
                count(*work, case_work),
                count(*people, persons)
            ))
        }
        ("view_erasure_plan", [entries, notes, contacts]) => Some(tf(
            lang,
            Key::AuditPlanDetail,
            &[
                ("entries", &entries.to_string()),
                ("notes", &notes.to_string()),
                ("contacts", &contacts.to_string()),
            ],
        )),
        ("change", _) => Some(crate::model::format::history_message(lang, detail)),
        ("view_audit", _) if detail.starts_with("person ") => {
            Some(t(lang, Key::AuditOfPerson).to_string())
        }
        ("view_audit", _) if detail.starts_with("user ") => {
            Some(t(lang, Key::AuditOfUser).to_string())
        }
        ("office_login" | "office_setup", _) => Some(detail.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use odnowa_shared::ids::OrgId;

    #[test]
    fn audit_details_are_said_in_polish_with_plural_forms() {
        assert_eq!(
            audit_detail(
                Lang::Pl,
                "view_timeline",
                "2 records and 0 pieces of case work of 1 persons"
            )
            .as_deref(),
            Some("2 wpisy, 0 elementów pracy z osobą — 1 osoba")
        );
        assert_eq!(
            audit_detail(
                Lang::Pl,
                "view_timeline",
                "5 records and 1 pieces of case work of 3 persons"
            )
            .as_deref(),
            Some("5 wpisów, 1 element pracy z osobą — 3 osoby")
        );
        assert_eq!(
            audit_detail(
                Lang::En,
                "view_timeline",
                "1 records and 2 pieces of case work of 1 persons"
            )
            .as_deref(),
            Some("1 record, 2 pieces of case work — 1 person")
        );
        assert_eq!(
            audit_detail(Lang::Pl, "change", "create").as_deref(),
            Some("utworzono")
        );
        assert_eq!(audit_detail(Lang::Pl, "something_new", "x 1"), None);
    }

    #[test]
    fn service_codes_come_from_names() {
        assert_eq!(service_code("Gorący napój"), "goracy_napoj");
        assert_eq!(
            service_code("  Skierowanie do OPS / MOPS "),
            "skierowanie_do_ops_mops"
        );
        assert_eq!(service_code("Żółć łąka"), "zolc_laka");
        assert_eq!(service_code(""), "");
        assert!(service_code(&"a".repeat(80)).len() <= 40);
    }

    #[test]
    fn months_and_periods_by_name() {
        let nov = Month {
            year: 2026,
            month: 11,
        };
        assert_eq!(month_name(Lang::Pl, nov), "listopad 2026");
        assert_eq!(month_name(Lang::En, nov), "November 2026");
        assert_eq!(month_short(Lang::Pl, nov), "lis 26");
        assert_eq!(
            period_name(
                Lang::Pl,
                Period::Quarter {
                    year: 2026,
                    quarter: 4
                }
            ),
            "IV kwartał 2026"
        );
        assert_eq!(
            period_name(
                Lang::En,
                Period::Quarter {
                    year: 2026,
                    quarter: 4
                }
            ),
            "Q4 2026"
        );
        let range = Period::Range {
            from: "2026-01-01".parse().expect("day"),
            to: "2026-03-31".parse().expect("day"),
        };
        assert_eq!(period_name(Lang::Pl, range), "01.01.2026 – 31.03.2026");
    }

    #[test]
    fn report_rows_add_up_as_the_note_says() {
        let f = |records, minutes| Figures {
            records,
            minutes,
            ..Figures::default()
        };
        // 0,6 h + 0,5 h + 0,8 h on the page: the note says 1,9 h.
        assert_eq!(rows_sum([&f(2, 36), &f(2, 32), &f(1, 47)]), (5, 114));
        assert_eq!(hours(Lang::Pl, 114), "1,9");
        assert_eq!(rows_sum([]), (0, 0));
    }

    #[test]
    fn filters_become_query_strings() {
        assert_eq!(filter_query(&RecordFilter::default()), "");
        let org = OrgId::random();
        let filter = RecordFilter {
            service: Some("hot_drink".into()),
            org: Some(org),
            from: Some("2026-11-01".parse().expect("day")),
            offset: Some(50),
            ..RecordFilter::default()
        };
        assert_eq!(
            filter_query(&filter),
            format!("?service=hot_drink&org={org}&from=2026-11-01&offset=50")
        );
        assert_eq!(percent_encode("Żbyszek & co"), "%C5%BBbyszek%20%26%20co");
    }

    #[test]
    fn the_chart_scale_is_round() {
        assert_eq!(chart_max(&[]), 1);
        assert_eq!(chart_max(&[0, 0]), 1);
        assert_eq!(chart_max(&[3, 7]), 10);
        assert_eq!(chart_max(&[12]), 20);
        assert_eq!(chart_max(&[41, 3]), 50);
        assert_eq!(chart_max(&[101]), 200);
        assert_eq!(bar_heights(&[5, 10, 0], 100.0), vec![50.0, 100.0, 0.0]);
    }

    #[test]
    fn hours_read_naturally() {
        assert_eq!(hours(Lang::En, 90), "1.5");
        assert_eq!(hours(Lang::Pl, 90), "1,5");
        assert_eq!(hours(Lang::En, 120), "2");
        assert_eq!(hours(Lang::En, 0), "0");
        assert_eq!(hours(Lang::En, 20), "0.3");
    }
}
