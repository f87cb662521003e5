//! Dates, times, durations and hours as a person reads them, always in
//! Europe/Warsaw: Polish style in Polish ("24.11.2026, 21:05"), day and short
//! month in English ("24 Nov 2026, 21:05").

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Europe::Warsaw;
use chrono_tz::Tz;
use odnowa_shared::time::{Date, Timestamp};

use crate::i18n::{Key, Lang, t, tf};

/// An alias as shown: a person whose details are hidden (they withdrew
/// consent, recorded by another organisation) comes without one.
pub fn shown_alias(lang: Lang, alias: &str) -> String {
    if alias.trim().is_empty() {
        t(lang, Key::DetailsHidden).to_string()
    } else {
        alias.to_string()
    }
}

fn warsaw(at: Timestamp) -> DateTime<Tz> {
    DateTime::<Utc>::from_timestamp_millis(at.0)
        .unwrap_or_default()
        .with_timezone(&Warsaw)
}

/// The calendar day in Warsaw of `ms` milliseconds since the epoch (the
/// browser's clock, `Date.now()`).
pub fn date_of_ms(ms: f64) -> Date {
    Timestamp(ms as i64).warsaw_date()
}

/// A day: "24.11.2026" in Polish, "24 Nov 2026" in English.
pub fn date(lang: Lang, day: Date) -> String {
    match lang {
        Lang::Pl => day.0.format("%d.%m.%Y").to_string(),
        Lang::En => day.0.format("%-d %b %Y").to_string(),
    }
}

/// A day as a date field shows it and a person types it: "30.11.2026" in
/// Polish, "30/11/2026" in English (day first in both: never the American
/// "11/30/2026" a browser's own date field would show on a US locale).
pub fn day_input(lang: Lang, day: Date) -> String {
    match lang {
        Lang::Pl => day.0.format("%d.%m.%Y").to_string(),
        Lang::En => day.0.format("%d/%m/%Y").to_string(),
    }
}

/// A typed day: day, month and year separated by `.`, `/` or `-` (either
/// language's style), or ISO `2026-11-30`; `None` for anything else or a
/// day that does not exist.
pub fn parse_day(text: &str) -> Option<Date> {
    let text = text.trim();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(Date(day));
    }
    let parts: Vec<&str> = text.split(['.', '/', '-']).map(str::trim).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 {
        return None;
    }
    let (d, m, y) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
    chrono::NaiveDate::from_ymd_opt(y, m, d).map(Date)
}

/// A time of day in Warsaw, 24-hour in both languages: "21:05".
pub fn time(at: Timestamp) -> String {
    warsaw(at).format("%H:%M").to_string()
}

/// A day and a time: "24.11.2026, 21:05" / "24 Nov 2026, 21:05".
pub fn date_time(lang: Lang, at: Timestamp) -> String {
    format!("{}, {}", date(lang, at.warsaw_date()), time(at))
}

/// A time on `today`, or a day and a time on any other day: lists of today
/// stay short, older records still say when.
pub fn when(lang: Lang, at: Timestamp, today: Date) -> String {
    if at.warsaw_date() == today {
        time(at)
    } else {
        date_time(lang, at)
    }
}

/// A duration in minutes: "15 min", "1 h 30 min" ("1 godz. 30 min").
pub fn duration(lang: Lang, minutes: i64) -> String {
    let minutes = minutes.max(0);
    let (hours, rest) = (minutes / 60, minutes % 60);
    let h = t(lang, Key::UnitHours);
    let m = t(lang, Key::UnitMinutes);
    match (hours, rest) {
        (0, rest) => format!("{rest} {m}"),
        (hours, 0) => format!("{hours} {h}"),
        (hours, rest) => format!("{hours} {h} {rest} {m}"),
    }
}

/// Hours with at most two decimals and the language's decimal sign:
/// "1,5" in Polish, "1.5" in English.
pub fn hours(lang: Lang, value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let text = format!("{rounded}");
    match lang {
        Lang::Pl => text.replace('.', ","),
        Lang::En => text,
    }
}

/// Hours as typed: a comma or a dot as the decimal sign; `None` when it is
/// not a number from 0 to 24.
pub fn parse_hours(text: &str) -> Option<f64> {
    let value: f64 = text.trim().replace(',', ".").parse().ok()?;
    (value.is_finite() && (0.0..=24.0).contains(&value)).then_some(value)
}

/// The year of `day`, for checking birth years.
pub fn year(day: Date) -> i64 {
    i64::from(day.0.year())
}

/// A history entry's message in `lang`: the engine writes a few fixed
/// English words ("create", "edit", "pick version of <field>"); anything
/// else (another app version's words) is shown as it is.
pub fn history_message(lang: Lang, message: &str) -> String {
    match message {
        "" => t(lang, Key::HistoryNoMessage).to_string(),
        "create" => t(lang, Key::HistoryCreate).to_string(),
        "edit" => t(lang, Key::HistoryEdit).to_string(),
        other => match other.strip_prefix("pick version of ") {
            Some(field) => tf(lang, Key::HistoryPick, &[("field", field)]),
            None => other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn history_messages_are_translated() {
        use super::history_message;
        use crate::i18n::Lang;
        assert_eq!(history_message(Lang::Pl, "create"), "utworzono");
        assert_eq!(history_message(Lang::En, "edit"), "edited");
        assert_eq!(
            history_message(Lang::Pl, "pick version of note"),
            "wybrano wersję pola note"
        );
        assert_eq!(history_message(Lang::En, "merged"), "merged");
        assert_eq!(history_message(Lang::En, ""), "change");
    }

    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp(
            DateTime::parse_from_rfc3339(rfc3339)
                .expect("test instant")
                .timestamp_millis(),
        )
    }

    fn day(text: &str) -> Date {
        text.parse().expect("test date")
    }

    #[test]
    fn date_times_are_in_warsaw_and_in_the_language_style() {
        // 20:05 UTC in November is 21:05 in Warsaw (UTC+1).
        let evening = at("2026-11-24T20:05:00Z");
        assert_eq!(date_time(Lang::Pl, evening), "24.11.2026, 21:05");
        assert_eq!(date_time(Lang::En, evening), "24 Nov 2026, 21:05");
        // 22:30 UTC on 31 July is already 1 August in Warsaw (UTC+2).
        let night = at("2026-07-31T22:30:00Z");
        assert_eq!(date_time(Lang::Pl, night), "01.08.2026, 00:30");
    }

    #[test]
    fn today_shows_only_the_time() {
        let evening = at("2026-11-24T20:05:00Z");
        assert_eq!(when(Lang::Pl, evening, day("2026-11-24")), "21:05");
        assert_eq!(
            when(Lang::Pl, evening, day("2026-11-25")),
            "24.11.2026, 21:05"
        );
    }

    #[test]
    fn days_are_typed_day_first_in_either_style() {
        let d = day("2026-11-30");
        assert_eq!(day_input(Lang::Pl, d), "30.11.2026");
        assert_eq!(day_input(Lang::En, d), "30/11/2026");
        for typed in [
            "30.11.2026",
            "30/11/2026",
            " 30-11-2026 ",
            "2026-11-30",
            "30.11. 2026",
        ] {
            assert_eq!(parse_day(typed), Some(d), "{typed:?}");
        }
        assert_eq!(parse_day("1.2.2027"), Some(day("2027-02-01")));
        for bad in ["", "30.11.26", "31.11.2026", "11/30/2026", "jutro", "30.11"] {
            assert_eq!(parse_day(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(duration(Lang::Pl, 15), "15 min");
        assert_eq!(duration(Lang::Pl, 90), "1 godz. 30 min");
        assert_eq!(duration(Lang::En, 120), "2 h");
        assert_eq!(duration(Lang::En, -5), "0 min");
    }

    #[test]
    fn hours_round_trip_with_either_decimal_sign() {
        assert_eq!(hours(Lang::Pl, 1.5), "1,5");
        assert_eq!(hours(Lang::En, 2.0), "2");
        assert_eq!(parse_hours("1,5"), Some(1.5));
        assert_eq!(parse_hours(" 2.25 "), Some(2.25));
        assert_eq!(parse_hours("25"), None);
        assert_eq!(parse_hours("-1"), None);
        assert_eq!(parse_hours("dwie"), None);
    }

    #[test]
    fn a_browser_clock_gives_the_warsaw_day() {
        let ms = at("2026-01-31T23:30:00Z").0 as f64;
        assert_eq!(date_of_ms(ms), day("2026-02-01"));
        assert_eq!(year(day("2026-02-01")), 2026);
    }
}
