//! Hand-checkable fixtures for every source: three taste groups over eight movies, so the right
//! answers can be worked out on paper.

use super::*;

const ACTION: GenreId = 1;
const COMEDY: GenreId = 2;
const DRAMA: GenreId = 3;

/// Movies 1–3 are action, 4–6 comedy, 7–8 drama. Users 100–109 love 1–3, 200–209 love 4–6,
/// 300–309 love 7–8 (all 5 stars, so movies within a group tie and order by id); every group
/// also gives movie 9 (genre-less) a middling 3.
pub(super) fn fixture() -> TrainingData {
    let mut movies: Vec<MovieMeta> = (1..=3)
        .map(|id| MovieMeta {
            id,
            genres: vec![ACTION],
        })
        .collect();
    movies.extend((4..=6).map(|id| MovieMeta {
        id,
        genres: vec![COMEDY],
    }));
    movies.extend((7..=8).map(|id| MovieMeta {
        id,
        genres: vec![DRAMA],
    }));
    movies.push(MovieMeta {
        id: 9,
        genres: vec![],
    });
    let mut ratings = Vec::new();
    for (base, items) in [
        (100, &[1, 2, 3][..]),
        (200, &[4, 5, 6][..]),
        (300, &[7, 8][..]),
    ] {
        for u in base..base + 10 {
            for &m in items {
                ratings.push((u, m, 5.0));
            }
            ratings.push((u, 9, 3.0));
        }
    }
    TrainingData {
        ratings,
        movies,
        purchases: Vec::new(),
        content: Vec::new(),
    }
}

fn model() -> Model {
    Model::train(&fixture(), &TrainConfig::default()).unwrap()
}

/// The `n` chart leaders of a model trained on nothing but these ratings.
fn top_popular(ratings: Vec<(UserId, MovieId, f32)>, n: usize) -> Vec<MovieId> {
    let data = TrainingData {
        ratings,
        ..Default::default()
    };
    let m = Model::train(&data, &TrainConfig::default()).unwrap();
    m.popular(n, None).iter().map(|p| p.0).collect()
}

fn ids(recs: &[Recommendation]) -> Vec<MovieId> {
    recs.iter().map(|r| r.movie_id).collect()
}

fn req(strategy: Strategy, limit: usize) -> RecRequest {
    RecRequest {
        strategy,
        limit,
        genre: None,
    }
}

fn rated(ratings: &[(MovieId, f32)]) -> UserContext {
    UserContext {
        ratings: ratings.to_vec(),
        ..Default::default()
    }
}

#[test]
fn collaborative_recommends_the_rest_of_the_taste_group() {
    let m = model();
    for strategy in [Strategy::Collaborative, Strategy::Hybrid] {
        let top = ids(&m.recommend(&rated(&[(1, 5.0)]), &req(strategy, 2)));
        assert_eq!(top, vec![2, 3], "{strategy:?}");
        let top = ids(&m.recommend(&rated(&[(5, 5.0)]), &req(strategy, 2)));
        assert_eq!(top, vec![4, 6], "{strategy:?}");
    }
}

#[test]
fn reasons_point_at_the_rated_movie_that_produced_the_score() {
    let m = model();
    let recs = m.recommend(
        &rated(&[(1, 5.0), (7, 5.0)]),
        &req(Strategy::Collaborative, 3),
    );
    for r in &recs {
        let expected = if r.movie_id == 8 { 7 } else { 1 };
        assert_eq!(
            r.reasons.first(),
            Some(&Reason::SimilarTo { movie_id: expected }),
            "{r:?}"
        );
    }
    assert!(ids(&recs).contains(&8));
}

#[test]
fn a_new_rating_in_the_context_changes_results_without_retraining() {
    let m = model();
    let before = ids(&m.recommend(&rated(&[(9, 3.0), (1, 5.0)]), &req(Strategy::Hybrid, 3)));
    let after = ids(&m.recommend(
        &rated(&[(9, 3.0), (1, 5.0), (4, 5.0), (5, 5.0)]),
        &req(Strategy::Hybrid, 3),
    ));
    assert_ne!(before, after);
    assert_eq!(
        after[0], 6,
        "the comedy fan's remaining comedy comes first: {after:?}"
    );
}

#[test]
fn excluded_movies_never_come_back_from_any_strategy() {
    let m = model();
    let ctx = UserContext {
        ratings: vec![(1, 5.0)],
        dismissed: vec![2],
        purchased: vec![4],
        excluded: vec![5, 9],
        preferred_genres: vec![ACTION, COMEDY],
    };
    for strategy in [
        Strategy::Hybrid,
        Strategy::Collaborative,
        Strategy::Genre,
        Strategy::Popular,
    ] {
        for genre in [None, Some(ACTION), Some(COMEDY)] {
            let recs = m.recommend(
                &ctx,
                &RecRequest {
                    strategy,
                    limit: 100,
                    genre,
                },
            );
            for r in &recs {
                assert!(
                    ![1, 2, 4, 5, 9].contains(&r.movie_id),
                    "{strategy:?} {genre:?} returned {}",
                    r.movie_id
                );
            }
            if genre.is_none() {
                assert_eq!(
                    recs.len(),
                    4,
                    "{strategy:?} should fill the list with what is left"
                );
            }
        }
    }
}

#[test]
fn a_new_user_gets_their_preferred_genres_first() {
    let m = model();
    let ctx = UserContext {
        preferred_genres: vec![DRAMA],
        ..Default::default()
    };
    for strategy in [Strategy::Hybrid, Strategy::Genre] {
        let recs = m.recommend(&ctx, &req(strategy, 3));
        assert_eq!(ids(&recs)[..2], [7, 8], "{strategy:?}");
        assert_eq!(recs[0].reasons[0], Reason::Genre { genre_id: DRAMA });
    }
}

#[test]
fn the_genre_source_follows_ratings_centred_on_the_users_mean() {
    let m = model();
    // Likes the action movie, dislikes the comedy: the profile must prefer action.
    let recs = m.recommend(&rated(&[(1, 5.0), (4, 1.0)]), &req(Strategy::Genre, 2));
    assert_eq!(ids(&recs), vec![2, 3]);
}

#[test]
fn collaborative_without_ratings_falls_back_to_popular() {
    let m = model();
    let recs = m.recommend(&UserContext::default(), &req(Strategy::Collaborative, 5));
    assert_eq!(recs.len(), 5);
    assert!(recs.iter().all(|r| r.reasons == vec![Reason::Popular]));
    assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn popularity_is_damped() {
    // Movie 1: 300 votes averaging 4.5; movie 3 pulls the global mean down to a realistic ~3.5.
    let mut ratings = Vec::new();
    for u in 0..300 {
        ratings.push((u, 1, if u % 2 == 0 { 5.0 } else { 4.0 }));
        ratings.push((u, 3, if u % 2 == 0 { 3.0 } else { 2.0 }));
    }
    ratings.push((1000, 2, 5.0));
    ratings.push((1001, 2, 5.0));
    assert_eq!(top_popular(ratings, 2), vec![1, 2]);
}

#[test]
fn ties_are_broken_by_movie_id_and_results_are_deterministic() {
    // Movies 20 and 10 have identical ratings: the smaller id ranks first, whatever the input order.
    let ratings = vec![(1, 20, 4.0), (2, 20, 5.0), (1, 10, 4.0), (2, 10, 5.0)];
    assert_eq!(top_popular(ratings, 2), vec![10, 20]);
    let m = model();
    let ctx = rated(&[(9, 3.0)]);
    let a = m.recommend(&ctx, &req(Strategy::Hybrid, 8));
    let b = Model::train(&fixture(), &TrainConfig::default())
        .unwrap()
        .recommend(&ctx, &req(Strategy::Hybrid, 8));
    assert_eq!(a, b);
}

#[test]
fn predictions_are_clipped_and_fall_back_to_baselines() {
    let m = model();
    let fan = rated(&[(1, 5.0), (2, 5.0)]);
    let p = m.predict(&fan, 3);
    assert!(
        p > 4.0 && p <= 5.0,
        "an action fan should love movie 3: {p}"
    );
    // The fixture's ratings span 3–5, so predictions are clipped to that range.
    let hater = rated(&[(1, 3.0), (2, 3.0), (4, 3.0)]);
    assert!(m.predict(&hater, 5) >= 3.0);
    // Unknown movie and unknown user: baselines, finite and in range.
    for (ctx, movie) in [
        (fan.clone(), 12345),
        (UserContext::default(), 3),
        (UserContext::default(), 12345),
    ] {
        let p = m.predict(&ctx, movie);
        assert!((3.0..=5.0).contains(&p), "{p}");
    }
    assert!(m.predict(&UserContext::default(), 9) < m.predict(&UserContext::default(), 1));
}

#[test]
fn similar_movies_come_from_the_same_taste_group() {
    let m = model();
    let sim: Vec<MovieId> = m.similar(4, 2).iter().map(|s| s.0).collect();
    assert_eq!(sim, vec![5, 6]);
    assert!(m.similar(12345, 3).is_empty());
}

#[test]
fn purchases_count_as_strong_positive_feedback() {
    let mut data = fixture();
    // A purchase-only user links movie 9 with movie 7.
    for u in 400..420 {
        data.purchases.push((u, 9));
        data.purchases.push((u, 7));
    }
    let m = Model::train(&data, &TrainConfig::default()).unwrap();
    let ctx = UserContext {
        purchased: vec![9],
        ..Default::default()
    };
    let recs = m.recommend(&ctx, &req(Strategy::Collaborative, 1));
    assert_eq!(ids(&recs), vec![7]);
    assert_eq!(recs[0].reasons, vec![Reason::SimilarTo { movie_id: 9 }]);
}

#[test]
fn stats_report_sizes_and_timings() {
    let m = model();
    let s = m.stats();
    assert_eq!((s.users, s.movies, s.ease_items), (30, 9, 9));
    assert!(s.timings.iter().any(|t| t.source == "ease"));
}

#[test]
fn the_pair_budget_trims_only_heavy_users() {
    let data = fixture();
    let catalog = Catalog::build(&data);
    let inter = Interactions::build(&data, &catalog, &TrainConfig::default().implicit);
    let heaviest = (0..inter.n_users)
        .map(|u| inter.row(u).len())
        .max()
        .unwrap();
    let full: u64 = (0..inter.n_users)
        .map(|u| (inter.row(u).len() as u64).pow(2))
        .sum();
    assert_eq!(
        inter.cap_within(2000, full),
        2000,
        "within budget: untouched"
    );
    let cap = inter.cap_within(2000, full - 1);
    assert!(
        cap < heaviest,
        "over budget: the heaviest users are trimmed ({cap})"
    );
    let trimmed: u64 = (0..inter.n_users)
        .map(|u| (inter.row(u).len().min(cap) as u64).pow(2))
        .sum();
    assert!(trimmed < full);
    assert_eq!(inter.cap_within(2000, 0), 1, "never below one item");
}

/// The fixture trained with `change` applied to the default settings.
fn model_with(change: impl FnOnce(&mut TrainConfig)) -> Model {
    let mut config = TrainConfig::default();
    change(&mut config);
    Model::train(&fixture(), &config).unwrap()
}

#[test]
fn the_pruned_neighbourhood_solve_ranks_like_the_dense_one() {
    // Nine items are "too many" for a dense cap of 0, so every column is solved on its own.
    let sparse = model_with(|c| {
        c.ease.dense_max_items = 0;
        c.ease.sparse_budget = u64::MAX;
    });
    let dense = model();
    for ctx in [rated(&[(1, 5.0)]), rated(&[(5, 5.0), (9, 3.0)])] {
        let r = req(Strategy::Collaborative, 3);
        assert_eq!(
            ids(&sparse.recommend(&ctx, &r)),
            ids(&dense.recommend(&ctx, &r))
        );
    }
    let recs = sparse.recommend(&rated(&[(7, 5.0)]), &req(Strategy::Collaborative, 1));
    assert_eq!(ids(&recs), vec![8]);
    assert_eq!(
        recs[0].reasons.first(),
        Some(&Reason::SimilarTo { movie_id: 7 }),
        "explanations read the sparse weights too"
    );
}

#[test]
fn dropout_regularisation_keeps_the_taste_groups() {
    let m = model_with(|c| c.ease.dropout = 0.3);
    let top = ids(&m.recommend(&rated(&[(1, 5.0)]), &req(Strategy::Collaborative, 2)));
    assert_eq!(top, vec![2, 3]);
}

#[test]
fn the_rating_rerank_keeps_lists_ordered_and_exclusions_out() {
    let m = model_with(|c| c.hybrid.rating_weight = 0.5);
    let ctx = UserContext {
        ratings: vec![(1, 5.0), (4, 2.0)],
        excluded: vec![2],
        ..Default::default()
    };
    let recs = m.recommend(&ctx, &req(Strategy::Hybrid, 6));
    assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(!ids(&recs).iter().any(|id| [1, 2, 4].contains(id)));
    assert_eq!(
        recs[0].movie_id, 3,
        "the action fan's remaining action movie leads"
    );
}

#[test]
fn the_quality_term_ranks_a_crowd_favourite_below_an_equally_watched_movie() {
    // Movie 1 is watched by everyone; half the audience also rates movie 2 five stars, the other
    // half movie 3 three stars. Watched as often, 2 has the higher damped mean, so it leads
    // unless the re-rank counts the crowd's mean against it.
    let mut ratings = Vec::new();
    for u in 1..=40 {
        ratings.push((u, 1, 4.0));
        ratings.push(if u <= 20 { (u, 2, 5.0) } else { (u, 3, 3.0) });
    }
    let data = TrainingData {
        ratings,
        ..Default::default()
    };
    let top_with = |quality_weight: f32| {
        let mut cfg = TrainConfig::default();
        cfg.hybrid.rating_weight = 0.0;
        cfg.hybrid.quality_weight = quality_weight;
        let m = Model::train(&data, &cfg).unwrap();
        let recs = m.recommend(&rated(&[(1, 4.0)]), &req(Strategy::Hybrid, 2));
        assert!(recs.windows(2).all(|w| w[0].score >= w[1].score));
        assert!(recs.iter().all(|r| r.score.is_finite()));
        ids(&recs)
    };
    assert_eq!(
        top_with(0.0),
        vec![2, 3],
        "the five-star movie leads on its own"
    );
    assert_eq!(
        top_with(-5.0),
        vec![3, 2],
        "the crowd's favourite counts against it"
    );
}

#[test]
fn above_the_dense_cap_ease_covers_the_most_rated_movies_and_knn_the_rest() {
    // Movies 1–3 and 4–6 have 10 ratings each, 7–8 too, 9 has 30: a cap of 4 keeps 9 and the
    // first three of the rest by id.
    let m = model_with(|c| c.ease.dense_max_items = 4);
    assert_eq!(m.stats().ease_items, 4);
    let top = ids(&m.recommend(&rated(&[(7, 5.0)]), &req(Strategy::Collaborative, 1)));
    assert_eq!(top, vec![8], "item-kNN serves a user outside the EASE head");
}

/// The fixture plus movie 50, which nobody has rated yet: it has no genre, but shares its
/// series with movie 1 and its director with movies 1–3 (the action group), as a sequel an
/// admin just added would.
fn fixture_with_a_new_sequel() -> TrainingData {
    let mut data = fixture();
    data.movies.push(MovieMeta {
        id: 50,
        genres: vec![],
    });
    let profile = |id: MovieId, series: &str, director: &str| content::ContentMovie {
        id,
        series: series.to_owned(),
        year: Some(1999),
        genres: Vec::new(),
        directors: vec![director.to_owned()],
        cast: Vec::new(),
        overview: String::new(),
    };
    data.content = (1..=9)
        .map(|id| match id {
            1 => profile(id, "blast", "Ann Action"),
            2 | 3 => profile(id, "", "Ann Action"),
            _ => profile(id, "", &format!("Director {id}")),
        })
        .chain([profile(50, "blast", "Ann Action")])
        .collect();
    data
}

fn with_content_weight(weight: f32) -> Model {
    let mut config = TrainConfig::default();
    config.hybrid.content_weight = weight;
    Model::train(&fixture_with_a_new_sequel(), &config).unwrap()
}

#[test]
fn a_new_movie_like_the_users_favourites_enters_the_hybrid_list_through_the_content_term() {
    let fan = rated(&[(1, 5.0), (2, 5.0), (3, 4.5)]);
    let on = with_content_weight(TrainConfig::default().hybrid.content_weight);
    let recs = on.recommend(&fan, &req(Strategy::Hybrid, 3));
    let sequel = recs.iter().find(|r| r.movie_id == 50);
    let sequel = sequel.unwrap_or_else(|| panic!("the new sequel is listed: {recs:?}"));
    // The content reason names the liked film it shares the most with (series and director)
    // first, then the next one.
    let similar: Vec<&Reason> = (sequel.reasons.iter())
        .filter(|r| matches!(r, Reason::SimilarTo { .. }))
        .collect();
    assert_eq!(
        similar.first(),
        Some(&&Reason::SimilarTo { movie_id: 1 }),
        "{sequel:?}"
    );
    let off = with_content_weight(0.0);
    let recs = off.recommend(&fan, &req(Strategy::Hybrid, 3));
    assert!(!ids(&recs).contains(&50), "{recs:?}");
    // Only the hybrid blends it in; a user who liked none of its kin is not offered it first.
    let comedy_fan = rated(&[(4, 5.0), (5, 5.0), (6, 5.0)]);
    assert!(!ids(&on.recommend(&comedy_fan, &req(Strategy::Hybrid, 3))).contains(&50));
    assert!(!ids(&on.recommend(&fan, &req(Strategy::Collaborative, 3))).contains(&50));
}

#[test]
fn much_rated_movies_keep_their_scores_with_the_content_term() {
    // Every fixture movie has at least `content_max_ratings` (10) ratings: the content term
    // changes none of their scores, only adds the new sequel.
    let fan = rated(&[(1, 5.0), (7, 4.0)]);
    let on = with_content_weight(1.0).recommend(&fan, &req(Strategy::Hybrid, 20));
    let off = with_content_weight(0.0).recommend(&fan, &req(Strategy::Hybrid, 20));
    let without_sequel: Vec<&Recommendation> = on.iter().filter(|r| r.movie_id != 50).collect();
    assert_eq!(
        without_sequel.len(),
        off.iter().filter(|r| r.movie_id != 50).count()
    );
    for (a, b) in without_sequel
        .iter()
        .zip(off.iter().filter(|r| r.movie_id != 50))
    {
        assert_eq!(a.movie_id, b.movie_id);
        assert_eq!(a.score.to_bits(), b.score.to_bits(), "{a:?} vs {b:?}");
    }
    let sequel = |recs: &[Recommendation]| recs.iter().find(|r| r.movie_id == 50).map(|r| r.score);
    assert!(sequel(&on) > sequel(&off), "{on:?}\n{off:?}");
}

#[test]
fn the_content_term_compares_fewer_liked_movies_within_its_budget() {
    // A budget of one likeness per candidate compares only the best-liked movie (1, 5 stars,
    // first by id among equals); the sequel is still found through it.
    let mut config = TrainConfig::default();
    config.hybrid.content_pair_budget = 1;
    let model = Model::train(&fixture_with_a_new_sequel(), &config).unwrap();
    let recs = model.recommend(&rated(&[(3, 4.0), (1, 5.0)]), &req(Strategy::Hybrid, 10));
    let sequel = recs.iter().find(|r| r.movie_id == 50).expect("listed");
    assert!(
        sequel
            .reasons
            .iter()
            .all(|r| !matches!(r, Reason::SimilarTo { movie_id: 3 })),
        "only compared movies are named: {sequel:?}"
    );
}

/// A seeded random catalogue large enough that training cuts it into several blocks of users,
/// movies and neighbour rows: 400 users rating 8–60 of 300 movies, tastes tied to genres.
fn random_fixture() -> TrainingData {
    let mut rng = util::Rng::new(7);
    let movies: Vec<MovieMeta> = (1..=300)
        .map(|id| MovieMeta {
            id,
            genres: vec![(id % 5) as GenreId + 1],
        })
        .collect();
    let mut ratings = Vec::new();
    for user in 1..=400 {
        let liked_genre = user % 5;
        for _ in 0..8 + rng.next_u64() % 53 {
            let movie = 1 + (rng.next_u64() % 300) as MovieId;
            let base = if movie % 5 == liked_genre { 4.0 } else { 2.5 };
            let half_stars = (rng.next_u64() % 3) as f32 * 0.5;
            ratings.push((user, movie, base + half_stars));
        }
    }
    TrainingData {
        ratings,
        movies,
        purchases: Vec::new(),
        content: Vec::new(),
    }
}

/// The user's context from the training data's ratings.
fn context_of(data: &TrainingData, user: UserId) -> UserContext {
    UserContext {
        ratings: data
            .ratings
            .iter()
            .filter(|r| r.0 == user)
            .map(|r| (r.1, r.2))
            .collect(),
        ..UserContext::default()
    }
}

#[test]
fn training_gives_the_same_model_on_any_number_of_threads() {
    let data = random_fixture();
    let config = TrainConfig::default();
    let one = Model::train_on(&data, &config, 1).unwrap();
    let many = Model::train_on(&data, &config, 5).unwrap();
    for user in [1, 57, 200, 399] {
        let ctx = context_of(&data, user);
        for strategy in [Strategy::Hybrid, Strategy::Collaborative] {
            // Exactly equal, scores and predicted ratings included: no float summed in another order.
            assert_eq!(
                one.recommend(&ctx, &req(strategy, 20)),
                many.recommend(&ctx, &req(strategy, 20))
            );
        }
        for movie in [1, 150, 300] {
            assert_eq!(
                one.predict(&ctx, movie).to_bits(),
                many.predict(&ctx, movie).to_bits()
            );
        }
    }
    for movie in [1, 99, 250] {
        assert_eq!(one.similar(movie, 30), many.similar(movie, 30));
        assert!(!one.similar(movie, 30).is_empty());
    }
}

#[test]
fn the_bayesian_mf_learns_each_users_taste_from_the_ratings_alone() {
    // Every fifth rating held out; with the neighbourhood off the prediction is the MF
    // samples' average. The taste (genre `user % 5` is rated 4–5, the rest 2.5–3.5) is
    // invisible in the genre-free movie list, so only the factors can carry it.
    let mut data = random_fixture();
    data.movies.iter_mut().for_each(|m| m.genres.clear());
    let (held_out, train): (Vec<_>, Vec<_>) = data
        .ratings
        .iter()
        .enumerate()
        .partition(|(n, _)| n % 5 == 0);
    let held_out: Vec<(UserId, MovieId, f32)> = held_out.into_iter().map(|(_, &r)| r).collect();
    data.ratings = train.into_iter().map(|(_, &r)| r).collect();
    let config = TrainConfig {
        predict: PredictConfig {
            knn_blend: 0.0,
            // The fixture's half-star noise has variance 1/6; ml-100k's default (1.5) would
            // read it as far noisier and shrink every user to the mean.
            noise_precision: 6.0,
            ..TrainConfig::default().predict
        },
        ..TrainConfig::default()
    };
    let model = Model::train_on(&data, &config, 2).unwrap();
    let mean = data.ratings.iter().map(|r| f64::from(r.2)).sum::<f64>() / data.ratings.len() as f64;
    let (mut model_se, mut mean_se) = (0f64, 0f64);
    for &(user, movie, rating) in &held_out {
        let ctx = context_of(&data, user);
        model_se += f64::from(model.predict(&ctx, movie) - rating).powi(2);
        mean_se += (mean - f64::from(rating)).powi(2);
    }
    let n = held_out.len() as f64;
    let (model_rmse, mean_rmse) = ((model_se / n).sqrt(), (mean_se / n).sqrt());
    // The half-star noise alone is 0.41 stars; the global mean misses the taste too (≈ 0.8).
    assert!(
        model_rmse < 0.55 && model_rmse < 0.7 * mean_rmse,
        "MF {model_rmse:.3} vs global mean {mean_rmse:.3}"
    );
}
