//! Request-time ranking: applies the one central exclusion set, runs the requested strategy as a
//! fallback chain (a source that runs dry hands over to the next: collaborative → genre →
//! popular), blends sources for `Hybrid` by how much is known about the user, and attaches
//! reasons taken from the terms that produced each score.

use std::collections::HashMap;

use super::genre::Profile;
use super::util::top_k;
use super::{FoldedUser, Model, Reason, RecRequest, Recommendation, Strategy};

/// Which term of the score an item came from, for its reasons.
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Blend,
    Collaborative,
    Genre,
    Popular,
}

/// Dense per-item scores, NaN meaning "this source has no opinion".
type Scores = Vec<f32>;

/// The hybrid weights of one request.
struct Mix {
    collab: f32,
    genre: f32,
    popular: f32,
}

pub(crate) fn recommend(model: &Model, user: &FoldedUser, req: &RecRequest) -> Vec<Recommendation> {
    if req.limit == 0 {
        return Vec::new();
    }
    let cat = &model.catalog;
    let allowed: Vec<bool> = (0..cat.len() as u32)
        .map(|i| !user.blocked[i as usize] && req.genre.is_none_or(|g| cat.has_genre(i, g)))
        .collect();
    let profile = Profile::build(
        cat,
        &user.rated,
        &user.preferred_genres,
        &model.config.genre,
    );
    let collab = match req.strategy {
        Strategy::Hybrid | Strategy::Collaborative => collaborative(model, user, &allowed),
        _ => None,
    };
    let genre = match req.strategy {
        Strategy::Popular => None,
        _ => genre_scores(model, &profile, &allowed),
    };
    let hc = &model.config.hybrid;
    let known = user.implicit.len() as f32;
    let collab_share = if collab.is_some() {
        known / (known + hc.half_knowledge.max(1e-6))
    } else {
        0.0
    };
    // Genres the user asked for lead until ratings take over ("preferred
    // genres, then popularity" for a cold start); without them, the profile
    // learnt from ratings shares the rest with popularity.
    let genre_share = match &genre {
        Some(_) if !user.preferred_genres.is_empty() => hc.preferred_genre_share,
        Some(_) => hc.genre_share,
        None => 0.0,
    }
    .clamp(0.0, 1.0);
    let mix = Mix {
        collab: collab_share,
        genre: (1.0 - collab_share) * genre_share,
        popular: (1.0 - collab_share) * (1.0 - genre_share),
    };

    let mut stages: Vec<(Stage, Scores)> = Vec::new();
    match req.strategy {
        Strategy::Hybrid => {
            let mut blend: Scores = (0..cat.len())
                .map(|i| {
                    let c = collab.as_ref().map_or(0.0, |c| finite_or_zero(c.scores[i]));
                    let g = genre.as_ref().map_or(0.0, |s| finite_or_zero(s[i]));
                    mix.collab * c + mix.genre * g + mix.popular * model.popular.quality(i as u32)
                })
                .collect();
            rerank_by_rating(model, user, &allowed, mix.collab, &mut blend);
            stages.push((Stage::Blend, blend));
        }
        Strategy::Collaborative => {
            stages.extend(
                collab
                    .as_ref()
                    .map(|c| (Stage::Collaborative, c.scores.clone())),
            );
            stages.extend(genre.clone().map(|s| (Stage::Genre, s)));
        }
        Strategy::Genre => stages.extend(genre.clone().map(|s| (Stage::Genre, s))),
        Strategy::Popular => {}
    }

    let mut chosen: Vec<(u32, f32, Stage)> = Vec::with_capacity(req.limit);
    let mut taken = vec![false; cat.len()];
    for (stage, scores) in &stages {
        let need = req.limit - chosen.len();
        if need == 0 {
            break;
        }
        let cands: Vec<(u32, f32)> = scores
            .iter()
            .enumerate()
            .filter(|&(i, s)| allowed[i] && !taken[i] && s.is_finite())
            .map(|(i, &s)| (i as u32, s))
            .collect();
        push_stage(&mut chosen, &mut taken, top_k(cands, need), *stage);
    }
    let need = req.limit - chosen.len();
    if need > 0 {
        let pop = model.popular.top(cat, need, req.genre, |i| {
            !allowed[i as usize] || taken[i as usize]
        });
        push_stage(&mut chosen, &mut taken, pop, Stage::Popular);
    }

    let contributions = similar_to(model, user, collab.as_ref(), &chosen);
    chosen
        .iter()
        .enumerate()
        .map(|(rank, &(i, score, stage))| {
            let ix = i as usize;
            let parts = match stage {
                Stage::Blend => [
                    mix.collab
                        * collab
                            .as_ref()
                            .map_or(0.0, |c| finite_or_zero(c.scores[ix])),
                    mix.genre * genre.as_ref().map_or(0.0, |s| finite_or_zero(s[ix])),
                    mix.popular * model.popular.quality(i),
                ],
                Stage::Collaborative => [1.0, 0.0, 0.0],
                Stage::Genre => [0.0, 1.0, 0.0],
                Stage::Popular => [0.0, 0.0, 1.0],
            };
            Recommendation {
                movie_id: cat.ids[ix],
                score,
                predicted_rating: Some(model.predictor.predict(&user.factors, Some(i))),
                reasons: reasons(model, &profile, i, parts, &contributions[rank]),
            }
        })
        .collect()
}

/// Adds `rating_weight × collab share × predicted rating` (mapped to [0, 1]) to the best
/// `rerank_depth` allowed candidates. Only the head is re-ranked, so serving pays for a few
/// predictions, not one per movie; the boost is never negative, so the head stays above the rest.
fn rerank_by_rating(
    model: &Model,
    user: &FoldedUser,
    allowed: &[bool],
    collab_share: f32,
    blend: &mut [f32],
) {
    let hc = &model.config.hybrid;
    let weight = hc.rating_weight * collab_share;
    if weight <= 0.0 || hc.rerank_depth == 0 {
        return;
    }
    let cands: Vec<(u32, f32)> = blend
        .iter()
        .enumerate()
        .filter(|&(i, s)| allowed[i] && s.is_finite())
        .map(|(i, &s)| (i as u32, s))
        .collect();
    let (lo, hi) = model.predictor.scale();
    for (i, _) in top_k(cands, hc.rerank_depth) {
        let r = model.predictor.predict(&user.factors, Some(i));
        blend[i as usize] += weight * ((r - lo) / (hi - lo).max(1e-6)).clamp(0.0, 1.0);
    }
}

fn finite_or_zero(v: f32) -> f32 {
    if v.is_finite() { v } else { 0.0 }
}

/// Appends a stage's picks; a fallback stage's scores are capped at the last score so far so the
/// list stays non-increasing.
fn push_stage(
    chosen: &mut Vec<(u32, f32, Stage)>,
    taken: &mut [bool],
    picks: Vec<(u32, f32)>,
    stage: Stage,
) {
    let cap = chosen.last().map_or(f32::INFINITY, |c| c.1);
    for (i, s) in picks {
        taken[i as usize] = true;
        chosen.push((i, s.min(cap), stage));
    }
}

/// Divides the scores by their largest value over the allowed items, so sources on different
/// scales blend; leaves them alone when nothing allowed is positive. Returns the factor applied.
fn normalise(scores: &mut [f32], allowed: &[bool]) -> f32 {
    let max = scores
        .iter()
        .zip(allowed)
        .filter(|&(s, &a)| a && s.is_finite())
        .fold(0f32, |m, (&s, _)| m.max(s));
    if max > 0.0 {
        scores.iter_mut().for_each(|s| *s /= max);
        1.0 / max
    } else {
        1.0
    }
}

/// Collaborative scores plus the factors that turn raw EASE and kNN terms into them.
struct Collab {
    scores: Scores,
    ease_coef: f32,
    knn_coef: f32,
}

/// EASE (+ weighted item-kNN) scores, each normalised; `None` when the user has no interaction
/// either model covers.
fn collaborative(model: &Model, user: &FoldedUser, allowed: &[bool]) -> Option<Collab> {
    let n = model.catalog.len();
    let mut scores = vec![f32::NAN; n];
    let (mut ease_coef, mut knn_coef) = (0.0, 0.0);
    let mut any = false;
    if let Some(local) = model.ease.score_local(&user.implicit) {
        for (l, s) in local.into_iter().enumerate() {
            scores[model.ease.item(l) as usize] = s;
        }
        ease_coef = normalise(&mut scores, allowed);
        any = true;
    }
    let alpha = model.config.hybrid.knn_weight;
    if alpha > 0.0 || !any {
        let mut knn = vec![0f32; n];
        model.knn.score_into(&user.implicit, &mut knn);
        // Without EASE coverage item-kNN carries the score alone.
        let alpha = if any { alpha } else { 1.0 };
        knn_coef = alpha * normalise(&mut knn, allowed);
        for (o, k) in scores.iter_mut().zip(knn) {
            if k > 0.0 {
                *o = finite_or_zero(*o) + alpha * k;
                any = true;
            }
        }
    }
    any.then_some(Collab {
        scores,
        ease_coef,
        knn_coef,
    })
}

fn genre_scores(model: &Model, profile: &Profile, allowed: &[bool]) -> Option<Scores> {
    if profile.is_empty() {
        return None;
    }
    let mut out: Scores = (0..model.catalog.len() as u32)
        .map(|i| {
            profile
                .score(&model.catalog, &model.popular, i)
                .unwrap_or(f32::NAN)
        })
        .collect();
    normalise(&mut out, allowed);
    out.iter()
        .zip(allowed)
        .any(|(s, &a)| a && s.is_finite())
        .then_some(out)
}

/// For each chosen item, the user's items ranked by their contribution to its collaborative
/// score (EASE weight plus weighted kNN similarity), positive contributions only.
fn similar_to(
    model: &Model,
    user: &FoldedUser,
    collab: Option<&Collab>,
    chosen: &[(u32, f32, Stage)],
) -> Vec<Vec<(u32, f32)>> {
    let Some(collab) = collab else {
        return vec![Vec::new(); chosen.len()];
    };
    let pos: HashMap<u32, usize> = chosen.iter().enumerate().map(|(k, c)| (c.0, k)).collect();
    let mut contrib: Vec<HashMap<u32, f32>> = vec![HashMap::new(); chosen.len()];
    for &(i, w) in &user.implicit {
        for (k, c) in chosen.iter().enumerate() {
            let v = collab.ease_coef * model.ease.contribution(i, w, c.0);
            if v != 0.0 {
                *contrib[k].entry(i).or_insert(0.0) += v;
            }
        }
        if collab.knn_coef <= 0.0 {
            continue;
        }
        // kNN rows are short: scanning them beats probing every (rated, chosen) pair.
        let (idx, sim) = model.knn.neighbours.row(i);
        for (j, s) in idx.iter().zip(sim) {
            if let Some(&k) = pos.get(j) {
                *contrib[k].entry(i).or_insert(0.0) += collab.knn_coef * w * s;
            }
        }
    }
    contrib
        .into_iter()
        .map(|m| {
            let v: Vec<(u32, f32)> = m.into_iter().filter(|e| e.1 > 0.0).collect();
            top_k(v, 3)
        })
        .collect()
}

/// Reasons in order of the size of the score terms they explain; a term under a quarter of the
/// largest one is left out as noise.
fn reasons(
    model: &Model,
    profile: &Profile,
    i: u32,
    parts: [f32; 3],
    similar: &[(u32, f32)],
) -> Vec<Reason> {
    let top = parts.iter().copied().fold(0f32, f32::max);
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| parts[b].total_cmp(&parts[a]).then(a.cmp(&b)));
    let mut out = Vec::new();
    for k in order {
        if parts[k] <= 0.0 || parts[k] < 0.25 * top {
            continue;
        }
        match k {
            0 => out.extend(similar.iter().take(2).map(|&(j, _)| Reason::SimilarTo {
                movie_id: model.catalog.ids[j as usize],
            })),
            1 => out.extend(
                profile
                    .top_genres(&model.catalog, i, 2)
                    .into_iter()
                    .map(|genre_id| Reason::Genre { genre_id }),
            ),
            _ => out.push(Reason::Popular),
        }
    }
    if out.is_empty() {
        out.push(Reason::Popular);
    }
    out
}
