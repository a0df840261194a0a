//! `cinerank eval`: the offline evaluation of `docs/evaluation.md`. Either
//! `--ratings FILE --folds K [--seed S]` (seeded per-user folds, each fold
//! printed, then mean ± half-range per strategy) or `--train T --test T`.

use std::path::{Path, PathBuf};

use super::CliResult;
use crate::dataset::{genre_index, read_movies_file, read_ratings_file, series_of};
use crate::recommender::content::ContentMovie;
use crate::recommender::eval::{
    RankingReport, RatingReport, evaluate_ranking, evaluate_rating, fold, split_folds,
};
use crate::recommender::{Model, MovieMeta, Strategy, TrainConfig, TrainingData};

/// Arguments of `cinerank eval`.
#[derive(Debug, clap::Args)]
pub(super) struct EvalArgs {
    /// All ratings (u.data, ratings.dat or ratings.csv), split into --folds.
    #[arg(long, conflicts_with_all = ["train", "test"], required_unless_present = "train")]
    ratings: Option<PathBuf>,
    /// Number of folds made from --ratings.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(2..=20))]
    folds: u32,
    /// Seed of the fold split.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Training ratings of a split made elsewhere (same formats).
    #[arg(long, requires = "test")]
    train: Option<PathBuf>,
    /// Test ratings of that split.
    #[arg(long, requires = "train")]
    test: Option<PathBuf>,
    /// Movies (u.item, movies.dat or movies.csv), needed by the genre source.
    #[arg(long)]
    movies: Option<PathBuf>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
    /// Change one training setting for this run, `KEY=VALUE` (repeatable), e.g.
    /// `--set ease.lambda=300`: how the defaults were tuned, without recompiling.
    /// An unknown key prints the list of keys.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
}

/// Stores a parsed `--set` value into its field.
type Store = fn(&mut TrainConfig, f64);

/// A `SETTINGS` entry for a plain field: its path is the key, and the
/// parsed value is stored `as` the field's type.
macro_rules! setting {
    ($group:ident . $field:ident as $ty:ty) => {
        (
            concat!(stringify!($group), ".", stringify!($field)),
            |c: &mut TrainConfig, v: f64| c.$group.$field = v as $ty,
        )
    };
}

/// The settings `--set` can change: name, then how to store a parsed value.
const SETTINGS: &[(&str, Store)] = &[
    // The implicit weight of a 1-, 2-, 3-, 4- and 5-star rating (the defaults' points).
    ("implicit.w1", |c, v| set_point(c, 0, v)),
    ("implicit.w2", |c, v| set_point(c, 1, v)),
    ("implicit.w3", |c, v| set_point(c, 2, v)),
    ("implicit.w4", |c, v| set_point(c, 3, v)),
    ("implicit.w5", |c, v| set_point(c, 4, v)),
    setting!(popular.prior_votes as f32),
    setting!(knn.neighbours as usize),
    setting!(knn.shrink as f32),
    setting!(ease.lambda as f32),
    setting!(ease.dropout as f32),
    setting!(ease.user_norm as f32),
    setting!(ease.genre_weight as f32),
    setting!(ease.dense_max_items as usize),
    setting!(ease.sparse_budget as u64),
    setting!(ease.sparse_neighbours as usize),
    setting!(ease.popularity_debias as f32),
    setting!(predict.baseline_reg_item as f32),
    setting!(predict.baseline_reg_user as f32),
    setting!(predict.factors as usize),
    setting!(predict.sweeps as usize),
    setting!(predict.burn_in as usize),
    setting!(predict.min_sweeps as usize),
    setting!(predict.update_budget as u64),
    setting!(predict.max_samples as usize),
    setting!(predict.noise_precision as f32),
    setting!(predict.init_std as f32),
    setting!(predict.knn_k as usize),
    setting!(predict.knn_shrink as f32),
    setting!(predict.knn_stored as usize),
    setting!(predict.knn_blend as f32),
    setting!(predict.knn_support as f32),
    setting!(hybrid.knn_weight as f32),
    setting!(hybrid.half_knowledge as f32),
    setting!(hybrid.genre_share as f32),
    setting!(hybrid.rating_weight as f32),
    setting!(hybrid.quality_weight as f32),
    setting!(hybrid.rerank_depth as usize),
    setting!(hybrid.content_weight as f32),
    setting!(hybrid.content_max_ratings as f32),
    setting!(hybrid.content_pair_budget as usize),
];

/// Sets the weight of the `k`-th rating point (kept as is if there is none).
fn set_point(config: &mut TrainConfig, k: usize, weight: f64) {
    if let Some(point) = config.implicit.rating_points.get_mut(k) {
        point.1 = weight as f32;
    }
}

/// The default training settings with every `--set KEY=VALUE` applied.
fn train_config(set: &[String]) -> Result<TrainConfig, String> {
    let mut config = TrainConfig::default();
    let keys = || SETTINGS.iter().map(|s| s.0).collect::<Vec<_>>().join(", ");
    for kv in set {
        let Some((key, value)) = kv.split_once('=') else {
            return Err(format!("--set takes KEY=VALUE; the keys are {}", keys()));
        };
        let Some((_, store)) = SETTINGS.iter().find(|s| s.0 == key.trim()) else {
            return Err(format!("unknown setting {key:?}; the keys are {}", keys()));
        };
        let value: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("--set {key}: {value:?} is not a number"))?;
        store(&mut config, value);
    }
    Ok(config)
}

type Ratings = Vec<(i64, i64, f32)>;

fn load_ratings(path: &Path) -> Result<Ratings, crate::dataset::DatasetError> {
    let (records, _) = read_ratings_file(path)?;
    Ok(records
        .into_iter()
        .map(|r| (i64::from(r.user), i64::from(r.movie), r.half_stars.stars()))
        .collect())
}

/// The movies' genres, and their content as the service reads it (series from the title, year,
/// genres, overview where the file has one; MovieLens files name no people).
fn load_movies(path: &Path) -> Result<Movies, crate::dataset::DatasetError> {
    Ok(read_movies_file(path)?
        .into_iter()
        .map(|m| {
            // 1-based positions in the vocabulary, as the database numbers them.
            let genres: Vec<u32> = m
                .genres
                .iter()
                .filter_map(|g| genre_index(g))
                .map(|i| i as u32 + 1)
                .collect();
            let id = i64::from(m.source_id);
            let content = ContentMovie {
                id,
                series: series_of(&m.title),
                year: m.year,
                genres: genres.clone(),
                directors: Vec::new(),
                cast: Vec::new(),
                overview: m.overview.unwrap_or_default(),
            };
            (MovieMeta { id, genres }, content)
        })
        .unzip())
}

/// What `--movies` gives: the catalogue and its content.
type Movies = (Vec<MovieMeta>, Vec<ContentMovie>);

/// What one strategy scored on one fold.
enum Scores {
    /// Top-10 lists (`popular`, `genre`, `collaborative`, `hybrid`).
    Ranking(RankingReport),
    /// Rating prediction (`rating`).
    Rating(RatingReport),
}

/// One strategy's line for one fold.
struct Row {
    name: &'static str,
    scores: Scores,
    /// Training seconds of the sources the strategy uses.
    fit_s: f64,
}

/// Trains on `train` and scores every strategy on `test`.
fn evaluate_split(
    train: &Ratings,
    test: &Ratings,
    (movies, content): &Movies,
    config: &TrainConfig,
) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let data = TrainingData {
        ratings: train.clone(),
        movies: movies.to_vec(),
        purchases: Vec::new(),
        content: content.clone(),
    };
    let model = Model::train(&data, config)?;
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
    if !movies.is_empty() {
        strategies.push(("genre", Strategy::Genre, base));
    }
    strategies.push((
        "collaborative",
        Strategy::Collaborative,
        base + stats.seconds("item_knn") + stats.seconds("ease"),
    ));
    strategies.push(("hybrid", Strategy::Hybrid, stats.total_seconds));
    let mut rows: Vec<Row> = strategies
        .into_iter()
        .map(|(name, strategy, fit_s)| Row {
            name,
            scores: Scores::Ranking(evaluate_ranking(&model, train, test, strategy, 10)),
            fit_s,
        })
        .collect();
    rows.push(Row {
        name: "rating",
        scores: Scores::Rating(evaluate_rating(&model, train, test)),
        fit_s: stats.seconds("index") + stats.seconds("rating_mf") + stats.seconds("item_knn"),
    });
    Ok(rows)
}

fn print_row(fold: Option<usize>, row: &Row, json: bool) {
    let label = fold.map_or(String::new(), |f| format!("fold {f}  "));
    let (name, fit_s) = (row.name, row.fit_s);
    match (&row.scores, json) {
        (Scores::Ranking(r), true) => println!(
            "{}",
            serde_json::json!({
                "fold": fold, "strategy": name, "users": r.users, "precision10": r.precision,
                "recall10": r.recall, "ndcg10": r.ndcg, "hit10": r.hit,
                "coverage10": r.coverage, "fit_s": fit_s,
            })
        ),
        (Scores::Ranking(r), false) => println!(
            "{label}{name:<14} users {:>6}  P@10 {:.4}  R@10 {:.4}  NDCG@10 {:.4}  HR@10 {:.4}  cov@10 {:.4}  fit {fit_s:.3} s",
            r.users, r.precision, r.recall, r.ndcg, r.hit, r.coverage
        ),
        (Scores::Rating(r), true) => println!(
            "{}",
            serde_json::json!({"fold": fold, "strategy": name, "rmse": r.rmse, "mae": r.mae, "fit_s": fit_s})
        ),
        (Scores::Rating(r), false) => println!(
            "{label}{name:<14} RMSE {:.4}  MAE {:.4}  fit {fit_s:.3} s",
            r.rmse, r.mae
        ),
    }
}

/// Mean and half-range (half of max − min) of a metric over folds.
fn mean_spread(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    let min = values.iter().copied().fold(f64::MAX, f64::min);
    (mean, (max - min).max(0.0) / 2.0)
}

/// Mean ± half-range per strategy; `folds[i]` holds strategy `i`'s rows, one per fold.
fn print_summary(folds: &[Vec<Row>], json: bool) {
    for rows in folds {
        let Some(first) = rows.first() else { continue };
        let name = first.name;
        let metric = |f: &dyn Fn(&Row) -> Option<f64>| {
            mean_spread(&rows.iter().filter_map(f).collect::<Vec<_>>())
        };
        let fit = metric(&|row| Some(row.fit_s));
        let ranking = |pick: fn(&RankingReport) -> f64| {
            metric(&move |row: &Row| match &row.scores {
                Scores::Ranking(r) => Some(pick(r)),
                Scores::Rating(_) => None,
            })
        };
        let rating = |pick: fn(&RatingReport) -> f64| {
            metric(&move |row: &Row| match &row.scores {
                Scores::Rating(r) => Some(pick(r)),
                Scores::Ranking(_) => None,
            })
        };
        match (&first.scores, json) {
            (Scores::Ranking(_), true) => {
                let (ndcg, cov) = (ranking(|r| r.ndcg), ranking(|r| r.coverage));
                println!(
                    "{}",
                    serde_json::json!({
                        "fold": "mean", "strategy": name, "folds": rows.len(),
                        "ndcg10": ndcg.0, "ndcg10_spread": ndcg.1,
                        "precision10": ranking(|r| r.precision).0,
                        "recall10": ranking(|r| r.recall).0, "hit10": ranking(|r| r.hit).0,
                        "coverage10": cov.0, "coverage10_spread": cov.1, "fit_s": fit.0,
                    })
                );
            }
            (Scores::Ranking(_), false) => {
                let (ndcg, cov) = (ranking(|r| r.ndcg), ranking(|r| r.coverage));
                println!(
                    "mean    {name:<14} NDCG@10 {:.4} ± {:.4}  P@10 {:.4}  R@10 {:.4}  HR@10 {:.4}  cov@10 {:.4} ± {:.4}  fit {:.3} s",
                    ndcg.0,
                    ndcg.1,
                    ranking(|r| r.precision).0,
                    ranking(|r| r.recall).0,
                    ranking(|r| r.hit).0,
                    cov.0,
                    cov.1,
                    fit.0
                );
            }
            (Scores::Rating(_), true) => {
                let (rmse, mae) = (rating(|r| r.rmse), rating(|r| r.mae));
                println!(
                    "{}",
                    serde_json::json!({
                        "fold": "mean", "strategy": name, "folds": rows.len(), "rmse": rmse.0,
                        "rmse_spread": rmse.1, "mae": mae.0, "mae_spread": mae.1, "fit_s": fit.0,
                    })
                );
            }
            (Scores::Rating(_), false) => {
                let (rmse, mae) = (rating(|r| r.rmse), rating(|r| r.mae));
                println!(
                    "mean    {name:<14} RMSE {:.4} ± {:.4}  MAE {:.4} ± {:.4}  fit {:.3} s",
                    rmse.0, rmse.1, mae.0, mae.1, fit.0
                );
            }
        }
    }
}

pub(super) fn evaluate(args: &EvalArgs) -> CliResult {
    let config = train_config(&args.set)?;
    let movies = args
        .movies
        .as_deref()
        .map(load_movies)
        .transpose()?
        .unwrap_or_default();
    if let (Some(train), Some(test)) = (&args.train, &args.test) {
        let (train, test) = (load_ratings(train)?, load_ratings(test)?);
        for row in evaluate_split(&train, &test, &movies, &config)? {
            print_row(None, &row, args.json);
        }
        return Ok(());
    }
    let Some(path) = &args.ratings else {
        return Err("give --ratings FILE (with --folds), or --train and --test".into());
    };
    let ratings = load_ratings(path)?;
    let folds = args.folds as usize;
    let fold_of = split_folds(&ratings, folds, args.seed);
    // by_strategy[i]: strategy i's row of each fold (every fold yields the same strategies).
    let mut by_strategy: Vec<Vec<Row>> = Vec::new();
    for f in 0..folds {
        let (train, test) = fold(&ratings, &fold_of, f);
        for (i, row) in evaluate_split(&train, &test, &movies, &config)?
            .into_iter()
            .enumerate()
        {
            print_row(Some(f + 1), &row, args.json);
            if by_strategy.len() <= i {
                by_strategy.push(Vec::new());
            }
            by_strategy[i].push(row);
        }
    }
    print_summary(&by_strategy, args.json);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_changes_the_named_setting_and_rejects_unknown_ones() {
        let config = train_config(&["ease.lambda=300".into(), "implicit.w5=1.5".into()]).unwrap();
        assert_eq!(config.ease.lambda, 300.0);
        assert_eq!(config.implicit.rating_points[4].1, 1.5);
        let err = train_config(&["ease.lamda=300".into()]).unwrap_err();
        assert!(err.contains("ease.lambda"), "lists the keys: {err}");
        assert!(train_config(&["ease.lambda".into()]).is_err());
        assert!(train_config(&["ease.lambda=lots".into()]).is_err());
    }
}
