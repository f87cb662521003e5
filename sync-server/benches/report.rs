//! The monthly city report over a large consortium: 1,000,000 contacts
//! and 50,000 persons (2 % of them merged into another) over three years,
//! three members, five services, one contact in ten anonymous — on
//! PostgreSQL and on SQLite. The projection tables are filled directly in
//! SQL (generated series), as months of syncing would have left them; the
//! report is then read through the same `report::report` the office uses.
//!
//! `cargo bench -p odnowa-sync-server --bench report` (sizes from
//! `ODNOWA_BENCH_CONTACTS` and `ODNOWA_BENCH_PERSONS`; PostgreSQL at
//! `ODNOWA_TEST_POSTGRES`, default `postgres://root@127.0.0.1:5432/postgres`).
//! Prints figures; BENCHMARKS.md keeps the latest.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use odnowa_shared::office::{Month, Period};
use odnowa_sync_server::Db;
use odnowa_sync_server::exchange::SyncService;
use odnowa_sync_server::report;

const ORGS: [&str; 3] = [
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-00000000000c",
];

fn size(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The SQL that fills the projections, for one dialect: `$uuid(x, tag)`
/// makes an id of the number `x`; `$day(x)` the day `x` days after
/// 2024-01-01; `$series(n)` the numbers 0..n as `s(n)`.
struct Dialect {
    uuid: fn(&str, &str) -> String,
    day: fn(&str) -> String,
    series: fn(i64) -> String,
}

const SQLITE: Dialect = Dialect {
    uuid: |x, tag| format!("printf('%08x-{tag}-4000-8000-%012x', {x}, {x})"),
    day: |x| format!("date('2024-01-01', '+' || ({x}) || ' days')"),
    series: |n| {
        format!(
            "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {})",
            n - 1
        )
    },
};

const POSTGRES: Dialect = Dialect {
    uuid: |x, tag| {
        format!("(lpad(to_hex({x}), 8, '0') || '-{tag}-4000-8000-' || lpad(to_hex({x}), 12, '0'))")
    },
    day: |x| format!("to_char(DATE '2024-01-01' + CAST(({x}) AS INTEGER), 'YYYY-MM-DD')"),
    series: |n| {
        format!(
            "WITH s(n) AS (SELECT generate_series(CAST(0 AS BIGINT), {}))",
            n - 1
        )
    },
};

fn fill_sql(d: &Dialect, contacts: i64, persons: i64) -> Vec<String> {
    let org = format!(
        "CASE n % 3 WHEN 0 THEN '{}' WHEN 1 THEN '{}' ELSE '{}' END",
        ORGS[0], ORGS[1], ORGS[2]
    );
    let person_of = format!("((n * 7919) % {persons})");
    vec![
        // Aliases as workers write them: a first name, a diminutive or a
        // nickname, with a surname's initial (100 × 22 of them, so some
        // twenty persons share each); one in twenty with a typo in the
        // first letter ("Sarek K.", "HOla B.") for the duplicate finder.
        format!(
            "INSERT INTO p_persons (id, alias, alias_folded, birth_year, gender, merged_into, created_at, created_day) \
             {}, names(i, name) AS (VALUES (0, 'Marek'), (1, 'Zbyszek'), (2, 'Gosia'), (3, 'Ola'), (4, 'Ala'), (5, 'Ela'), (6, 'Ewa'), (7, 'Iza'), (8, 'Kasia'), (9, 'Basia'), (10, 'Zosia'), (11, 'Jola'), (12, 'Bozena'), (13, 'Halina'), (14, 'Irena'), (15, 'Danuta'), (16, 'Wanda'), (17, 'Teresa'), (18, 'Krystyna'), (19, 'Jadwiga'), (20, 'Stefan'), (21, 'Janek'), (22, 'Jurek'), (23, 'Heniek'), (24, 'Zdzisiek'), (25, 'Mietek'), (26, 'Rysiek'), (27, 'Staszek'), (28, 'Tadek'), (29, 'Wiesiek'), (30, 'Kazik'), (31, 'Edek'), (32, 'Franek'), (33, 'Antek'), (34, 'Bartek'), (35, 'Tomek'), (36, 'Pawel'), (37, 'Piotrek'), (38, 'Michal'), (39, 'Kuba'), (40, 'Adam'), (41, 'Olek'), (42, 'Wojtek'), (43, 'Krzysiek'), (44, 'Grzesiek'), (45, 'Darek'), (46, 'Mirek'), (47, 'Slawek'), (48, 'Lukasz'), (49, 'Mateusz'), (50, 'Sebastian'), (51, 'Damian'), (52, 'Kamil'), (53, 'Dawid'), (54, 'Rafal'), (55, 'Robert'), (56, 'Roman'), (57, 'Ryszard'), (58, 'Andrzej'), (59, 'Bogdan'), (60, 'Czesiek'), (61, 'Leszek'), (62, 'Waldek'), (63, 'Zenek'), (64, 'Mariusz'), (65, 'Artur'), (66, 'Igor'), (67, 'Oleg'), (68, 'Taras'), (69, 'Bohdan'), (70, 'Serhij'), (71, 'Mykola'), (72, 'Vasyl'), (73, 'Petro'), (74, 'Ivan'), (75, 'Olena'), (76, 'Oksana'), (77, 'Natalia'), (78, 'Tetiana'), (79, 'Switlana'), (80, 'Rudy'), (81, 'Maly'), (82, 'Duzy'), (83, 'Siwy'), (84, 'Lysy'), (85, 'Dlugi'), (86, 'Gruby'), (87, 'Chudy'), (88, 'Kulawy'), (89, 'Wasaty'), (90, 'Brodaty'), (91, 'Malarz'), (92, 'Kolejarz'), (93, 'Marynarz'), (94, 'Gorol'), (95, 'Cygan'), (96, 'Student'), (97, 'Profesor'), (98, 'Doktor'), (99, 'Kapitan')) \
             SELECT {}, alias, lower(alias), 1940 + n % 70, \
             CASE n % 3 WHEN 0 THEN 'female' WHEN 1 THEN 'male' ELSE '' END, \
             CASE WHEN n % 50 = 0 AND n > 0 THEN {} ELSE NULL END, 0, {} FROM \
             (SELECT n, CASE n % 20 WHEN 7 THEN 'S' || substr(base, 2) WHEN 13 THEN 'H' || base ELSE base END AS alias FROM \
             (SELECT n, names.name || ' ' || substr('ABCDEFGHIJKLMNOPRSTUWZ', CAST((n / 100) % 22 AS INTEGER) + 1, 1) || '.' AS base \
             FROM s JOIN names ON names.i = n % 100) b) a",
            (d.series)(persons),
            (d.uuid)("n", "0000"),
            (d.uuid)("n - 1", "0000"),
            (d.day)("n % 1095"),
        ),
        format!(
            "INSERT INTO p_records (doc_id, kind, space_id, org_id, site_id, worker_id, at, day, place, anonymous_count, minutes, first_seen_at) \
             {} SELECT {}, 'contact', {}, {org}, NULL, NULL, n, {}, 'Dworzec', \
             CASE WHEN n % 10 = 0 THEN 2 ELSE 0 END, 15 + n % 30, 0 FROM s",
            (d.series)(contacts),
            (d.uuid)("n", "0001"),
            (d.uuid)("n % 3", "0002"),
            (d.day)("(n * 1095) / {contacts}").replace("{contacts}", &contacts.to_string()),
        ),
        format!(
            "INSERT INTO p_record_services (doc_id, service, quantity, day) \
             SELECT doc_id, CASE at % 5 WHEN 0 THEN 'food' WHEN 1 THEN 'hot_drink' \
             WHEN 2 THEN 'conversation' WHEN 3 THEN 'clothing' ELSE 'information' END, 1, day FROM p_records"
        ),
        "INSERT INTO p_record_services (doc_id, service, quantity, day) \
         SELECT doc_id, 'hygiene_kit', 1, day FROM p_records WHERE at % 3 = 0"
            .to_string(),
        format!(
            "INSERT INTO p_record_persons (doc_id, person_id, minutes, day) \
             {} SELECT {}, {}, 15 + n % 30, {} FROM s WHERE n % 10 <> 0",
            (d.series)(contacts),
            (d.uuid)("n", "0001"),
            (d.uuid)(&person_of, "0000"),
            (d.day)("(n * 1095) / {contacts}").replace("{contacts}", &contacts.to_string()),
        ),
    ]
}

async fn fill(db_url: &str, d: &Dialect, contacts: i64, persons: i64) -> Result<Duration> {
    let start = Instant::now();
    let statements = fill_sql(d, contacts, persons);
    if db_url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db_url).await?;
        for (i, org) in ORGS.iter().enumerate() {
            sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, 0)")
                .bind(org)
                .bind(format!("Członek {}", i + 1))
                .execute(&pool)
                .await?;
        }
        for sql in &statements {
            sqlx::query(sql)
                .execute(&pool)
                .await
                .with_context(|| sql.clone())?;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(db_url).await?;
        for (i, org) in ORGS.iter().enumerate() {
            sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, 0)")
                .bind(org)
                .bind(format!("Członek {}", i + 1))
                .execute(&pool)
                .await?;
        }
        for sql in &statements {
            sqlx::query(sql)
                .execute(&pool)
                .await
                .with_context(|| sql.clone())?;
        }
        sqlx::query("ANALYZE").execute(&pool).await?;
        pool.close().await;
    }
    Ok(start.elapsed())
}

async fn time<T>(runs: usize, mut run: impl AsyncFnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(run().await?);
        times.push(start.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], last.context("no run")?))
}

async fn bench(name: &str, url: &str, d: &Dialect, contacts: i64, persons: i64) -> Result<()> {
    let db = Arc::new(Db::open(url).await?);
    let filled = fill(url, d, contacts, persons).await?;
    let sync = SyncService::new(db.clone(), 100);
    let june = Period::Month(Month {
        year: 2025,
        month: 6,
    });
    let (month, report) = time(5, async || Ok(report::report(&sync, june).await?)).await?;
    let q2: Period = "2025-Q2".parse()?;
    let (quarter, _) = time(3, async || Ok(report::report(&sync, q2).await?)).await?;
    let (dashboard, _) = time(3, async || {
        Ok(report::dashboard(
            &sync,
            Month {
                year: 2025,
                month: 6,
            },
        )
        .await?)
    })
    .await?;
    // The office's duplicates page: every pair of persons who look alike.
    let (duplicates, pairs) = time(3, async || Ok(db.duplicates().await?)).await?;
    let typo_first = pairs
        .iter()
        .filter(|p| {
            let (a, b) = (p.a.alias.as_bytes(), p.b.alias.as_bytes());
            a.first() != b.first()
        })
        .count();
    println!(
        "{name}: {contacts} contacts, {persons} persons (filled in {:.1} s)\n  \
         month 2025-06: {} ms median of 5 ({} records, {} unique persons, {} rows)\n  \
         quarter 2025-Q2: {} ms median of 3\n  dashboard (12 months): {} ms median of 3\n  \
         duplicates page: {} ms median of 3 ({} pairs shown, {} of them with another first letter)",
        filled.as_secs_f64(),
        month.as_millis(),
        report.consortium.records,
        report.consortium.unique_persons,
        report.rows.len(),
        quarter.as_millis(),
        dashboard.as_millis(),
        duplicates.as_millis(),
        pairs.len(),
        typo_first,
    );
    db.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let contacts = size("ODNOWA_BENCH_CONTACTS", 1_000_000);
    let persons = size("ODNOWA_BENCH_PERSONS", 50_000);
    println!(
        "report bench on {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite:{}", dir.path().join("bench.sqlite").display());
    bench("SQLite", &sqlite, &SQLITE, contacts, persons).await?;

    let admin_url = std::env::var("ODNOWA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".into());
    let name = format!("odnowa_bench_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => anyhow::bail!("ODNOWA_TEST_POSTGRES has no database part"),
    };
    let result = bench("PostgreSQL", &url, &POSTGRES, contacts, persons).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await?;
    result
}
