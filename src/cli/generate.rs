//! `cinerank generate`: a synthetic, MovieLens-shaped ratings.csv (and
//! movies.csv unless --catalog is given), the same bytes for the same
//! arguments.

use std::path::PathBuf;

use super::CliResult;

/// Arguments of `cinerank generate`.
#[derive(Debug, clap::Args)]
pub(super) struct GenerateArgs {
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

pub(super) fn generate(args: &GenerateArgs) -> CliResult {
    use std::fs::File;
    use std::io::BufWriter;

    use crate::synth::{
        GeneratorConfig, read_catalog, synthesise_movies, write_movies_csv, write_ratings_csv,
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
        Some(path) => read_catalog(path)?,
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
