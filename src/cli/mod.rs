//! The command line: `cinerank [serve]`, `worker`, `migrate`, `seed [DIR]`,
//! `create-admin`, `healthcheck`, `import movielens DIR`, `eval`,
//! `generate`, `enrich tmdb`. Each command with more than a few lines has
//! its own module here; this one parses and dispatches.

mod enrich;
mod eval;
mod generate;
mod import;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::services::accounts::{AccountError, AdminOutcome};
use crate::services::catalog::GenreCatalog;
use crate::services::seed;
use crate::startup::{self, Application};

/// cinerank: movie catalogue, ratings and recommendations over HTTP.
///
/// Configuration comes from environment variables (and `.env`); see the
/// README for the full table. With no command, `serve` runs.
#[derive(Debug, Parser)]
#[command(name = "cinerank", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, load the seed data into an empty database, and serve HTTP
    /// on HOST:PORT (default 127.0.0.1:8080).
    Serve {
        /// Start with an empty catalogue (same as SEED_ON_START=false).
        #[arg(long)]
        no_seed: bool,
    },
    /// Train and publish recommendation models for serving instances that
    /// run with MODEL_TRAINING=off (one worker trains at a time; a second
    /// one waits). Serves no HTTP.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load movies.csv and ratings.csv from DIR (default SEED_DIR, `seed_data`)
    /// into an empty database and exit.
    Seed {
        /// Folder holding movies.csv and ratings.csv.
        dir: Option<PathBuf>,
    },
    /// Create an administrator, or promote the existing account with this
    /// username (its password is then reset to the one given). The password
    /// is prompted for on a terminal, or read as the first line of standard
    /// input (a second, identical line is accepted as confirmation); it is
    /// never taken from an argument.
    CreateAdmin {
        /// Username of the administrator.
        #[arg(long)]
        username: String,
        /// Email of the administrator (used when the account is created).
        #[arg(long)]
        email: String,
    },
    /// Exit 0 when the running service's /ready answers 200 (for container
    /// health checks; needs no curl in the image).
    Healthcheck {
        /// Address to probe (default: 127.0.0.1:$PORT).
        #[arg(long)]
        url: Option<String>,
    },
    /// Import data into the catalogue.
    #[command(subcommand)]
    Import(ImportSource),
    /// Evaluate the recommender offline (docs/evaluation.md): train with the
    /// serving code, score top-10 lists and rating predictions on held-out
    /// ratings — either K folds made from --ratings, or --train/--test.
    Eval(eval::EvalArgs),
    /// Write a synthetic, MovieLens-shaped ratings.csv (and movies.csv unless
    /// --catalog is given) into --out. The same arguments always produce the
    /// same bytes.
    Generate(generate::GenerateArgs),
    /// Fill in missing movie data from an online source.
    #[command(subcommand)]
    Enrich(enrich::EnrichSource),
}

/// What `cinerank import` reads.
#[derive(Debug, Subcommand)]
enum ImportSource {
    /// A MovieLens release folder: ml-latest(-small)/ml-25m/ml-32m (movies.csv,
    /// ratings.csv, links.csv), ml-100k (u.item, u.data) or ml-1m (movies.dat,
    /// ratings.dat). Idempotent and all-or-nothing; the first malformed line
    /// aborts with its file and line unless --skip-invalid.
    Movielens {
        /// The release folder.
        dir: PathBuf,
        /// Skip malformed lines (each is reported) instead of aborting.
        #[arg(long)]
        skip_invalid: bool,
    },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Healthcheck { url }) = &cli.command {
        return healthcheck(url.as_deref());
    }
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("error: configuration: {err}");
            return ExitCode::from(2);
        }
    };
    crate::logging::init(settings.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(
        cli.command.unwrap_or(Command::Serve { no_seed: false }),
        settings,
    )) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", crate::error::error_chain(err.as_ref()));
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn run(command: Command, mut settings: Settings) -> CliResult {
    if !matches!(command, Command::Serve { .. } | Command::Worker) {
        // A one-shot command opens connections as it needs them.
        settings.db_min_connections = 1;
    }
    match command {
        Command::Generate(args) => generate::generate(&args),
        Command::Enrich(enrich::EnrichSource::Tmdb(args)) => {
            enrich::enrich_tmdb(&settings, args).await
        }
        Command::Healthcheck { .. } => Ok(()),
        Command::Import(ImportSource::Movielens { dir, skip_invalid }) => {
            import::import_movielens(&settings, &dir, skip_invalid).await
        }
        Command::Eval(args) => eval::evaluate(&args),
        Command::CreateAdmin { username, email } => {
            let password = read_new_password()?;
            let db = startup::prepare_database(&settings, false).await?;
            match crate::services::accounts::create_admin(&db, &username, &email, password).await {
                Ok(AdminOutcome::Created(id)) => {
                    println!("created administrator {username} (id {id})")
                }
                Ok(AdminOutcome::Promoted(id)) => {
                    println!("{username} (id {id}) is now an administrator; password updated")
                }
                Err(AccountError::Invalid(invalid)) => return Err(invalid.message.into()),
                Err(err) => return Err(err.into()),
            }
            Ok(())
        }
        Command::Serve { no_seed } => {
            if no_seed {
                settings.seed_on_start = false;
            }
            serve(settings).await
        }
        Command::Worker => {
            log::info!("starting the worker with {settings:?}");
            crate::worker::run(settings, async {
                wait_for_shutdown_signal().await;
                log::info!("shutdown signal received");
            })
            .await?;
            Ok(())
        }
        Command::Migrate => {
            let db = crate::db::connect(&settings).await?;
            crate::db::migrate(&db).await?;
            log::info!("migrations applied to {}", settings.database_url);
            Ok(())
        }
        Command::Seed { dir } => {
            let dir = dir.unwrap_or_else(|| settings.seed_dir.clone());
            let db = startup::prepare_database(&settings, false).await?;
            let genres = GenreCatalog::load(&db).await?;
            match seed::seed_if_empty(&db, &genres, &dir).await? {
                Some(report) => println!(
                    "loaded {} movies, {} users, {} ratings from {}",
                    report.movies,
                    report.users,
                    report.ratings,
                    dir.display()
                ),
                None => println!("the database already has movies; nothing loaded"),
            }
            Ok(())
        }
    }
}

/// GET /ready over plain HTTP/1.0 on loopback; 0 on 200.
fn healthcheck(address: Option<&str>) -> ExitCode {
    use std::io::{Read, Write};
    use std::time::Duration;

    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_owned());
    let address = address.map_or_else(|| format!("127.0.0.1:{port}"), str::to_owned);
    let probe = || -> std::io::Result<bool> {
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&address)?
            .next()
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(b"GET /ready HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head)?;
        Ok(head.starts_with(b"HTTP/1.") && &head[9..12] == b"200")
    };
    match probe() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("not ready");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("cannot reach {address}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The new administrator's password: prompted twice on a terminal, else the
/// first line of standard input (with an optional identical second line).
fn read_new_password() -> Result<String, Box<dyn std::error::Error>> {
    use std::io::{BufRead, IsTerminal};

    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            return Err("the passwords do not match".into());
        }
        return Ok(first);
    }
    let mut lines = std::io::stdin().lock().lines();
    let first = lines
        .next()
        .transpose()?
        .ok_or("expected the password on the first line of standard input")?;
    if let Some(second) = lines.next().transpose()?
        && !second.is_empty()
        && second != first
    {
        return Err("the two password lines do not match".into());
    }
    Ok(first)
}

async fn serve(settings: Settings) -> CliResult {
    log::info!("starting with {settings:?}");
    let app = Application::build(settings).await?;
    log::info!("listening on port {}", app.port());
    let handle = app.handle();
    tokio::spawn(async move {
        wait_for_shutdown_signal().await;
        log::info!("shutdown signal received; draining in-flight requests");
        handle.stop(true).await;
    });
    app.run_until_stopped().await?;
    log::info!("stopped");
    Ok(())
}

async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(err) => {
                log::warn!("cannot listen for SIGTERM ({err}); only Ctrl-C stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
