//! `cargo bench --bench scale`: the recommender on a MovieLens-25M-shaped
//! synthetic dataset (≈162k users, 62k movies, 25M ratings from cinerank's
//! seeded generator): generation, training time per source, peak memory,
//! snapshot size with encode/decode time, and uncached single-user latency
//! percentiles. `SCALE=0.1` runs a tenth.
//! One measured run (not criterion: a single training takes minutes).

use std::time::Instant;

use cinerank::recommender::eval::contexts;
use cinerank::recommender::{Model, RecRequest, Strategy, TrainConfig};

#[path = "support.rs"]
#[expect(dead_code, reason = "shared by both benchmarks; each uses part of it")]
mod support;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

fn main() {
    let scale: f64 = std::env::var("SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let users = (162_000.0 * scale) as u32;
    let movies = (62_000.0 * scale.sqrt()) as u32;
    let ratings = (25_000_000.0 * scale) as u64;

    let started = Instant::now();
    let data = support::synthetic(users, movies, ratings);
    println!(
        "generated {} ratings, {users} users, {movies} movies in {:.1} s",
        data.ratings.len(),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let model = match Model::train(&data, &TrainConfig::default()) {
        Ok(model) => model,
        Err(err) => panic!("training failed: {err}"),
    };
    let stats = model.stats();
    println!("trained in {:.1} s:", started.elapsed().as_secs_f64());
    for timing in &stats.timings {
        println!("  {:<10} {:>8.1} s", timing.source, timing.seconds);
    }
    println!(
        "  {} users, {} movies, {} interactions, {} EASE items, {} neighbour pairs",
        stats.users, stats.movies, stats.interactions, stats.ease_items, stats.neighbour_pairs
    );
    if let Some(peak) = support::peak_rss_mib() {
        println!("peak RSS after training: {peak:.0} MiB");
    }

    // What the worker publishes and a serving instance loads instead of training.
    let started = Instant::now();
    let bytes = model.to_bytes();
    let encode = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let loaded = match Model::from_bytes(&bytes) {
        Ok(loaded) => loaded,
        Err(err) => panic!("snapshot does not load: {err}"),
    };
    let decode = started.elapsed().as_secs_f64();
    println!(
        "snapshot: {:.1} MiB, encode {:.0} ms, decode {:.0} ms",
        bytes.len() as f64 / (1024.0 * 1024.0),
        encode * 1e3,
        decode * 1e3
    );
    drop((bytes, loaded));

    let users = contexts(&data.ratings);
    let sample: Vec<_> = users
        .values()
        .step_by((users.len() / 1_000).max(1))
        .collect();
    for strategy in [
        Strategy::Hybrid,
        Strategy::Collaborative,
        Strategy::Genre,
        Strategy::Popular,
    ] {
        let request = RecRequest {
            strategy,
            limit: 10,
            genre: None,
        };
        let mut millis: Vec<f64> = sample
            .iter()
            .map(|ctx| {
                let t = Instant::now();
                std::hint::black_box(model.recommend(ctx, &request));
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        millis.sort_by(f64::total_cmp);
        println!(
            "uncached {strategy:?}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms over {} users",
            percentile(&millis, 0.5),
            percentile(&millis, 0.95),
            percentile(&millis, 0.99),
            millis.len()
        );
    }
}
