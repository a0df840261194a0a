//! Request-time ranking: applies the one central exclusion set, runs the requested strategy as a
//! fallback chain (a source that runs dry hands over to the next: collaborative → genre →
//! popular), blends sources for `Hybrid` by how much is known about the user, and attaches
//! reasons taken from the terms that produced each score.

use std::collections::HashMap;

use super::content_term::Shared;
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

    // The content term stands in for the collaborative score where rating evidence is thin, so
    // it grows with what is known about the user like the collaborative share does.
    // Only the hybrid has a content term: other strategies skip even finding the liked movies.
    let mut liked = match req.strategy {
        Strategy::Hybrid => liked_movies(model, user),
        _ => Vec::new(),
    };
    let content = content_scores(model, &mut liked, &allowed);
    let content_mix = known / (known + hc.half_knowledge.max(1e-6)) * hc.content_weight.max(0.0);
    let content_part = |i: usize| content.as_ref().map_or(0.0, |c| content_mix * c[i]);

    let mut stages: Vec<(Stage, Scores)> = Vec::new();
    match req.strategy {
        Strategy::Hybrid => {
            let mut blend: Scores = (0..cat.len())
                .map(|i| {
                    let c = collab.as_ref().map_or(0.0, |c| finite_or_zero(c.scores[i]));
                    let g = genre.as_ref().map_or(0.0, |s| finite_or_zero(s[i]));
                    mix.collab * c
                        + mix.genre * g
                        + mix.popular * model.popular.quality(i as u32)
                        + content_part(i)
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
                    content_part(ix),
                ],
                Stage::Collaborative => [1.0, 0.0, 0.0, 0.0],
                Stage::Genre => [0.0, 1.0, 0.0, 0.0],
                Stage::Popular => [0.0, 0.0, 1.0, 0.0],
            };
            let alike = if parts[3] > 0.0 {
                content_because(model, &liked, i)
            } else {
                Vec::new()
            };
            Recommendation {
                movie_id: cat.ids[ix],
                score,
                predicted_rating: Some(model.predictor.predict(&user.factors, Some(i))),
                reasons: reasons(model, &profile, i, parts, &contributions[rank], &alike),
            }
        })
        .collect()
}

/// Re-ranks the best `rerank_depth` allowed candidates by the user's predicted rating against
/// everybody's: each gains `collab share × (rating_weight × predicted + quality_weight × damped
/// mean)`, both mapped to [0, 1]. With a negative `quality_weight` the term rewards what this user
/// will like more than the audience does, not what everyone likes (the crowd's favourites the user
/// has not watched yet are weak evidence: they had every chance). Only the head is re-ranked, so
/// serving pays for a few predictions, not one per movie; the head's boosts are shifted to be
/// non-negative, so it stays above the rest.
fn rerank_by_rating(
    model: &Model,
    user: &FoldedUser,
    allowed: &[bool],
    collab_share: f32,
    blend: &mut [f32],
) {
    let hc = &model.config.hybrid;
    if collab_share <= 0.0 || hc.rerank_depth == 0 {
        return;
    }
    if hc.rating_weight == 0.0 && hc.quality_weight == 0.0 {
        return;
    }
    let cands: Vec<(u32, f32)> = blend
        .iter()
        .enumerate()
        .filter(|&(i, s)| allowed[i] && s.is_finite())
        .map(|(i, &s)| (i as u32, s))
        .collect();
    let (lo, hi) = model.predictor.scale();
    let boosts: Vec<(u32, f32)> = top_k(cands, hc.rerank_depth)
        .into_iter()
        .map(|(i, _)| {
            let r = model.predictor.predict(&user.factors, Some(i));
            let predicted = ((r - lo) / (hi - lo).max(1e-6)).clamp(0.0, 1.0);
            let boost = hc.rating_weight * predicted + hc.quality_weight * model.popular.quality(i);
            (i, collab_share * boost)
        })
        .collect();
    let shift = boosts.iter().fold(0f32, |m, b| m.min(b.1));
    for (i, boost) in boosts {
        blend[i as usize] += boost - shift;
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
    parts: [f32; 4],
    similar: &[(u32, f32)],
    alike: &[(u32, Shared)],
) -> Vec<Reason> {
    let top = parts.iter().copied().fold(0f32, f32::max);
    let mut order = [0usize, 1, 2, 3];
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
            2 => out.push(Reason::Popular),
            _ => {
                for &(j, shared) in alike.iter().take(2) {
                    out.push(Reason::SimilarTo {
                        movie_id: model.catalog.ids[j as usize],
                    });
                    // A likeness resting on genres alone says so: the liked movie is the
                    // same kind of film, not the same people or series.
                    if let Shared::Genre(genre_id) = shared {
                        out.push(Reason::Genre { genre_id });
                    }
                }
            }
        }
    }
    // Two terms may name the same liked movie or genre.
    let mut seen = Vec::with_capacity(out.len());
    out.retain(|r| {
        let new = !seen.contains(r);
        if new {
            seen.push(r.clone());
        }
        new
    });
    if out.is_empty() {
        out.push(Reason::Popular);
    }
    out
}

/// Liked movies the content term compares against: the user's interactions weighing at least a
/// 4-star rating (purchases included), weight relative to the heaviest, heaviest first.
fn liked_movies(model: &Model, user: &FoldedUser) -> Vec<(u32, f32)> {
    if model.content.is_empty() || model.config.hybrid.content_weight <= 0.0 {
        return Vec::new();
    }
    let floor = model.config.implicit.weight(4.0);
    let mut liked: Vec<(u32, f32)> = user
        .implicit
        .iter()
        .copied()
        .filter(|&(_, w)| w >= floor && w > 0.0)
        .collect();
    let heaviest = liked.iter().fold(0f32, |m, e| m.max(e.1));
    liked.iter_mut().for_each(|e| e.1 /= heaviest);
    liked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    liked
}

/// The evidence ramp of a movie with `count` interactions: 1 with none, 0 from
/// `content_max_ratings` on.
fn evidence_ramp(model: &Model, count: u32) -> f32 {
    let k = model.config.hybrid.content_max_ratings;
    if k <= 0.0 {
        return 0.0;
    }
    (1.0 - count as f32 / k).max(0.0)
}

/// Likenesses averaged over this many of the best-matching liked movies: one shared genre with
/// one liked film is weak evidence, the same director across three of them strong.
const CONTENT_MATCHES: usize = 3;

/// Per-item content scores (0 where none): for each allowed movie with little rating evidence,
/// the mean of its [`CONTENT_MATCHES`] best weighted likenesses to the liked movies, times its
/// evidence ramp. `None` when the term has nothing to say. `liked` is cut to the movies that
/// were compared, so that reasons name only those.
fn content_scores(model: &Model, liked: &mut Vec<(u32, f32)>, allowed: &[bool]) -> Option<Scores> {
    if liked.is_empty() {
        return None;
    }
    let count = &model.popular.count;
    let candidates: Vec<(u32, f32)> = (0..model.catalog.len() as u32)
        .filter(|&j| allowed[j as usize])
        .map(|j| (j, evidence_ramp(model, count[j as usize])))
        .filter(|&(_, ramp)| ramp > 0.0)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    // Bounded work per request: with many little-rated movies, compare the best-liked only.
    let per_candidate = (model.config.hybrid.content_pair_budget / candidates.len()).max(1);
    liked.truncate(per_candidate);
    let mut out = vec![0f32; model.catalog.len()];
    let mut any = false;
    let mut best = [0f32; CONTENT_MATCHES];
    for (j, ramp) in candidates {
        best.fill(0.0);
        for &(i, w) in liked.iter() {
            let s = w * model.content.likeness(&model.catalog, i, j).0;
            // Keep the best few, largest first (insertion into a tiny array).
            if s > best[CONTENT_MATCHES - 1] {
                let mut k = CONTENT_MATCHES - 1;
                while k > 0 && best[k - 1] < s {
                    best[k] = best[k - 1];
                    k -= 1;
                }
                best[k] = s;
            }
        }
        let score = ramp * best.iter().sum::<f32>() / CONTENT_MATCHES as f32;
        if score > 0.0 {
            out[j as usize] = score;
            any = true;
        }
    }
    any.then_some(out)
}

/// The liked movies most like `j`, best first, with what each shares with it.
fn content_because(model: &Model, liked: &[(u32, f32)], j: u32) -> Vec<(u32, Shared)> {
    let mut found: Vec<(u32, f32, Shared)> = liked
        .iter()
        .filter_map(|&(i, w)| {
            let (s, shared) = model.content.likeness(&model.catalog, i, j);
            shared.map(|shared| (i, w * s, shared))
        })
        .collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    found.into_iter().take(2).map(|(i, _, s)| (i, s)).collect()
}
