//! `cargo bench --bench recommender`: training time and single-user latency
//! (uncached and cached) on MovieLens 100k.

use std::hint::black_box;
use std::sync::Arc;

use cinerank::cache::GuardedCache;
use cinerank::recommender::eval::contexts;
use cinerank::recommender::{Model, RecRequest, Strategy, TrainConfig, UserContext};
use criterion::{Criterion, criterion_group, criterion_main};

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

criterion_group!(benches, benchmarks);
criterion_main!(benches);
