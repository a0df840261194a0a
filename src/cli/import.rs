//! `cinerank import movielens DIR`: the import with a progress bar on a
//! terminal (progress lines every few seconds otherwise) and a summary of
//! what changed and which anomalies were repaired.

use super::CliResult;
use crate::config::Settings;
use crate::services::catalog::GenreCatalog;
use crate::startup;

/// `cinerank import movielens DIR` with a progress bar on a terminal
/// (progress lines every few seconds otherwise, e.g. in CI logs).
pub(super) async fn import_movielens(
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
    for (quirk, tally) in outcome.quirks.iter() {
        let examples: Vec<String> = tally.examples.iter().map(ToString::to_string).collect();
        eprintln!(
            "repaired {} × {} (e.g. {})",
            tally.count,
            quirk.name(),
            examples.join("; ")
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
