//! Real `odnowa-sync` processes: the admin CLI, and servers started as
//! their own processes (several over one database, killed with SIGKILL,
//! measured through `/proc`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// The `odnowa-sync` binary of the build this program belongs to: beside
/// it (`target/<profile>/`), or one directory up (a test or bench runs
/// from `target/<profile>/deps/`).
pub fn server_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("the program has a directory")?;
    for candidate in [dir.join("odnowa-sync"), dir.join("../odnowa-sync")] {
        if candidate.exists() {
            return Ok(candidate);
        }
    }
    bail!(
        "odnowa-sync is missing beside {}: build it first (`cargo build -p odnowa-sync-server`, with --release for a bench)",
        exe.display()
    )
}

/// Runs `odnowa-sync --database-url <db> <args>`; its standard output.
pub fn odnowa_sync(db: &str, args: &[&str]) -> Result<String> {
    let output = Command::new(server_binary()?)
        .arg("--database-url")
        .arg(db)
        .args(args)
        .output()?;
    if !output.status.success() {
        bail!(
            "odnowa-sync {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_string())
}

/// A free loopback port (taken from the system, then released).
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// One `odnowa-sync serve` process.
pub struct ServerProcess {
    child: Option<Child>,
    pub port: u16,
    db: String,
    args: Vec<String>,
}

impl ServerProcess {
    /// Starts `odnowa-sync serve` on `db` on a free port, with `args`
    /// after `serve` (`--cache-docs 1000`, …); waits until it answers.
    pub async fn start(db: &str, args: &[&str]) -> Result<ServerProcess> {
        let mut server = ServerProcess {
            child: None,
            port: free_port()?,
            db: db.to_string(),
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        server.spawn().await?;
        Ok(server)
    }

    async fn spawn(&mut self) -> Result<()> {
        let child = Command::new(server_binary()?)
            .args(["--database-url", &self.db, "serve", "--listen"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["--ui-dir", "/nonexistent"])
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("ODNOWA_SERVER_LOG").unwrap_or_else(|_| "error".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        self.child = Some(child);
        let client = reqwest::Client::new();
        for _ in 0..400 {
            if let Ok(response) = client.get(format!("{}/health", self.url())).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("odnowa-sync serve exited at start: {status}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!("odnowa-sync serve did not answer within 10 s")
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the process with SIGKILL (no shutdown of any kind) and reaps
    /// it.
    pub fn kill(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Starts the process again on the same port and database, killing
    /// it first with SIGKILL if it still runs (or reaping it if something
    /// else killed it).
    pub async fn restart(&mut self) -> Result<()> {
        self.kill()?;
        self.spawn().await
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        rss_kib(self.pid().context("the server is not running")?)
    }

    /// CPU time used so far (user + system).
    pub fn cpu(&self) -> Result<Duration> {
        cpu_time(self.pid().context("the server is not running")?)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// A process's resident memory, in KiB (`/proc/<pid>/status`).
pub fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")
}

/// The CPU time of every process named `name` now (`/proc/*/comm`), by
/// process id: PostgreSQL's backends, to tell what the database spent.
pub fn cpu_of_all(name: &str) -> std::collections::HashMap<u32, Duration> {
    let mut all = std::collections::HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let named = std::fs::read_to_string(entry.path().join("comm"))
            .is_ok_and(|comm| comm.trim() == name);
        if named && let Ok(cpu) = cpu_time(pid) {
            all.insert(pid, cpu);
        }
    }
    all
}

/// What the processes named as in `before` ([`cpu_of_all`]) spent since:
/// those started meanwhile count whole; those that ended are missed.
pub fn cpu_since(name: &str, before: &std::collections::HashMap<u32, Duration>) -> Duration {
    cpu_of_all(name)
        .into_iter()
        .map(|(pid, now)| now.saturating_sub(before.get(&pid).copied().unwrap_or_default()))
        .sum()
}

/// A process's CPU time, user and system (`/proc/<pid>/stat`, in clock
/// ticks of 1/100 s).
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces: the fields start after its ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("a stat line")?
        .1
        .split_whitespace()
        .collect();
    let ticks = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .context("a stat field")
    };
    // utime and stime: fields 14 and 15 of the line, 11 and 12 here.
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}
