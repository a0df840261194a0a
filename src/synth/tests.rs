use super::catalog::*;
use super::math::*;
use super::random::*;
use super::world::*;
use super::*;
use crate::dataset::series_of;
use std::collections::{HashMap, HashSet};

fn cfg(users: u32, movies: u32, ratings: u64, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        users,
        movies,
        ratings,
        seed,
    }
}

fn collect(
    c: &GeneratorConfig,
    movies: &[CatalogMovie],
) -> (Vec<GeneratedRating>, GenerationStats) {
    let mut out = Vec::new();
    let stats = generate(c, movies, |r| {
        out.push(*r);
        Ok(())
    })
    .unwrap();
    (out, stats)
}

/// The synthesised catalogue's latent world and the ratings it generates,
/// for tests that check the ratings against the world behind them.
fn world_and_ratings(c: &GeneratorConfig) -> (World, Vec<GeneratedRating>, GenerationStats) {
    let movies = synthesise_movies(c);
    let world = build_world(c, &movies).unwrap();
    let (ratings, stats) = collect(c, &movies);
    (world, ratings, stats)
}

fn csv_bytes(c: &GeneratorConfig) -> Vec<u8> {
    let movies = synthesise_movies(c);
    let mut buf = Vec::new();
    write_ratings_csv(&mut buf, c, &movies).unwrap();
    buf
}

/// Spearman rank correlation.
fn spearman(xs: &[f64], ys: &[f64]) -> f64 {
    fn ranks(v: &[f64]) -> Vec<f64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        for (rank, &i) in idx.iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    }
    let (rx, ry) = (ranks(xs), ranks(ys));
    let n = xs.len() as f64;
    let mx = rx.iter().sum::<f64>() / n;
    let my = ry.iter().sum::<f64>() / n;
    let mut sxy = 0.0;
    let mut sxx = 0.0;
    let mut syy = 0.0;
    for i in 0..xs.len() {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx).powi(2);
        syy += (ry[i] - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

fn top_share(mut counts: Vec<u64>, fraction: f64) -> f64 {
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = counts.iter().sum();
    let k = ((counts.len() as f64) * fraction).ceil() as usize;
    counts[..k].iter().sum::<u64>() as f64 / total as f64
}

#[test]
fn portable_math_matches_std() {
    let mut r = Rng::new(1, 2, 3);
    for _ in 0..10_000 {
        let x = r.f64_open() * 1e3;
        assert!((det_ln(x) - x.ln()).abs() <= 1e-13 * x.ln().abs().max(1.0));
        let y = (r.f64() - 0.5) * 60.0;
        assert!((det_exp(y) - y.exp()).abs() <= 1e-14 * y.exp());
        let t = r.f64() * 3.0 - 1.0;
        let c = (std::f64::consts::TAU * t).cos();
        assert!((det_cos_turns(t) - c).abs() <= 1e-14, "{t}");
    }
    assert_eq!(det_ln(1.0), 0.0);
    assert_eq!(det_exp(0.0), 1.0);
    assert_eq!(det_cos_turns(0.0), 1.0);
    assert!(det_ln(5e-324).is_finite());
}

/// FNV-1a, to pin the exact output bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[test]
fn output_is_pinned() {
    // If this fails, the generator's output changed: existing seeds no
    // longer reproduce published data. Only update deliberately.
    let c = cfg(100, 300, 5_000, 42);
    let mut movies = Vec::new();
    write_movies_csv(&mut movies, &synthesise_movies(&c)).unwrap();
    let ratings = csv_bytes(&c);
    assert_eq!(
        (fnv1a(&movies), fnv1a(&ratings)),
        (4_673_438_459_017_936_602, 5_986_281_852_191_222_215)
    );
}

#[test]
fn rng_is_stable() {
    // Pinned values: the output must never change for a seed.
    let mut r = Rng::new(42, 0, 0);
    let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
    let mut r2 = Rng::new(42, 0, 0);
    let again: Vec<u64> = (0..3).map(|_| r2.next_u64()).collect();
    assert_eq!(first, again);
    let mut sm = 0u64;
    assert_eq!(splitmix64(&mut sm), 0xe220_a839_7b1d_cdaf);
}

#[test]
fn deterministic_per_seed() {
    let a = csv_bytes(&cfg(200, 500, 20_000, 7));
    let b = csv_bytes(&cfg(200, 500, 20_000, 7));
    let c = csv_bytes(&cfg(200, 500, 20_000, 8));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let text = String::from_utf8(a).unwrap();
    assert!(text.starts_with("userId,movieId,rating,timestamp\n"));
    assert_eq!(text.lines().count(), 20_001);
}

#[test]
fn values_scales_and_uniqueness() {
    let c = cfg(300, 800, 30_000, 3);
    let (world, ratings, stats) = world_and_ratings(&c);
    let mut pairs = HashSet::new();
    let mut last_ts: HashMap<u32, i64> = HashMap::new();
    for r in &ratings {
        assert!((1..=10).contains(&r.half_stars));
        let u = &world.users[(r.user_id - 1) as usize];
        if u.whole_stars {
            assert_eq!(r.half_stars % 2, 0, "whole-star user gave a half star");
        }
        assert!(pairs.insert((r.user_id, r.movie_id)), "duplicate pair");
        assert!((EPOCH_START..=EPOCH_END + 100_000).contains(&r.timestamp));
        if let Some(&prev) = last_ts.get(&r.user_id) {
            assert!(r.timestamp > prev);
        }
        last_ts.insert(r.user_id, r.timestamp);
    }
    assert_eq!(stats.ratings, ratings.len() as u64);
    assert!(stats.min_user_ratings >= u64::from(MIN_RATINGS_PER_USER));
    assert_eq!(stats.histogram.iter().sum::<u64>(), stats.ratings);
}

#[test]
fn total_matches_target() {
    for (u, m, r) in [(100, 300, 5_000), (1_000, 3_000, 100_000), (50, 40, 1_500)] {
        let c = cfg(u, m, r, 11);
        let (ratings, stats) = collect(&c, &synthesise_movies(&c));
        let diff = (ratings.len() as f64 - r as f64).abs() / r as f64;
        assert!(diff <= 0.01, "{} vs {}", ratings.len(), r);
        assert!(stats.max_user_ratings <= u64::from(m));
    }
}

#[test]
fn long_tails() {
    let c = cfg(2_000, 3_000, 150_000, 5);
    let (ratings, _) = collect(&c, &synthesise_movies(&c));
    let mut per_user: HashMap<u32, u64> = HashMap::new();
    let mut per_movie: HashMap<i64, u64> = HashMap::new();
    for r in &ratings {
        *per_user.entry(r.user_id).or_default() += 1;
        *per_movie.entry(r.movie_id).or_default() += 1;
    }
    let mut movie_counts: Vec<u64> = per_movie.values().copied().collect();
    movie_counts.resize(3_000, 0);
    let users = top_share(per_user.values().copied().collect(), 0.1);
    let movies = top_share(movie_counts, 0.1);
    assert!(users > 0.30, "top users share {users}");
    assert!(movies > 0.40, "top movies share {movies}");
}

#[test]
fn histogram_looks_like_movielens() {
    let c = cfg(1_000, 3_000, 100_000, 9);
    let (_, stats) = collect(&c, &synthesise_movies(&c));
    let h = stats.histogram;
    let mode = (0..10).max_by_key(|&i| h[i]).unwrap();
    assert_eq!(mode, 7, "mode should be 4.0 stars: {h:?}");
    let low: u64 = h[..3].iter().sum();
    assert!((low as f64) < 0.10 * stats.ratings as f64, "{h:?}");
    let mean = stats.mean_stars();
    assert!((3.3..3.8).contains(&mean), "mean {mean}");
}

#[test]
fn quality_drives_mean_rating() {
    let c = cfg(2_000, 400, 100_000, 13);
    let (world, ratings, _) = world_and_ratings(&c);
    let mut sums: HashMap<i64, (f64, f64)> = HashMap::new();
    for r in &ratings {
        let e = sums.entry(r.movie_id).or_default();
        e.0 += f64::from(r.half_stars) / 2.0;
        e.1 += 1.0;
    }
    let (mut q, mut mean) = (Vec::new(), Vec::new());
    for m in &world.movies {
        if let Some(&(s, n)) = sums.get(&m.id)
            && n >= 20.0
        {
            q.push(f64::from(m.quality));
            mean.push(s / n);
        }
    }
    assert!(q.len() > 100);
    let rho = spearman(&q, &mean);
    assert!(rho > 0.5, "spearman {rho}");
}

#[test]
fn favourite_genres_are_watched_more() {
    let c = cfg(500, 2_000, 50_000, 17);
    let (world, ratings, _) = world_and_ratings(&c);
    let mask_of: HashMap<i64, u32> = world.movies.iter().map(|m| (m.id, m.genre_mask)).collect();
    let (mut observed, mut expected) = (0.0, 0.0);
    for r in &ratings {
        let u = &world.users[(r.user_id - 1) as usize];
        if mask_of[&r.movie_id] & u.fav_mask != 0 {
            observed += 1.0;
        }
        let share = world
            .movies
            .iter()
            .filter(|m| m.genre_mask & u.fav_mask != 0)
            .count() as f64
            / world.movies.len() as f64;
        expected += share;
    }
    assert!(
        observed > 1.3 * expected,
        "observed {observed} expected {expected}"
    );
}

#[test]
fn invalid_configs_are_errors() {
    let movies = synthesise_movies(&cfg(1, 10, 0, 1));
    let err = |c: GeneratorConfig, m: &[CatalogMovie]| generate(&c, m, |_| Ok(())).is_err();
    assert!(err(cfg(0, 10, 100, 1), &movies));
    assert!(err(cfg(10, 10, 10, 1), &movies));
    assert!(err(cfg(10, 10, 101, 1), &movies));
    assert!(err(cfg(10, 10, 100, 1), &[]));
    assert!(!err(cfg(10, 10, 100, 1), &movies));
}

#[test]
fn emit_errors_propagate() {
    let c = cfg(10, 50, 100, 1);
    let movies = synthesise_movies(&c);
    let r = generate(&c, &movies, |_| Err(io::Error::other("disk full")));
    assert!(matches!(r, Err(SynthError::Io(_))));
}

fn read_catalog_bytes(bytes: &[u8]) -> Result<Vec<CatalogMovie>, crate::dataset::DatasetError> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cinerank-synth-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("movies.csv"), bytes).unwrap();
    let movies = read_catalog(&dir.join("movies.csv"));
    std::fs::remove_dir_all(&dir).ok();
    movies
}

fn read_catalog_str(text: &str) -> Result<Vec<CatalogMovie>, crate::dataset::DatasetError> {
    read_catalog_bytes(text.as_bytes())
}

#[test]
fn catalogue_round_trip() {
    let csv = "movieId,title,genres,overview,poster_url\n\
               1,\"Good, the Bad (1966)\",Western|Drama,\"Line one\nline \"\"two\"\"\",http://x\n\
               2,No Year,(no genres listed),,\n\
               3,Heat (1995),Action|Crime|Thriller,x,y\n";
    let movies = read_catalog_str(csv).unwrap();
    assert_eq!(movies.len(), 3);
    assert_eq!(movies[0].title, "Good, the Bad (1966)");
    assert_eq!(movies[0].year, Some(1966));
    assert_eq!(movies[0].genres, vec!["Drama", "Western"]);
    assert_eq!(movies[1].year, None);
    assert!(movies[1].genres.is_empty());
    assert_eq!(movies[2].id, 3);
    let mut out = Vec::new();
    write_movies_csv(&mut out, &movies).unwrap();
    let again = read_catalog_bytes(&out).unwrap();
    assert_eq!(again, movies);
    assert!(read_catalog_str("a,b\n1,2\n").is_err());
    assert!(read_catalog_str("movieId,title,genres\nx,y,z\n").is_err());
    assert!(movies.iter().all(|m| m.popularity.is_none()));
}

#[test]
fn catalogue_popularity_column() {
    let csv = "movieId,title,genres,overview,poster_url,popularity\n\
               1,Heat (1995),Action|Crime,x,y,0.75\n\
               2,Up (2009),Animation,\"a, b\",z,\n\
               3,Jaws (1975),Thriller,,,1e-3\n";
    let movies = read_catalog_str(csv).unwrap();
    let pops: Vec<Option<f64>> = movies.iter().map(|m| m.popularity).collect();
    assert_eq!(pops, vec![Some(0.75), None, Some(0.001)]);
    let mut out = Vec::new();
    write_movies_csv(&mut out, &movies).unwrap();
    assert!(out.starts_with(b"movieId,title,genres,popularity\n1,Heat (1995),"));
    assert_eq!(read_catalog_bytes(&out).unwrap(), movies);
    for bad in ["abc", "NaN", "inf"] {
        let csv = format!("movieId,title,genres,popularity\n1,A (2000),Drama,{bad}\n");
        assert!(read_catalog_str(&csv).is_err(), "{bad}");
    }
}

#[test]
fn inverse_normal_cdf_is_accurate() {
    for (p, z) in [
        (0.5, 0.0),
        (0.975, 1.959_963_984_540_054),
        (0.001, -3.090_232_306_167_813),
        (0.2, -0.841_621_233_572_914),
        (1e-10, -6.361_340_902_404_056),
    ] {
        let got = inv_norm_cdf(p);
        assert!(
            (got - z).abs() <= 1e-8 * z.abs().max(1.0),
            "{p}: {got} vs {z}"
        );
        assert!((inv_norm_cdf(1.0 - p) + z).abs() <= 1e-7 * z.abs().max(1.0));
    }
    assert!(inv_norm_cdf(0.0).is_finite() && inv_norm_cdf(1.0).is_finite());
}

/// Synthetic catalogue with a `popularity` column in random order.
fn with_popularity(c: &GeneratorConfig) -> Vec<CatalogMovie> {
    let mut r = Rng::new(c.seed, 99, 0);
    let mut movies = synthesise_movies(c);
    for m in &mut movies {
        m.popularity = Some(r.f64_open());
    }
    movies
}

/// (ratings, sum of stars) of the top and bottom popularity deciles.
fn decile_totals(movies: &[CatalogMovie], ratings: &[GeneratedRating]) -> [(f64, f64); 2] {
    let mut per_movie: HashMap<i64, (f64, f64)> = HashMap::new();
    for r in ratings {
        let e = per_movie.entry(r.movie_id).or_default();
        e.0 += 1.0;
        e.1 += f64::from(r.half_stars) / 2.0;
    }
    let mut by_pop: Vec<&CatalogMovie> = movies.iter().collect();
    by_pop.sort_by(|a, b| b.popularity.unwrap().total_cmp(&a.popularity.unwrap()));
    let decile = by_pop.len() / 10;
    let sum = |ms: &[&CatalogMovie]| {
        ms.iter().fold((0.0, 0.0), |acc, m| {
            let e = per_movie.get(&m.id).copied().unwrap_or_default();
            (acc.0 + e.0, acc.1 + e.1)
        })
    };
    [
        sum(&by_pop[..decile]),
        sum(&by_pop[by_pop.len() - decile..]),
    ]
}

#[test]
fn popularity_column_drives_exposure() {
    let c = cfg(1_000, 2_000, 60_000, 23);
    let movies = with_popularity(&c);
    let (ratings, _) = collect(&c, &movies);
    let [(top_n, top_stars), (bottom_n, bottom_stars)] = decile_totals(&movies, &ratings);
    assert!(top_n > 5.0 * bottom_n, "top {top_n} vs bottom {bottom_n}");
    // Famous films are better rated on average.
    let (top_mean, bottom_mean) = (top_stars / top_n, bottom_stars / bottom_n);
    assert!(top_mean > bottom_mean + 0.1, "{top_mean} vs {bottom_mean}");
    // Without the column, popularity is random: no such gap.
    let plain: Vec<CatalogMovie> = movies
        .iter()
        .map(|m| CatalogMovie {
            popularity: None,
            ..m.clone()
        })
        .collect();
    let (ratings, _) = collect(&c, &plain);
    let [(top_n, _), (bottom_n, _)] = decile_totals(&movies, &ratings);
    assert!(top_n < 1.5 * bottom_n, "top {top_n} vs bottom {bottom_n}");
}

#[test]
fn recent_and_old_films_get_their_share() {
    let c = cfg(1_000, 3_000, 100_000, 29);
    let movies = with_popularity(&c);
    let year: HashMap<i64, i32> = movies.iter().map(|m| (m.id, m.year.unwrap())).collect();
    let (ratings, _) = collect(&c, &movies);
    let share = |pred: &dyn Fn(i32) -> bool| {
        let cat =
            movies.iter().filter(|m| pred(m.year.unwrap())).count() as f64 / movies.len() as f64;
        let rat = ratings.iter().filter(|r| pred(year[&r.movie_id])).count() as f64
            / ratings.len() as f64;
        rat / cat
    };
    let recent = share(&|y| y >= 2020);
    let old = share(&|y| y < 1990);
    assert!(recent > 0.6, "2020s get {recent} of their catalogue share");
    assert!(
        old > 0.7,
        "pre-1990 films get {old} of their catalogue share"
    );
    let rated: HashSet<i64> = ratings.iter().map(|r| r.movie_id).collect();
    assert!(
        rated.len() * 100 >= movies.len() * 99,
        "{} rated",
        rated.len()
    );
}

#[test]
fn ratings_respect_release_years() {
    let c = cfg(300, 1_000, 20_000, 21);
    let movies = synthesise_movies(&c);
    let year: HashMap<i64, i32> = movies.iter().map(|m| (m.id, m.year.unwrap())).collect();
    let (ratings, _) = collect(&c, &movies);
    for r in &ratings {
        assert!(r.timestamp >= year_start(year[&r.movie_id]));
    }
}

#[test]
fn rating_line_format() {
    let mut out = Vec::new();
    let r = GeneratedRating {
        user_id: 1,
        movie_id: 31,
        half_stars: 5,
        timestamp: 1_260_759_144,
    };
    write_rating_line(&mut out, &r).unwrap();
    write_rating_line(&mut out, &GeneratedRating { half_stars: 8, ..r }).unwrap();
    assert_eq!(out, b"1,31,2.5,1260759144\n1,31,4.0,1260759144\n");
    assert_eq!(year_start(2000), EPOCH_START);
}

#[test]
fn franchise_keys_drop_articles_subtitles_and_sequel_numbers() {
    assert_eq!(series_of("Scream"), "scream");
    assert_eq!(series_of("Scream 2"), "scream");
    assert_eq!(series_of("The Godfather Part II"), "godfather");
    assert_eq!(series_of("Spider-Man: Far From Home"), "spider-man");
    assert_eq!(series_of("Toy Story 3"), "toy story");
    assert_eq!(series_of("1917"), "1917");
    assert_eq!(series_of("The"), "the");
}

#[test]
fn linked_movies_are_rated_together_and_unlinked_worlds_do_not_change() {
    let c = cfg(300, 200, 6_000, 7);
    let plain = synthesise_movies(&c);
    // Pairs of movies 2k-1 and 2k share a franchise key.
    let linked: Vec<CatalogMovie> = plain
        .iter()
        .map(|m| CatalogMovie {
            features: vec![format!("franchise:series {}", (m.id + 1) / 2)],
            ..m.clone()
        })
        .collect();
    let together = |ratings: &[GeneratedRating]| {
        let mut by_user: HashMap<u32, HashSet<i64>> = HashMap::new();
        for r in ratings {
            by_user.entry(r.user_id).or_default().insert(r.movie_id);
        }
        by_user
            .values()
            .map(|seen| {
                seen.iter()
                    .filter(|&&id| id % 2 == 1 && seen.contains(&(id + 1)))
                    .count()
            })
            .sum::<usize>()
    };
    let (plain_ratings, _) = collect(&c, &plain);
    let (linked_ratings, stats) = collect(&c, &linked);
    assert_eq!(stats.ratings, 6_000);
    let (apart, paired) = (together(&plain_ratings), together(&linked_ratings));
    assert!(
        paired > 2 * apart,
        "pairs rated together: {paired} linked vs {apart} unlinked"
    );
    // Keys nobody else has link nothing: the same ratings as without keys.
    let lonely: Vec<CatalogMovie> = plain
        .iter()
        .map(|m| CatalogMovie {
            features: vec![format!("franchise:only {}", m.id)],
            ..m.clone()
        })
        .collect();
    assert_eq!(collect(&c, &lonely).0, plain_ratings);
}
