//! `cargo bench --bench recommender`: training time and single-user latency
//! (uncached and cached) on MovieLens 100k, and model snapshot encode/decode
//! time and size (`cargo bench --bench recommender -- snapshot`).

use std::hint::black_box;
use std::sync::Arc;

use cinerank::cache::GuardedCache;
use cinerank::recommender::eval::contexts;
use cinerank::recommender::{Model, RecRequest, Strategy, TrainConfig, UserContext};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "support.rs"]
#[expect(dead_code, reason = "shared by both benchmarks; each uses part of it")]
mod support;

fn benchmarks(c: &mut Criterion) {
    let (data, name) = support::ml100k();
    let config = TrainConfig::default();
    let mut group = c.benchmark_group(format!("recommender/{name}"));
    group.sample_size(10);
    group.bench_function("train all sources", |b| {
        b.iter(|| Model::train(black_box(&data), &config).map(|m| m.stats().movies))
    });
    group.finish();

    let model = match Model::train(&data, &config) {
        Ok(model) => model,
        Err(err) => panic!("training failed: {err}"),
    };
    let users: Vec<UserContext> = contexts(&data.ratings).into_values().collect();
    let request = RecRequest {
        strategy: Strategy::Hybrid,
        limit: 10,
        genre: None,
    };
    let mut group = c.benchmark_group(format!("recommend/{name}"));
    for strategy in [
        Strategy::Hybrid,
        Strategy::Collaborative,
        Strategy::Genre,
        Strategy::Popular,
    ] {
        let request = RecRequest {
            strategy,
            ..request.clone()
        };
        let mut next = 0;
        group.bench_function(format!("uncached {strategy:?} (fold-in + rank)"), |b| {
            b.iter(|| {
                next = (next + 1) % users.len();
                black_box(model.recommend(&users[next], &request).len())
            })
        });
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(err) => panic!("runtime: {err}"),
    };
    let cache: GuardedCache<(i32, u8), Vec<u32>> = GuardedCache::new(100_000, None);
    runtime.block_on(async {
        for user in 0..users.len() as i32 {
            cache
                .insert_if_unchanged((user, 0), Arc::new(vec![1; 10]), cache.epoch())
                .await;
        }
    });
    let mut next = 0;
    group.bench_function("cached list lookup", |b| {
        b.iter(|| {
            next = (next + 1) % users.len() as i32;
            runtime
                .block_on(cache.get(&(next, 0)))
                .map(|list| list.len())
        })
    });
    group.finish();
}

/// Encoding and decoding a model snapshot (what the worker publishes and serving instances
/// load), on the ml-100k shape and on the scale benchmark's `SCALE=0.1` shape (16k users,
/// 19.6k movies, 2.5M ratings); prints each snapshot's size.
fn snapshot_benchmarks(c: &mut Criterion) {
    let (small, name) = support::ml100k();
    let shapes = [
        (small, name.to_owned()),
        (
            support::synthetic(16_200, 19_606, 2_500_000),
            "synthetic 25M shape, SCALE=0.1".to_owned(),
        ),
    ];
    for (data, name) in shapes {
        let model = match Model::train(&data, &TrainConfig::default()) {
            Ok(model) => model,
            Err(err) => panic!("training failed: {err}"),
        };
        drop(data);
        let bytes = model.to_bytes();
        println!(
            "snapshot/{name}: {} movies, {} EASE items, {:.2} MiB",
            model.stats().movies,
            model.stats().ease_items,
            bytes.len() as f64 / (1024.0 * 1024.0)
        );
        let mut group = c.benchmark_group(format!("snapshot/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("encode", |b| b.iter(|| black_box(model.to_bytes()).len()));
        group.bench_function("decode", |b| {
            b.iter(|| Model::from_bytes(black_box(&bytes)).map(|m| m.stats().movies))
        });
        group.finish();
    }
}

criterion_group!(benches, benchmarks, snapshot_benchmarks);
criterion_main!(benches);
