//! The city report as a workbook (XLSX, `rust_xlsxwriter`) and as CSV,
//! with Polish headers, one row per service of each member, the service
//! totals (a person once across members) and the consortium total.
//!
//! A frozen report shows the figures as submitted; what arrived after the
//! freeze is a separate block ("Zmiana po złożeniu"), never folded into a
//! submitted figure.
//!
//! Individual programmes and referrals follow as a table of their own
//! ([`case_work_table`]): after a blank line in the CSV, on the sheet
//! "Programy i skierowania" of the workbook.

use odnowa_shared::office::{AGE_BANDS, Figures, GENDERS, Report};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the workbook could not be written: {0}")]
pub struct ExportError(#[from] XlsxError);

/// The column headers, in order.
pub fn headers() -> Vec<&'static str> {
    let mut headers = vec![
        "Część",
        "Usługa",
        "Kod usługi",
        "Organizacja członkowska",
        "Kontakty / sesje",
        "Unikalne osoby",
        "Nowe osoby",
        "Osoby anonimowe",
        "Godziny",
    ];
    headers.extend(["Kobiety", "Mężczyźni", "Inna płeć", "Płeć nieznana"]);
    headers.extend([
        "Wiek 0-17",
        "Wiek 18-29",
        "Wiek 30-49",
        "Wiek 50-64",
        "Wiek 65+",
        "Wiek nieznany",
    ]);
    headers
}

/// A value of a cell: text, or a number.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
}

/// The report's table: headers' rows, each as values.
pub fn table(report: &Report) -> Vec<Vec<Value>> {
    let frozen = report.frozen.is_some();
    let part = if frozen { "Złożono" } else { "Raport" };
    let mut rows = Vec::new();
    let shown = |current: &Figures, submitted: &Option<Figures>| -> Figures {
        if frozen {
            submitted.clone().unwrap_or_default()
        } else {
            current.clone()
        }
    };
    for row in &report.rows {
        rows.push(line(
            part,
            &row.service_pl,
            &row.service,
            &row.org_name,
            &shown(&row.figures, &row.submitted),
        ));
    }
    for total in &report.services {
        rows.push(line(
            part,
            &total.service_pl,
            &total.service,
            "Razem (konsorcjum)",
            &shown(&total.figures, &total.submitted),
        ));
    }
    rows.push(line(
        part,
        "Wszystkie usługi",
        "",
        "Konsorcjum ogółem",
        &shown(&report.consortium, &report.submitted_consortium),
    ));
    if frozen {
        let delta = "Zmiana po złożeniu";
        for row in &report.rows {
            let change = row
                .figures
                .minus(row.submitted.as_ref().unwrap_or(&Figures::default()));
            if !change.is_zero() {
                rows.push(line(
                    delta,
                    &row.service_pl,
                    &row.service,
                    &row.org_name,
                    &change,
                ));
            }
        }
        for total in &report.services {
            let change = total
                .figures
                .minus(total.submitted.as_ref().unwrap_or(&Figures::default()));
            if !change.is_zero() {
                rows.push(line(
                    delta,
                    &total.service_pl,
                    &total.service,
                    "Razem (konsorcjum)",
                    &change,
                ));
            }
        }
        let change = report.consortium.minus(
            report
                .submitted_consortium
                .as_ref()
                .unwrap_or(&Figures::default()),
        );
        if !change.is_zero() {
            rows.push(line(
                delta,
                "Wszystkie usługi",
                "",
                "Konsorcjum ogółem",
                &change,
            ));
        }
    }
    rows
}

fn line(part: &str, service: &str, code: &str, org: &str, f: &Figures) -> Vec<Value> {
    let mut values = vec![
        Value::Text(part.into()),
        Value::Text(service.into()),
        Value::Text(code.into()),
        Value::Text(org.into()),
        Value::Number(f.records as f64),
        Value::Number(f.unique_persons as f64),
        Value::Number(f.new_persons as f64),
        Value::Number(f.anonymous as f64),
        Value::Number((f.minutes as f64 / 60.0 * 100.0).round() / 100.0),
    ];
    for gender in GENDERS {
        values.push(Value::Number(
            f.by_gender.get(gender).copied().unwrap_or(0) as f64
        ));
    }
    for band in AGE_BANDS {
        values.push(Value::Number(
            f.by_age.get(band).copied().unwrap_or(0) as f64
        ));
    }
    values
}

/// The headers of the programmes and referrals table.
pub const CASE_WORK_HEADERS: [&str; 10] = [
    "Część",
    "Miesiąc",
    "Od organizacji",
    "Do organizacji / instytucji",
    "Wysłane / otwarte",
    "Przyjęte / z przeglądem",
    "Odrzucone",
    "Zrealizowane / zamknięte",
    "Mediana dni do przyjęcia",
    "Wynik",
];

/// Programmes (opened, reviewed, closed by outcome) and referrals (by
/// month and pair: sent, accepted, declined, done, median days to
/// acceptance), in the columns of [`CASE_WORK_HEADERS`].
pub fn case_work_table(report: &Report) -> Vec<Vec<Value>> {
    let text = |t: &str| Value::Text(t.to_string());
    let number = |n: u32| Value::Number(f64::from(n));
    let empty = || Value::Text(String::new());
    let figures = &report.case_work;
    let mut rows = vec![vec![
        text("Programy (IPWB)"),
        text(&report.period.to_string()),
        empty(),
        empty(),
        number(figures.programmes_opened),
        number(figures.programmes_reviewed),
        empty(),
        number(figures.programmes_closed.values().sum()),
        empty(),
        empty(),
    ]];
    for (outcome, closed) in &figures.programmes_closed {
        rows.push(vec![
            text("Programy zamknięte"),
            text(&report.period.to_string()),
            empty(),
            empty(),
            empty(),
            empty(),
            empty(),
            number(*closed),
            empty(),
            text(outcome_pl(outcome)),
        ]);
    }
    for r in &figures.referrals {
        rows.push(vec![
            text(if r.institution.is_some() {
                "Skierowania do instytucji"
            } else {
                "Skierowania między organizacjami"
            }),
            text(&r.month.to_string()),
            text(&r.from_name),
            text(&r.to_name),
            number(r.sent),
            number(r.accepted),
            number(r.declined),
            number(r.done),
            r.median_days_to_acceptance
                .map_or_else(empty, Value::Number),
            empty(),
        ]);
    }
    rows
}

fn outcome_pl(code: &str) -> &str {
    match code {
        "own_housing" => "własne mieszkanie",
        "supported_flat" => "mieszkanie wspierane lub treningowe",
        "family" => "powrót do rodziny",
        "institution" => "instytucja",
        "left" => "rezygnacja",
        "died" => "zgon",
        "other" => "inny",
        other => other,
    }
}

/// The report as CSV (UTF-8, comma-separated, quoted where needed).
pub fn report_csv(report: &Report) -> String {
    let mut out = String::new();
    let quote = |text: &str| {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    };
    out.push_str(
        &headers()
            .into_iter()
            .map(quote)
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    let lines = |rows: Vec<Vec<Value>>, out: &mut String| {
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Text(t) => quote(t),
                    Value::Number(n) => n.to_string(),
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    };
    lines(table(report), &mut out);
    out.push_str("\r\n");
    out.push_str(
        &CASE_WORK_HEADERS
            .into_iter()
            .map(quote)
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str("\r\n");
    lines(case_work_table(report), &mut out);
    out
}

/// Why the service rows add up to more than the consortium's total (a
/// contact with two services counts in both rows, once in the total), in
/// Polish, for the city; `None` when they add up.
pub fn totals_note(report: &Report) -> Option<String> {
    let (records, minutes) = report.services.iter().fold((0, 0), |(r, m), s| {
        (r + s.figures.records, m + s.figures.minutes)
    });
    let total = &report.consortium;
    if records == total.records && minutes == total.minutes {
        return None;
    }
    let hours = |minutes: i64| format!("{:.1}", minutes as f64 / 60.0).replace('.', ",");
    Some(format!(
        "Wiersze usług sumują się do {records} kontaktów i sesji ({} h), a „Konsorcjum ogółem” \
         podaje {} ({} h): kontakt, w którym dano kilka usług, liczy się w wierszu każdej z nich, \
         a w sumie ogólnej raz. Tak samo osoby.",
        hours(minutes),
        total.records,
        hours(total.minutes)
    ))
}

/// The report as an XLSX workbook: sheet "Raport" (the table, headed by
/// the period and, when frozen, who froze it when) and sheet "Cele" (the
/// contract targets).
pub fn report_xlsx(report: &Report) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Raport")?;
    sheet.write_string_with_format(0, 0, "Okres", &bold)?;
    sheet.write_string(0, 1, report.period.to_string())?;
    if let Some(frozen) = &report.frozen {
        sheet.write_string_with_format(1, 0, "Złożono", &bold)?;
        sheet.write_string(
            1,
            1,
            format!("{} ({})", frozen.at.warsaw_rfc3339(), frozen.by),
        )?;
    }
    if let Some(note) = totals_note(report) {
        sheet.write_string_with_format(2, 0, "Uwaga", &bold)?;
        sheet.write_string(2, 1, note)?;
    }
    const FIRST: u32 = 3;
    for (col, header) in headers().into_iter().enumerate() {
        sheet.write_string_with_format(FIRST, col as u16, header, &bold)?;
    }
    for (i, row) in table(report).into_iter().enumerate() {
        let r = FIRST + 1 + i as u32;
        for (col, value) in row.into_iter().enumerate() {
            match value {
                Value::Text(text) => sheet.write_string(r, col as u16, text)?,
                Value::Number(n) => sheet.write_number(r, col as u16, n)?,
            };
        }
    }
    sheet.set_column_width(1, 28)?;
    sheet.set_column_width(3, 30)?;

    let targets = workbook.add_worksheet();
    targets.set_name("Cele")?;
    for (col, header) in [
        "Usługa",
        "Miara",
        "Cel",
        "Realizacja",
        "Procent",
        "Umowa od",
        "Umowa do",
    ]
    .into_iter()
    .enumerate()
    {
        targets.write_string_with_format(0, col as u16, header, &bold)?;
    }
    let mut r = 1;
    for total in &report.services {
        for target in &total.targets {
            targets.write_string(r, 0, &total.service_pl)?;
            targets.write_string(r, 1, metric_pl(&target.metric))?;
            targets.write_number(r, 2, target.target as f64)?;
            targets.write_number(r, 3, target.achieved as f64)?;
            if target.target > 0 {
                targets.write_number(
                    r,
                    4,
                    (target.achieved as f64 * 1000.0 / target.target as f64).round() / 10.0,
                )?;
            }
            if let Some(from) = target.contract_from {
                targets.write_string(r, 5, from.to_string())?;
            }
            if let Some(to) = target.contract_to {
                targets.write_string(r, 6, to.to_string())?;
            }
            r += 1;
        }
    }
    let case_work = workbook.add_worksheet();
    case_work.set_name("Programy i skierowania")?;
    for (col, header) in CASE_WORK_HEADERS.into_iter().enumerate() {
        case_work.write_string_with_format(0, col as u16, header, &bold)?;
    }
    for (i, row) in case_work_table(report).into_iter().enumerate() {
        let r = 1 + i as u32;
        for (col, value) in row.into_iter().enumerate() {
            match value {
                Value::Text(text) => case_work.write_string(r, col as u16, text)?,
                Value::Number(n) => case_work.write_number(r, col as u16, n)?,
            };
        }
    }
    case_work.set_column_width(0, 30)?;
    case_work.set_column_width(2, 26)?;
    case_work.set_column_width(3, 30)?;
    Ok(workbook.save_to_buffer()?)
}

fn metric_pl(metric: &str) -> &str {
    match metric {
        "unique_persons" => "Unikalne osoby",
        "records" => "Kontakty / sesje",
        "hours" => "Godziny",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use odnowa_shared::office::{Month, Period, ServiceTotal};

    use super::*;

    fn service(code: &str, records: i64, minutes: i64) -> ServiceTotal {
        ServiceTotal {
            service: code.into(),
            service_pl: code.into(),
            service_en: code.into(),
            figures: Figures {
                records,
                minutes,
                ..Figures::default()
            },
            submitted: None,
            targets: Vec::new(),
        }
    }

    #[test]
    fn the_workbook_says_why_the_rows_add_up_to_more_than_the_total() {
        let mut report = Report {
            period: Period::Month(Month {
                year: 2026,
                month: 11,
            }),
            rows: Vec::new(),
            services: vec![
                service("food", 2, 36),
                service("hot_drink", 2, 30),
                service("talk", 1, 48),
            ],
            consortium: Figures {
                records: 4,
                minutes: 90,
                ..Figures::default()
            },
            frozen: None,
            submitted_consortium: None,
            case_work: Default::default(),
        };
        let note = totals_note(&report).expect("a note");
        assert!(
            note.contains("5 kontaktów i sesji (1,9 h)") && note.contains("podaje 4 (1,5 h)"),
            "{note}"
        );
        report.services.truncate(1);
        report.consortium.records = 2;
        report.consortium.minutes = 36;
        assert_eq!(totals_note(&report), None);
    }
}
