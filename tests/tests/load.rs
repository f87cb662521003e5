//! The load generator in small, as CI runs it: a few devices for a few
//! seconds against one server process on SQLite, and against two on one
//! PostgreSQL database; no error, no lost save, and saves reach the other devices as live updates.
//! The full run (500 devices) is `odnowa-load devices` (BENCHMARKS.md).

use std::time::Duration;

use anyhow::{Result, ensure};
use odnowa_tests::load::{Plan, run};
use odnowa_tests::{Backend, TestDatabase};

async fn small(backend: Backend, instances: usize) -> Result<()> {
    let database = TestDatabase::new(backend).await?;
    let plan = Plan {
        devices: 24,
        instances,
        run: Duration::from_secs(6),
        pace: Duration::from_millis(400),
        cache_docs: 50,
        bad_per_sec: 5.0,
        opening_ticks: 4,
    };
    let figures = run(&database.url, &plan).await?;
    println!("{}", figures.report(&plan));
    ensure!(figures.errors.is_empty(), "{:#?}", figures.errors);
    ensure!(figures.saves > 0 && figures.accepted_changes >= figures.saves);
    ensure!(
        !figures.propagation_ms.is_empty(),
        "no save was seen arriving on another device"
    );
    ensure!(figures.live_updates > 0, "no save arrived as a live update");
    // Two day-room tablets an organisation (of ten devices), every tick
    // made, acknowledged and on every device of the team (checked with
    // the other saves: nothing lost).
    let tablets = (0..plan.devices).filter(|i| i % 10 < 2).count();
    ensure!(
        figures.ticks as usize == tablets * plan.opening_ticks,
        "attendance ticks at opening: {} of {}",
        figures.ticks,
        tablets * plan.opening_ticks
    );
    ensure!(
        figures.bad_sent > 0 && figures.bad_refused == figures.bad_sent,
        "bad requests: {} sent, {} refused as they should be",
        figures.bad_sent,
        figures.bad_refused
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_on_one_sqlite_server() -> Result<()> {
    small(Backend::Sqlite, 1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_on_two_postgres_instances() -> Result<()> {
    small(Backend::Postgres, 2).await
}
