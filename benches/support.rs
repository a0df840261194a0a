//! Data for the recommender benchmarks: MovieLens 100k when it is on disk
//! (an unzipped `ml-100k` folder named by `CINERANK_ML100K`), otherwise a
//! synthetic dataset of the same shape; and synthetic data at any size.

use std::path::PathBuf;

use cinerank::recommender::{MovieMeta, TrainingData};
use cinerank::synth::{GeneratorConfig, generate, synthesise_movies};

/// The genre ids the synthetic movies use (1-based, vocabulary order).
fn genre_ids(names: &[String]) -> Vec<u32> {
    names
        .iter()
        .filter_map(|name| cinerank::synth::GENRES.iter().position(|g| g == name))
        .map(|i| i as u32 + 1)
        .collect()
}

/// A seeded synthetic dataset held in memory.
pub fn synthetic(users: u32, movies: u32, ratings: u64) -> TrainingData {
    let config = GeneratorConfig {
        users,
        movies,
        ratings,
        seed: 42,
    };
    let catalogue = synthesise_movies(&config);
    let mut data = TrainingData {
        ratings: Vec::with_capacity(ratings as usize),
        movies: catalogue
            .iter()
            .map(|m| MovieMeta {
                id: m.id,
                genres: genre_ids(&m.genres),
            })
            .collect(),
        purchases: Vec::new(),
        content: Vec::new(),
    };
    let generated = generate(&config, &catalogue, |r| {
        data.ratings.push((
            i64::from(r.user_id),
            r.movie_id,
            f32::from(r.half_stars) / 2.0,
        ));
        Ok(())
    });
    if let Err(err) = generated {
        panic!("generator failed: {err}");
    }
    data
}

/// MovieLens 100k if present, else its synthetic twin; and which it is.
pub fn ml100k() -> (TrainingData, &'static str) {
    let dir = std::env::var_os("CINERANK_ML100K")
        .map(PathBuf::from)
        .unwrap_or_default();
    let ratings = cinerank::dataset::read_ratings_file(&dir.join("u.data")).map(|(records, _)| {
        records
            .into_iter()
            .map(|r| (i64::from(r.user), i64::from(r.movie), r.half_stars.stars()))
            .collect::<Vec<_>>()
    });
    let movies = cinerank::dataset::read_movies_file(&dir.join("u.item")).map(|records| {
        records
            .into_iter()
            .map(|m| MovieMeta {
                id: i64::from(m.source_id),
                genres: genre_ids(&m.genres.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>()),
            })
            .collect::<Vec<_>>()
    });
    match (ratings, movies) {
        (Ok(ratings), Ok(movies)) => (
            TrainingData {
                ratings,
                movies,
                purchases: Vec::new(),
                content: Vec::new(),
            },
            "ml-100k",
        ),
        _ => (synthetic(943, 1_682, 100_000), "synthetic ml-100k shape"),
    }
}

/// Peak resident memory of this process in MiB (Linux), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
