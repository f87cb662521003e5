//! `odnowa-sync`: the sync server and its admin commands.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use odnowa_shared::ids::{DeviceId, PersonId, SiteId};
use odnowa_shared::office::{ServiceEdit, SiteEdit};
use odnowa_shared::protocol::DevicePolicy;
use odnowa_shared::time::Date;
use odnowa_sync_server::exchange::SyncService;
use odnowa_sync_server::office::OfficeConfig;
use odnowa_sync_server::tls::{TlsListener, launch_tls};
use odnowa_sync_server::writer::OfficeAuthor;
use odnowa_sync_server::{
    Db, ServerConfig, accounts, admin, app, forwarded, launch, state_configured, tls,
};

/// Automerge and the sync core allocate many small objects on every
/// thread; mimalloc does that with less CPU than glibc's allocator
/// (BENCHMARKS.md, "Bulk ingest").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "odnowa-sync", version, about = "Odnowa sync server")]
struct Cli {
    /// `sqlite:FILE` (created if missing) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "ODNOWA_DATABASE_URL",
        default_value = "sqlite:odnowa.sqlite",
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve sync, enrolment and the office pages.
    Serve {
        #[arg(long, env = "ODNOWA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The office pages (trunk's output); not served when missing.
        #[arg(long, env = "ODNOWA_UI_DIR", default_value = "ui/dist")]
        ui_dir: PathBuf,
        /// Documents kept in memory at most.
        #[arg(long, default_value_t = 2_000)]
        cache_docs: usize,
        /// An office session unused this many minutes ends.
        #[arg(long, default_value_t = 30)]
        office_idle_minutes: u64,
        /// An office session ends this many hours after login.
        #[arg(long, default_value_t = 12)]
        office_session_hours: u64,
        /// Serve HTTPS and WSS with this PEM certificate chain (the
        /// server's certificate first); needs --tls-key.
        #[arg(long, env = "ODNOWA_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, env = "ODNOWA_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Mark the session cookie Secure and send HSTS: a TLS proxy is in
        /// front (implied by --tls-cert).
        #[arg(long)]
        secure_cookies: bool,
        /// A reverse proxy whose X-Forwarded-For names the client (for the
        /// enrolment limit per address); repeat for several.
        #[arg(
            long = "trusted-proxy",
            env = "ODNOWA_TRUSTED_PROXY",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<IpAddr>,
        /// Devices ask for the PIN again after this many minutes without a tap.
        #[arg(long, default_value_t = 5)]
        device_lock_minutes: u32,
        /// Devices that have not reached the server for this many days hide
        /// their records until they sync.
        #[arg(long, default_value_t = 14)]
        device_stale_days: u32,
        /// Fill an empty database with a demo consortium (fictional
        /// organisations, logins, persons and some weeks of records), so
        /// every page shows something; the logins are printed.
        #[arg(long)]
        demo: bool,
    },
    /// Organisations, spaces, users, enrolment codes, devices.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Subcommand)]
enum Admin {
    /// Create a member organisation (also named in the catalogue).
    CreateOrg { name: String },
    /// The catalogue devices read: services of the package, sites.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Create a space (a team of an organisation).
    CreateSpace {
        name: String,
        #[arg(long)]
        org: Option<String>,
    },
    /// Create a user with access to spaces (by name; `registry` is the
    /// consortium registry).
    CreateUser {
        name: String,
        #[arg(long)]
        org: Option<String>,
        #[arg(long, default_value = "worker")]
        role: String,
        /// Spaces the user may read.
        #[arg(long)]
        read: Vec<String>,
        /// Spaces the user may read and write.
        #[arg(long)]
        write: Vec<String>,
    },
    /// Give a user access to a space.
    Grant {
        user: String,
        space: String,
        #[arg(long)]
        write: bool,
    },
    /// Set a user's password for the office pages, read from standard
    /// input (one line), never from the command line.
    SetPassword { user: String },
    /// Issue a one-time enrolment code for a user's new device.
    EnrolCode {
        user: String,
        #[arg(long, default_value_t = accounts::DEFAULT_CODE_HOURS)]
        hours: i64,
    },
    /// List enrolled devices.
    Devices,
    /// Revoke a device: its live connection closes within a second and
    /// every later request is refused; the app locks its data.
    Revoke { device: DeviceId },
    /// Disable a user: every device of theirs is cut off as if revoked.
    DisableUser { user: String },
    /// The audit log about a person (by id) or of a user (by name), newest
    /// first: accepted changes with their hashes, reads of a person's file
    /// (office pages and devices), office actions, refusals.
    Audit {
        #[arg(long, conflicts_with = "user", required_unless_present = "user")]
        person: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Erase a person and everybody merged with them: their registry
    /// entries and case notes are deleted with their history, contacts
    /// naming them rewritten without notes; every device purges at its
    /// next sync. `--dry-run` only says what would go.
    Erase {
        person: PersonId,
        /// The reference of the erasure request (never the person's name).
        #[arg(long, required_unless_present = "dry_run")]
        reason: Option<String>,
        #[arg(long)]
        dry_run: bool,
    },
    /// The latest erasures and the devices that have not purged yet.
    Erasures {
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// List refused pushes kept in quarantine.
    Quarantine {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Write the office's relational rows of every record again from the
    /// stored documents.
    RebuildProjections,
    /// Start a new feed epoch after restoring the database from a backup:
    /// every device then pushes all it holds again.
    NewEpoch,
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Print the services and sites.
    Show,
    /// Add or change a service of the commissioned package.
    PutService {
        /// a-z, 0-9 and _ ("hot_drink").
        code: String,
        #[arg(long)]
        pl: String,
        #[arg(long)]
        en: String,
        /// The member organisation that delivers it (by name).
        #[arg(long)]
        org: Option<String>,
        /// First day of the contract period (YYYY-MM-DD).
        #[arg(long)]
        from: Option<Date>,
        /// Last day of the contract period (YYYY-MM-DD).
        #[arg(long)]
        to: Option<Date>,
        /// A target for the contract period: unique_persons=120, records=500, hours=300.
        #[arg(long = "target", value_parser = parse_target)]
        targets: Vec<(String, i64)>,
        /// No longer offered on devices (old records keep it).
        #[arg(long)]
        retired: bool,
    },
    /// Add a site, or change one given by --id.
    PutSite {
        name: String,
        /// day_room, day_centre, workshop or street.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        id: Option<SiteId>,
    },
}

fn parse_target(text: &str) -> Result<(String, i64), String> {
    let (metric, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected metric=value, got {text:?}"))?;
    let value = value
        .trim()
        .parse()
        .map_err(|_| format!("not a whole number: {value:?}"))?;
    Ok((metric.trim().to_string(), value))
}

async fn run_catalogue(sync: &SyncService, command: CatalogueCommand) -> anyhow::Result<()> {
    let catalogue = match command {
        CatalogueCommand::Show => sync.catalogue().await?,
        CatalogueCommand::PutService {
            code,
            pl,
            en,
            org,
            from,
            to,
            targets,
            retired,
        } => {
            let edit = ServiceEdit {
                code,
                name_pl: pl,
                name_en: en,
                org: None,
                retired,
                contract_from: from,
                contract_to: to,
                targets: targets.into_iter().collect(),
            };
            admin::put_service(sync, edit, org.as_deref()).await?
        }
        CatalogueCommand::PutSite {
            name,
            kind,
            org,
            id,
        } => {
            let edit = SiteEdit {
                id,
                name,
                site_kind: kind,
                org: None,
            };
            admin::put_site(sync, edit, org.as_deref()).await?
        }
    };
    for (code, service) in &catalogue.services {
        let org = service
            .org
            .and_then(|o| catalogue.orgs.get(&o.to_string()))
            .map_or("", |o| o.name.as_str());
        let targets: Vec<String> = service
            .targets
            .iter()
            .map(|(metric, value)| format!("{metric}={value}"))
            .collect();
        println!(
            "service\t{code}\t{}\t{}\t{org}\t{}..{}\t{}{}",
            service.name_pl,
            service.name_en,
            service
                .contract_from
                .map(|d| d.to_string())
                .unwrap_or_default(),
            service
                .contract_to
                .map(|d| d.to_string())
                .unwrap_or_default(),
            targets.join(","),
            if service.retired { "\tretired" } else { "" },
        );
    }
    for (id, site) in &catalogue.sites {
        println!("site\t{id}\t{}\t{}", site.name, site.site_kind);
    }
    Ok(())
}

fn timestamp(ms: i64) -> String {
    odnowa_shared::time::Timestamp(ms).warsaw_rfc3339()
}

async fn run_admin(db: Arc<Db>, command: Admin) -> anyhow::Result<()> {
    // The office's writes go through the same ingest as a device's; a
    // server running over this database tells its devices at their next
    // sync.
    let sync = SyncService::new(db.clone(), 16);
    let db = db.as_ref();
    match command {
        Admin::CreateOrg { name } => println!("{}", admin::create_member(&sync, &name).await?),
        Admin::Catalogue(command) => run_catalogue(&sync, command).await?,
        Admin::CreateSpace { name, org } => {
            println!("{}", admin::create_space(db, &name, org.as_deref()).await?)
        }
        Admin::CreateUser {
            name,
            org,
            role,
            read,
            write,
        } => println!(
            "{}",
            accounts::create_user(db, &name, org.as_deref(), &role, &read, &write).await?
        ),
        Admin::Grant { user, space, write } => accounts::grant(db, &user, &space, write).await?,
        Admin::SetPassword { user } => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            accounts::set_password(db, &user, password).await?;
            println!("password set for {user}");
        }
        Admin::EnrolCode { user, hours } => {
            anyhow::ensure!((1..=24 * 30).contains(&hours), "--hours must be 1 to 720");
            println!("{}", accounts::enrol_code(db, &user, hours).await?)
        }
        Admin::Devices => {
            for d in accounts::devices(db).await? {
                println!(
                    "{}\t{}\t{}\tenrolled {}\tlast seen {}\t{}",
                    d.device,
                    d.user,
                    d.name,
                    timestamp(d.created_at),
                    d.last_seen_at
                        .map(timestamp)
                        .unwrap_or_else(|| "never".into()),
                    d.revoked_at
                        .map(|t| format!("REVOKED {}", timestamp(t)))
                        .unwrap_or_default(),
                );
            }
        }
        Admin::Revoke { device } => {
            anyhow::ensure!(
                accounts::revoke(db, device).await?,
                "no such device, or already revoked"
            );
            println!("revoked {device}");
        }
        Admin::DisableUser { user } => {
            anyhow::ensure!(
                accounts::disable_user(db, &user).await?,
                "the user {user} is disabled already"
            );
            println!("disabled {user}");
        }
        Admin::Audit {
            person,
            user,
            limit,
        } => {
            for e in admin::audit(db, person.as_deref(), user.as_deref(), limit).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    timestamp(e.at.0),
                    e.user_name.unwrap_or_else(|| "-".into()),
                    e.device_name.unwrap_or_else(|| "-".into()),
                    e.action,
                    e.doc.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                    e.detail
                );
            }
        }
        Admin::Quarantine { limit } => {
            for q in admin::quarantine(db, limit).await? {
                println!(
                    "{}\t{}\t{} {}\t{}\t{}",
                    timestamp(q.at),
                    q.device.map(|d| d.to_string()).unwrap_or_default(),
                    q.kind,
                    q.doc,
                    q.code,
                    q.reason
                );
            }
        }
        Admin::Erase {
            person,
            reason,
            dry_run,
        } => {
            let plan = odnowa_sync_server::erasure::plan(db, person).await?;
            println!(
                "{} registry entries, {} case notes deleted; {} contacts rewritten without notes; {} other records keep the id",
                plan.persons.len(),
                plan.case_notes,
                plan.contacts,
                plan.other_records
            );
            if !dry_run {
                let reason = reason.unwrap_or_default();
                let done = sync
                    .erase_person(&OfficeAuthor::admin_cli(), person, &reason, None)
                    .await?;
                println!(
                    "erasure {}: {} deleted, {} rewritten; {} devices must still purge",
                    done.id,
                    done.deleted,
                    done.rewritten,
                    done.pending.len()
                );
            }
        }
        Admin::Erasures { limit } => {
            for e in db.erasures_with_progress(None, limit).await? {
                println!(
                    "{}\t{}\t{}\tby {}\t{} deleted, {} rewritten\t{}",
                    timestamp(e.at.0),
                    e.id,
                    e.person,
                    e.by,
                    e.deleted,
                    e.rewritten,
                    e.reason
                );
                for p in e.pending {
                    println!(
                        "\tnot purged: {}\t{}\t{}\tlast seen {}{}",
                        p.device,
                        p.user,
                        p.name,
                        p.last_seen_at
                            .map(|t| timestamp(t.0))
                            .unwrap_or_else(|| "never".into()),
                        if p.revoked_at.is_some() {
                            "\tREVOKED"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        Admin::NewEpoch => println!("epoch {}", db.bump_epoch().await?),
        Admin::RebuildProjections => {
            let done = odnowa_sync_server::projection::rebuild(sync.db()).await?;
            println!("{} documents, {} projected", done.documents, done.projected);
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Read before the database is opened: a wrong file is the first thing
    // said, and nothing is created.
    let tls = match &cli.command {
        Command::Serve {
            tls_cert: Some(cert),
            tls_key: Some(key),
            ..
        } => Some(tls::load(cert, key)?),
        _ => None,
    };
    let db = Db::open(&cli.database_url)
        .await
        .with_context(|| format!("opening the database {}", cli.database_url))?;
    match cli.command {
        Command::Serve {
            listen,
            ui_dir,
            cache_docs,
            office_idle_minutes,
            office_session_hours,
            tls_cert: _,
            tls_key: _,
            secure_cookies,
            trusted_proxies,
            device_lock_minutes,
            device_stale_days,
            demo,
        } => {
            let db = Arc::new(db);
            if demo {
                let sync = SyncService::new(db.clone(), 64);
                match odnowa_sync_server::demo::fill(&sync).await {
                    Ok(logins) => {
                        println!(
                            "\nA demo consortium is written (fictional). Logins, password {}:",
                            odnowa_sync_server::demo::DEMO_PASSWORD
                        );
                        for login in logins {
                            println!(
                                "  {:<16} {:<12} {}",
                                login.name,
                                login.role,
                                login.org.unwrap_or_default()
                            );
                        }
                        println!();
                    }
                    Err(odnowa_sync_server::demo::DemoError::NotEmpty) => {
                        tracing::warn!("--demo: the database is not empty, nothing written");
                    }
                    Err(e) => return Err(e).context("writing the demo consortium"),
                }
            }
            let ui_dir = ui_dir.join("index.html").exists().then_some(ui_dir);
            if ui_dir.is_none() {
                tracing::warn!(
                    "office pages not built (run trunk build in ui/): serving the API only"
                );
            }
            // No office login yet: the first administrator is set up on
            // the login page with a one-time code that only this log shows.
            let setup_code = if db.office_login_exists().await? {
                None
            } else {
                let code = odnowa_sync_server::auth::new_enrol_code();
                let scheme = if tls.is_some() { "https" } else { "http" };
                println!(
                    "\nNo office user yet. Open {scheme}://{listen}/ and set up the first \
                     administrator with this one-time code: {code}\n"
                );
                tracing::warn!("no office user yet: the set-up code is printed above");
                Some(code)
            };
            let office = OfficeConfig {
                idle: std::time::Duration::from_secs(office_idle_minutes.max(1) * 60),
                lifetime: std::time::Duration::from_secs(office_session_hours.max(1) * 3600),
                secure_cookies,
                setup_code,
            };
            let config = ServerConfig {
                office,
                device: DevicePolicy {
                    lock_secs: device_lock_minutes.clamp(1, 24 * 60) * 60,
                    stale_days: device_stale_days.max(1),
                },
                ..ServerConfig::default()
            };
            let config = if tls.is_some() {
                config.over_tls()
            } else {
                config
            };
            let (state, stopper) = state_configured(db.clone(), cache_docs, config);
            let router = forwarded::trust_proxies(app(state, ui_dir), trusted_proxies);
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            let shutdown = async move {
                shutdown_signal().await;
                tracing::info!("shutting down");
                stopper.stop();
            };
            let backend = db.backend();
            match tls {
                Some(config) => {
                    tracing::info!(%listen, backend, "odnowa-sync serving HTTPS");
                    launch_tls(TlsListener::new(listener, config), router, shutdown).await?;
                }
                None => {
                    tracing::info!(%listen, backend, "odnowa-sync serving HTTP");
                    launch(listener, router, shutdown).await?;
                }
            }
            db.close().await;
        }
        Command::Admin(command) => {
            let db = Arc::new(db);
            run_admin(db.clone(), command).await?;
            db.close().await;
        }
    }
    Ok(())
}
