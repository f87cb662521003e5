//! kill -9 without loss (`odnowa_tests::durability`): the device engine's
//! process and the sync server's process killed with SIGKILL at random
//! moments, a bounded number of cycles (`ODNOWA_KILL_CYCLES` overrides;
//! `odnowa-load kill-devices --cycles 1000` and `kill-servers` run the
//! long loops by hand, figures in BENCHMARKS.md).

use anyhow::Result;
use odnowa_tests::durability::{kill_devices, kill_servers};
use odnowa_tests::{Backend, TestDatabase};

fn cycles(default: u64) -> u64 {
    std::env::var("ODNOWA_KILL_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The engine killed while it saves, edits and syncs: every save and
/// edit it acknowledged is in its replica at the next start, and at the
/// end the server holds every record at the device's heads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_engine_killed_at_random_loses_nothing() -> Result<()> {
    let database = TestDatabase::new(Backend::Sqlite).await?;
    let worker = std::path::Path::new(env!("CARGO_BIN_EXE_odnowa-load"));
    let figures = kill_devices(worker, &database.url, cycles(150), 7).await?;
    println!("{figures}");
    assert!(figures.acknowledged > 0, "the device acknowledged nothing");
    assert!(figures.records > 0);
    Ok(())
}

/// The server killed while a device uploads and edits, on each database:
/// every change it acknowledged is stored after the restart, and device,
/// server and a second device converge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_at_random_loses_nothing_sqlite() -> Result<()> {
    server_loop(Backend::Sqlite, cycles(100)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_at_random_loses_nothing_postgres() -> Result<()> {
    server_loop(Backend::Postgres, cycles(50)).await
}

async fn server_loop(backend: Backend, cycles: u64) -> Result<()> {
    let database = TestDatabase::new(backend).await?;
    let figures = kill_servers(&database.url, cycles, 11).await?;
    println!("{figures}");
    assert!(figures.acknowledged > 0, "the server acknowledged nothing");
    assert!(
        figures.kills_mid_exchange > 0,
        "no kill landed during an exchange: the loop tested nothing"
    );
    Ok(())
}
