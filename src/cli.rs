//! The command line: `cinerank [serve] | migrate | seed [DIR] | generate |
//! create-admin`.

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
    /// Evaluate the recommender offline on MovieLens files (RECOMMENDER.md's
    /// protocol): train on TRAIN with the serving code, score top-10 lists
    /// and rating predictions against TEST.
    Eval {
        /// Training ratings: u.data TSV, ratings.dat or ratings.csv.
        #[arg(long)]
        train: PathBuf,
        /// Test ratings, same formats.
        #[arg(long)]
        test: PathBuf,
        /// Movies (u.item or movies.csv), needed by the genre source.
        #[arg(long)]
        movies: Option<PathBuf>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write a synthetic, MovieLens-shaped ratings.csv (and movies.csv unless
    /// --catalog is given) into --out. The same arguments always produce the
    /// same bytes.
    Generate(GenerateArgs),
    /// Fill in missing movie data from an online source.
    #[command(subcommand)]
    Enrich(EnrichSource),
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

/// Arguments of `cinerank generate`.
#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// Rate the movies of this movies.csv instead of synthesising a catalogue.
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Number of users.
    #[arg(long, default_value_t = 1_000)]
    users: u32,
    /// Number of movies to synthesise (ignored with --catalog).
    #[arg(long, default_value_t = 3_000)]
    movies: u32,
    /// Target number of ratings.
    #[arg(long, default_value_t = 100_000)]
    ratings: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder (created if missing).
    #[arg(long)]
    out: PathBuf,
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
    match command {
        Command::Generate(args) => generate(&args),
        Command::Enrich(EnrichSource::Tmdb(args)) => enrich_tmdb(&settings, args).await,
        Command::Healthcheck { .. } => Ok(()),
        Command::Import(ImportSource::Movielens { dir, skip_invalid }) => {
            import_movielens(&settings, &dir, skip_invalid).await
        }
        Command::Eval {
            train,
            test,
            movies,
            json,
        } => evaluate(&train, &test, movies.as_deref(), json),
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

fn evaluate(
    train_path: &std::path::Path,
    test_path: &std::path::Path,
    movies_path: Option<&std::path::Path>,
    json: bool,
) -> CliResult {
    use crate::eval::{evaluate_ranking, evaluate_rating};
    use crate::movielens::{load_movies, load_ratings};
    use crate::recommender::{Model, Strategy, TrainConfig, TrainingData};

    let train = load_ratings(train_path)?;
    let test = load_ratings(test_path)?;
    let movies = movies_path
        .map(load_movies)
        .transpose()?
        .unwrap_or_default();
    let data = TrainingData {
        ratings: train.clone(),
        movies,
        purchases: Vec::new(),
    };
    let model = Model::train(&data, &TrainConfig::default())?;
    let stats = model.stats();
    for timing in &stats.timings {
        eprintln!("trained {:<10} {:.3} s", timing.source, timing.seconds);
    }
    eprintln!(
        "trained {:<10} {:.3} s ({} users, {} movies, {} interactions)",
        "all", stats.total_seconds, stats.users, stats.movies, stats.interactions
    );
    // Each strategy's fit time counts the sources it uses.
    let base = stats.seconds("index") + stats.seconds("popular");
    let mut strategies = vec![("popular", Strategy::Popular, base)];
    if movies_path.is_some() {
        strategies.push(("genre", Strategy::Genre, base));
    }
    strategies.push((
        "collaborative",
        Strategy::Collaborative,
        base + stats.seconds("item_knn") + stats.seconds("ease"),
    ));
    strategies.push(("hybrid", Strategy::Hybrid, stats.total_seconds));
    for (name, strategy, fit_s) in strategies {
        let r = evaluate_ranking(&model, &train, &test, strategy, 10);
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "strategy": name, "users": r.users, "precision10": r.precision,
                    "recall10": r.recall, "ndcg10": r.ndcg, "hit10": r.hit,
                    "coverage10": r.coverage, "fit_s": fit_s,
                })
            );
        } else {
            println!(
                "{name:<14} users {:>6}  P@10 {:.4}  R@10 {:.4}  NDCG@10 {:.4}  HR@10 {:.4}  cov@10 {:.4}  fit {fit_s:.3} s",
                r.users, r.precision, r.recall, r.ndcg, r.hit, r.coverage
            );
        }
    }
    let fit_s = stats.seconds("index") + stats.seconds("rating_mf") + stats.seconds("item_knn");
    let r = evaluate_rating(&model, &train, &test);
    if json {
        println!(
            "{}",
            serde_json::json!({"strategy": "rating", "rmse": r.rmse, "mae": r.mae, "fit_s": fit_s})
        );
    } else {
        println!(
            "{:<14} n {:>6}  RMSE {:.4}  MAE {:.4}  fit {fit_s:.3} s",
            "rating", r.count, r.rmse, r.mae
        );
    }
    Ok(())
}

fn generate(args: &GenerateArgs) -> CliResult {
    use std::fs::File;
    use std::io::{BufReader, BufWriter};

    use crate::synth::{
        GeneratorConfig, read_catalog_csv, synthesise_movies, write_movies_csv, write_ratings_csv,
    };

    let started = std::time::Instant::now();
    let config = GeneratorConfig {
        users: args.users,
        movies: args.movies,
        ratings: args.ratings,
        seed: args.seed,
    };
    std::fs::create_dir_all(&args.out)?;
    let movies = match &args.catalog {
        Some(path) => read_catalog_csv(BufReader::new(File::open(path)?))?,
        None => {
            let movies = synthesise_movies(&config);
            write_movies_csv(
                BufWriter::new(File::create(args.out.join("movies.csv"))?),
                &movies,
            )?;
            movies
        }
    };
    let stats = write_ratings_csv(
        File::create(args.out.join("ratings.csv"))?,
        &config,
        &movies,
    )?;
    println!(
        "wrote {} ratings by {} users over {} movies (mean {:.2}) to {} in {:.1}s",
        stats.ratings,
        stats.users,
        stats.movies,
        stats.mean_stars(),
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
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

/// `cinerank import movielens DIR`: the import with a progress bar on a
/// terminal (progress lines every few seconds otherwise, e.g. in CI logs).
async fn import_movielens(
    settings: &Settings,
    dir: &std::path::Path,
    skip_invalid: bool,
) -> CliResult {
    use std::io::IsTerminal;
    use std::sync::Arc;

    use crate::services::import::{self, ImportOptions, ImportProgress};

    let started = std::time::Instant::now();
    let db = startup::prepare_database(settings, false).await?;
    let genres = GenreCatalog::load(&db).await?;
    let progress = Arc::new(ImportProgress::default());
    let reporter = tokio::spawn(report_import_progress(
        Arc::clone(&progress),
        std::io::stderr().is_terminal(),
    ));
    let result =
        import::import_movielens(&db, &genres, dir, ImportOptions { skip_invalid }, &progress)
            .await;
    reporter.abort();
    let _ = reporter.await;
    let outcome = result?;
    for problem in &outcome.skipped {
        eprintln!("skipped {problem}");
    }
    if outcome.skipped_count > outcome.skipped.len() as u64 {
        eprintln!(
            "… and {} more skipped lines",
            outcome.skipped_count - outcome.skipped.len() as u64
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let report = outcome.report;
    println!(
        "{:?} release: {} movies added, {} updated, {} users added, {} ratings written ({} lines read), {} lines skipped, in {:.1}s ({:.0} ratings/s)",
        outcome.layout,
        report.movies_added,
        report.movies_updated,
        report.users_added,
        report.ratings_written,
        outcome.ratings_read,
        outcome.skipped_count,
        seconds,
        outcome.ratings_read as f64 / seconds.max(1e-9),
    );
    println!(
        "running servers retrain on their own once they notice the new ratings (or: POST /api/v1/admin/model/retrain)"
    );
    Ok(())
}

/// Draws the import's progress until aborted: an indicatif bar on a
/// terminal, a plain line every few seconds otherwise.
async fn report_import_progress(
    progress: std::sync::Arc<crate::services::import::ImportProgress>,
    terminal: bool,
) {
    use crate::services::import::Phase;
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if !terminal {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg} (eta {eta})",
    ) {
        bar.set_style(style);
    }
    let started = std::time::Instant::now();
    let mut last_phase = Phase::Pending;
    let mut last_line = std::time::Instant::now();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(200));
    loop {
        tick.tick().await;
        let phase = progress.phase();
        let total = progress.ratings_bytes_total();
        if total > 0 && bar.length() != Some(total) {
            bar.set_length(total);
        }
        // The bar moves by bytes (known up front); rows/s come from lines.
        bar.set_position(progress.ratings_bytes_read());
        let read = progress.ratings_read();
        let rate = read as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("{} · {read} ratings · {rate:.0}/s", phase.name()));
        if !terminal
            && (phase != last_phase || last_line.elapsed() >= std::time::Duration::from_secs(5))
        {
            let percent = if total > 0 {
                100.0 * progress.ratings_bytes_read() as f64 / total as f64
            } else {
                0.0
            };
            eprintln!(
                "import: {} · {read} ratings read ({percent:.0}%), {} stored · {rate:.0} ratings/s",
                phase.name(),
                progress.ratings_stored(),
            );
            last_line = std::time::Instant::now();
        }
        last_phase = phase;
    }
}

/// What `cinerank enrich` asks.
#[derive(Debug, Subcommand)]
enum EnrichSource {
    /// Fetch posters and overviews from TMDB for movies that have a TMDB id
    /// and lack either. Needs TMDB_API_KEY; resumable (each answer is
    /// written at once, and ids TMDB has nothing for go into --state).
    Tmdb(EnrichTmdbArgs),
}

/// Arguments of `cinerank enrich tmdb`.
#[derive(Debug, clap::Args)]
struct EnrichTmdbArgs {
    /// Ask about at most N movies in this run.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Requests per second, retries included (TMDB allows about 40).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rate: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Attempts per movie on 429, 5xx or connection errors before giving up.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,
    /// TMDB language of the overviews.
    #[arg(long, default_value = "en-US")]
    language: String,
    /// Replace posters and overviews that are already set (and ask again
    /// about ids listed in the state file).
    #[arg(long)]
    overwrite: bool,
    /// File of TMDB ids already answered without the missing data.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "data/tmdb-enrich-state.tsv"
    )]
    state: PathBuf,
}

/// `cinerank enrich tmdb`: a progress bar on a terminal, a summary always.
async fn enrich_tmdb(settings: &Settings, args: EnrichTmdbArgs) -> CliResult {
    use crate::services::enrich::{EnrichError, EnrichOptions, EnrichReport, enrich_from_tmdb};

    let started = std::time::Instant::now();
    let tmdb = crate::config::TmdbSettings::from_env().map_err(EnrichError::from)?;
    let options = EnrichOptions {
        limit: args.limit,
        requests_per_second: args.rate,
        concurrency: usize::from(args.concurrency),
        max_attempts: args.max_attempts,
        language: args.language,
        overwrite: args.overwrite,
        state_file: args.state,
    };
    let db = startup::prepare_database(settings, false).await?;
    let progress = EnrichProgressBar::new();
    let mut report = EnrichReport::default();
    let outcome = enrich_from_tmdb(&db, &tmdb, &options, &progress, &mut report).await;
    progress.bar.finish_and_clear();
    // The summary is printed even when the run stopped early (e.g. a 401).
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "enrich tmdb: {} fetched, {} updated, {} not found, {} failed, {} skipped (answered before, see {}); {} requests in {seconds:.1}s ({:.1} req/s)",
        report.fetched,
        report.updated,
        report.not_found,
        report.failed,
        report.skipped,
        options.state_file.display(),
        report.requests,
        report.requests as f64 / seconds.max(0.001)
    );
    if report.updated > 0 {
        println!(
            "a running server shows the new data once its catalogue cache expires (CACHE_TTL_SECONDS)"
        );
    }
    Ok(outcome?)
}

/// indicatif's bar on standard error, drawn only when that is a terminal.
struct EnrichProgressBar {
    bar: indicatif::ProgressBar,
}

impl EnrichProgressBar {
    fn new() -> Self {
        use std::io::IsTerminal;
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(0)
        } else {
            indicatif::ProgressBar::hidden()
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} TMDB [{bar:30}] {pos}/{len} movies, {per_sec}, eta {eta} {msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        EnrichProgressBar { bar }
    }
}

impl crate::services::enrich::Progress for EnrichProgressBar {
    fn start(&self, candidates: u64) {
        self.bar.set_length(candidates);
    }

    fn advance(&self, report: &crate::services::enrich::EnrichReport) {
        self.bar.set_position(report.done());
        self.bar.set_message(format!(
            "({} updated, {} not found, {} failed)",
            report.updated, report.not_found, report.failed
        ));
    }
}
