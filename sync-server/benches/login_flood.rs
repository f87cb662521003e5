//! A flood of wrong office logins against the real `odnowa-sync` binary
//! (release build, SQLite file, its own process): 512 wrong passwords, 64
//! at once, each from its own client address (`--trusted-proxy 127.0.0.1`
//! and `X-Forwarded-For`, as many addresses as a botnet has), for user
//! names that exist and that do not. Prints the answers, the time, and
//! the server's resident memory before, at its peak (`VmHWM`) and after.
//! Run: `cargo bench -p odnowa-sync-server --bench login_flood` (figures
//! go to BENCHMARKS.md by hand).

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const LOGINS: usize = 512;
const AT_ONCE: usize = 64;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field}"))
}

fn admin(db: &str, args: &[&str], stdin: Option<&str>) -> Result<()> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_odnowa-sync"))
        .args(["--database-url", db, "admin"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        input.write_all(text.as_bytes())?;
    }
    if !child.wait()?.success() {
        bail!("odnowa-sync admin {args:?} failed");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite:{}", dir.path().join("flood.db").display());
    admin(&db, &["create-user", "biuro", "--role", "office"], None)?;
    admin(
        &db,
        &["set-password", "biuro"],
        Some("correct horse battery\n"),
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_odnowa-sync"))
            .args(["--database-url", &db, "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--ui-dir", "/nonexistent", "--trusted-proxy", "127.0.0.1"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()?,
    );
    let pid = server.0.id();
    let url = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{url}/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !up {
        bail!("the server did not start");
    }
    let before = status_kib(pid, "VmRSS:")?;
    let started = Instant::now();
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for wave in 0..LOGINS / AT_ONCE {
        let tries = (0..AT_ONCE).map(|n| {
            let client = client.clone();
            let url = url.clone();
            let i = wave * AT_ONCE + n;
            async move {
                let user = if i.is_multiple_of(2) {
                    "biuro".to_string()
                } else {
                    format!("nikt{i}")
                };
                client
                    .post(format!("{url}/office/api/login"))
                    .header(
                        "x-forwarded-for",
                        format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
                    )
                    .json(&serde_json::json!({"user": user, "password": "wrong"}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            }
        });
        for answer in futures_util::future::join_all(tries).await {
            *answers.entry(answer?).or_default() += 1;
        }
    }
    let elapsed = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = status_kib(pid, "VmRSS:")?;
    let peak = status_kib(pid, "VmHWM:")?;
    println!(
        "{LOGINS} wrong logins, {AT_ONCE} at once, each from its own address: {answers:?} in {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "server RSS: {:.1} MiB before, peak {:.1} MiB, {:.1} MiB 2 s after",
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        after as f64 / 1024.0
    );
    Ok(())
}
