//! `cinerank enrich tmdb`: fills missing posters, overviews, runtimes and
//! credits from TMDB, with a progress bar on a terminal.

use std::path::PathBuf;

use clap::Subcommand;

use super::CliResult;
use crate::config::Settings;
use crate::startup;

/// What `cinerank enrich` asks.
#[derive(Debug, Subcommand)]
pub(super) enum EnrichSource {
    /// Fetch posters, overviews, runtimes and credits (cast and directors)
    /// from TMDB for movies that have a TMDB id and lack any of them. Needs
    /// TMDB_API_KEY; resumable (each answer is written at once, and ids TMDB
    /// has nothing more for go into --state).
    Tmdb(EnrichTmdbArgs),
}

/// Arguments of `cinerank enrich tmdb`.
#[derive(Debug, clap::Args)]
pub(super) struct EnrichTmdbArgs {
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
    /// about ids listed in the state file). Runtimes and credits are only
    /// ever added where there are none.
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
pub(super) async fn enrich_tmdb(settings: &Settings, args: EnrichTmdbArgs) -> CliResult {
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
        "enrich tmdb: {} fetched, {} updated ({} given credits), {} not found, {} failed, {} skipped (answered before, see {}); {} requests in {seconds:.1}s ({:.1} req/s)",
        report.fetched,
        report.updated,
        report.credited,
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
