//! The latent world the ratings come from: movie quality, popularity and
//! taste vectors, user activity and tastes, and how a user rates a movie.

use super::math::*;
use super::random::*;
use super::*;

pub(super) type Latent = [f32; LATENT_DIM];

#[derive(Debug, Clone)]
pub(super) struct MovieModel {
    pub(super) id: i64,
    pub(super) genre_mask: u32,
    pub(super) quality: f32,
    pub(super) latent: Latent,
    /// Long-run exposure weight.
    pub(super) popularity: f64,
    /// Earliest allowed rating time (1 January of the release year, but not
    /// before 2000).
    pub(super) release: i64,
    /// 1 January of the release year (`None` if unknown): origin of the
    /// release curve.
    pub(super) origin: Option<i64>,
    /// Upper bound of [`release_curve`] over 2000–2023 for this movie; the
    /// alias tables use `popularity × exposure_cap` and exposures are then
    /// accepted with probability `release_curve / exposure_cap`.
    pub(super) exposure_cap: f64,
}

#[derive(Debug, Clone)]
pub(super) struct UserModel {
    pub(super) favourites: Vec<u8>,
    pub(super) fav_mask: u32,
    pub(super) bias: f32,
    pub(super) latent: Latent,
    pub(super) whole_stars: bool,
    /// Share of exposures drawn from favourite-genre tables.
    pub(super) fav_share: f32,
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) activity: f64,
    pub(super) count: u64,
}

#[derive(Debug)]
pub(super) struct World {
    pub(super) movies: Vec<MovieModel>,
    pub(super) users: Vec<UserModel>,
    pub(super) global: AliasTable,
    /// Per-genre alias tables over `genre_members[g]`.
    pub(super) genre_tables: Vec<Option<AliasTable>>,
    pub(super) genre_members: Vec<Vec<u32>>,
    pub(super) dot_scale: f64,
    /// Per movie: the shared features (index into `feature_members`) with
    /// the weight a follow-up gives each; empty without catalogue links.
    pub(super) movie_features: Vec<Vec<(u32, f64)>>,
    /// Members of each feature shared by two movies or more.
    pub(super) feature_members: Vec<Vec<u32>>,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn year_start(year: i32) -> i64 {
    days_from_civil(i64::from(year), 1, 1) * 86_400
}

/// Relative exposure of a movie `age` seconds after 1 January of its release
/// year: 0 before, ramping up over the release year, peaking within the first
/// year (at ≈7.8 with the constants above; the bound is `1 + NEW_RELEASE_BOOST`)
/// and settling to 1 after a few years.
pub(super) fn release_curve(age: i64) -> f64 {
    if age < 0 {
        return 0.0;
    }
    let years = age as f64 / YEAR_SECS;
    (1.0 - det_exp(-years / RELEASE_RAMP_YEARS))
        * (1.0 + NEW_RELEASE_BOOST * det_exp(-years / NEW_RELEASE_DECAY_YEARS))
}

impl MovieModel {
    /// Exposure multiplier at time `t` (0 before the movie can be rated).
    pub(super) fn exposure_at(&self, t: i64) -> f64 {
        if t < self.release {
            return 0.0;
        }
        match self.origin {
            Some(o) => release_curve(t - o),
            None => 1.0,
        }
    }
}

pub(super) fn genre_index(name: &str) -> Option<usize> {
    crate::dataset::genre_index(name)
}

pub(super) fn random_latent(rng: &mut Rng, base: &Latent, base_weight: f64) -> Latent {
    let noise_weight = (1.0 - base_weight * base_weight).max(0.0).sqrt();
    let mut v = [0f32; LATENT_DIM];
    for (k, slot) in v.iter_mut().enumerate() {
        *slot = (base_weight * f64::from(base[k]) + noise_weight * rng.normal()) as f32;
    }
    v
}

/// Mean of the genre embeddings of a mask, rescaled to unit variance per component.
pub(super) fn genre_base(mask: u32, embeddings: &[Latent]) -> Latent {
    let mut v = [0f32; LATENT_DIM];
    let n = mask.count_ones();
    if n == 0 {
        return v;
    }
    for (g, e) in embeddings.iter().enumerate() {
        if mask & (1 << g) != 0 {
            for k in 0..LATENT_DIM {
                v[k] += e[k];
            }
        }
    }
    let s = 1.0 / (n as f32).sqrt();
    for x in &mut v {
        *x *= s;
    }
    v
}

/// FNV-1a, to seed a feature's taste vector from its name.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How much a feature like `director:wes craven` weighs (see [`FEATURE_WEIGHTS`]).
fn feature_weight(feature: &str) -> f64 {
    let kind = feature.split(':').next().unwrap_or("");
    FEATURE_WEIGHTS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(0.0, |(_, w)| *w)
}

/// The features two movies or more share.
struct SharedFeatures {
    /// Per movie: its shared features (indices) with their weights.
    per_movie: Vec<Vec<(u32, f64)>>,
    /// Per feature: its movies.
    members: Vec<Vec<u32>>,
    /// Per feature: its `kind:value` name.
    names: Vec<String>,
}

/// The shared features of the catalogue: per movie its features held by at
/// least one other movie, and the members of each.
fn shared_features(catalog: &[CatalogMovie]) -> SharedFeatures {
    let mut index: std::collections::BTreeMap<&str, Vec<u32>> = std::collections::BTreeMap::new();
    for (i, m) in catalog.iter().enumerate() {
        for f in &m.features {
            let members = index.entry(f.as_str()).or_default();
            if members.last() != Some(&(i as u32)) {
                members.push(i as u32);
            }
        }
    }
    let mut names = Vec::new();
    let mut members_of = Vec::new();
    let mut per_movie: Vec<Vec<(u32, f64)>> = vec![Vec::new(); catalog.len()];
    for (name, members) in index {
        let weight = feature_weight(name);
        if members.len() < 2 || weight <= 0.0 {
            continue;
        }
        let id = members_of.len() as u32;
        for &m in &members {
            per_movie[m as usize].push((id, weight));
        }
        names.push(name.to_owned());
        members_of.push(members);
    }
    SharedFeatures {
        per_movie,
        members: members_of,
        names,
    }
}

/// `base` pulled towards the taste vectors of the movie's shared features,
/// back at unit variance per component. Feature vectors come from their own
/// random streams, so the world's main stream is drawn exactly as before.
fn with_features(base: &Latent, features: &[(u32, f64)], vectors: &[Latent]) -> Latent {
    if features.is_empty() {
        return *base;
    }
    let mut v = *base;
    let mut norm = 1.0;
    for &(f, weight) in features {
        for k in 0..LATENT_DIM {
            v[k] += (weight * f64::from(vectors[f as usize][k])) as f32;
        }
        norm += weight * weight;
    }
    let scale = (1.0 / norm).sqrt() as f32;
    for x in &mut v {
        *x *= scale;
    }
    v
}

pub(super) fn dot(a: &Latent, b: &Latent) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

/// Number of ratings per user: `min + λ·activity`, capped per user, with λ
/// chosen by bisection so that the total is exactly `target`.
pub(super) fn allocate_counts(users: &mut [UserModel], caps: &[u64], min: u64, target: u64) {
    let total_for = |lambda: f64| -> f64 {
        users
            .iter()
            .zip(caps)
            .map(|(u, &c)| (min as f64 + lambda * u.activity).min(c as f64))
            .sum()
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut guard = 0;
    while total_for(hi) < target as f64 && guard < 200 {
        hi *= 2.0;
        guard += 1;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if total_for(mid) < target as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut fracs: Vec<(f64, usize)> = Vec::with_capacity(users.len());
    let mut assigned = 0u64;
    for (i, (u, &cap)) in users.iter_mut().zip(caps).enumerate() {
        let x = (min as f64 + lo * u.activity).min(cap as f64);
        let base = (x.floor() as u64).min(cap);
        u.count = base;
        assigned += base;
        if base < cap {
            fracs.push((x - base as f64, i));
        }
    }
    // Largest remainders first; ties broken by user index for determinism.
    fracs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut remaining = target.saturating_sub(assigned);
    while remaining > 0 {
        let mut progressed = false;
        for &(_, i) in &fracs {
            if remaining == 0 {
                break;
            }
            if users[i].count < caps[i] {
                users[i].count += 1;
                remaining -= 1;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
}

pub(super) fn build_world(
    cfg: &GeneratorConfig,
    catalog: &[CatalogMovie],
) -> Result<World, SynthError> {
    if cfg.users == 0 {
        return Err(SynthError::InvalidConfig("users must be positive".into()));
    }
    if catalog.is_empty() {
        return Err(SynthError::InvalidConfig(
            "the movie catalogue is empty".into(),
        ));
    }
    if catalog.len() > u32::MAX as usize {
        return Err(SynthError::InvalidConfig("catalogue too large".into()));
    }
    let n_movies = catalog.len() as u64;
    let min = u64::from(MIN_RATINGS_PER_USER).min(n_movies);
    let users = u64::from(cfg.users);
    if cfg.ratings < users * min {
        return Err(SynthError::InvalidConfig(format!(
            "{} ratings cannot give {} users at least {} ratings each",
            cfg.ratings, cfg.users, min
        )));
    }
    if u128::from(cfg.ratings) > u128::from(users) * u128::from(n_movies) {
        return Err(SynthError::InvalidConfig(format!(
            "{} ratings exceed users × movies ({} × {})",
            cfg.ratings, cfg.users, n_movies
        )));
    }

    let mut rng = Rng::new(cfg.seed, STREAM_WORLD, 0);
    let embeddings: Vec<Latent> = (0..GENRES.len())
        .map(|_| random_latent(&mut rng, &[0.0; LATENT_DIM], 0.0))
        .collect();

    // Movies. With catalogue popularities, `rank_pct[i]` is movie i's
    // mid-rank percentile (0 = most popular, ties broken by catalogue order).
    let rho = QUALITY_POPULARITY_CORR;
    let mut ranked: Vec<(f64, usize)> = catalog
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.popularity.filter(|p| p.is_finite()).map(|p| (p, i)))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut rank_pct: Vec<Option<f64>> = vec![None; catalog.len()];
    for (r, &(_, i)) in ranked.iter().enumerate() {
        rank_pct[i] = Some((r as f64 + 0.5) / ranked.len() as f64);
    }
    let fame_model = !ranked.is_empty();
    let SharedFeatures {
        per_movie: movie_features,
        members: feature_members,
        names: feature_names,
    } = shared_features(catalog);
    let feature_vectors: Vec<Latent> = feature_names
        .iter()
        .map(|name| {
            let mut r = Rng::new(cfg.seed, STREAM_FEATURES, fnv1a(name));
            random_latent(&mut r, &[0.0; LATENT_DIM], 0.0)
        })
        .collect();
    let mut genre_counts = [0f64; 20];
    let mut movies = Vec::with_capacity(catalog.len());
    for (mi, m) in catalog.iter().enumerate() {
        let mut mask = 0u32;
        for g in &m.genres {
            if let Some(i) = genre_index(g) {
                mask |= 1 << i;
            }
        }
        for (g, c) in genre_counts.iter_mut().enumerate() {
            if mask & (1 << g) != 0 {
                *c += 1.0;
            }
        }
        let (zq, popularity) = if fame_model {
            // Popularity rank -> Zipf-like weight with log-normal noise;
            // quality correlates with the rank's normal score.
            let q = match rank_pct[mi] {
                Some(q) => q,
                None => rng.f64_open(),
            };
            let fame = -inv_norm_cdf(q);
            let rf = FAME_QUALITY_CORR;
            let zq = rf * fame + (1.0 - rf * rf).sqrt() * rng.normal();
            let zipf = det_exp(-FAME_ZIPF_EXPONENT * det_ln(q + FAME_ZIPF_OFFSET));
            (zq, zipf * det_exp(FAME_NOISE_LOG_SD * rng.normal()))
        } else {
            let zq = rng.normal();
            let zp = rho * zq + (1.0 - rho * rho).sqrt() * rng.normal();
            (zq, det_exp(POPULARITY_LOG_SD * zp))
        };
        let base = with_features(
            &genre_base(mask, &embeddings),
            &movie_features[mi],
            &feature_vectors,
        );
        let latent = random_latent(&mut rng, &base, 0.6);
        let origin = m.year.map(|y| year_start(y.clamp(1800, 2023)));
        let release = origin.unwrap_or(i64::MIN).max(EPOCH_START);
        // The boost only decays after EPOCH_START and the ramp is ≤ 1, so
        // this bounds release_curve over the whole rating period.
        let exposure_cap = match origin {
            Some(o) => {
                let years = (EPOCH_START - o).max(0) as f64 / YEAR_SECS;
                1.0 + NEW_RELEASE_BOOST * det_exp(-years / NEW_RELEASE_DECAY_YEARS)
            }
            None => 1.0,
        };
        movies.push(MovieModel {
            id: m.id,
            genre_mask: mask,
            quality: (QUALITY_SD * zq) as f32,
            latent,
            popularity,
            release,
            origin,
            exposure_cap,
        });
    }
    let pops: Vec<f64> = movies
        .iter()
        .map(|m| m.popularity * m.exposure_cap)
        .collect();
    let global = AliasTable::new(&pops)
        .ok_or_else(|| SynthError::InvalidConfig("no movie has positive weight".into()))?;
    let mut genre_members: Vec<Vec<u32>> = vec![Vec::new(); GENRES.len()];
    for (i, m) in movies.iter().enumerate() {
        for (g, members) in genre_members.iter_mut().enumerate() {
            if m.genre_mask & (1 << g) != 0 {
                members.push(i as u32);
            }
        }
    }
    let genre_tables: Vec<Option<AliasTable>> = genre_members
        .iter()
        .map(|members| {
            let w: Vec<f64> = members.iter().map(|&i| pops[i as usize]).collect();
            AliasTable::new(&w)
        })
        .collect();

    // Release times sorted, to know how many movies a user's window can reach.
    let mut releases: Vec<i64> = movies.iter().map(|m| m.release).collect();
    releases.sort_unstable();
    let min_end = releases[(min.max(1) - 1) as usize] + 86_400;

    // Users.
    let fav_weights: Vec<f64> = genre_counts.iter().map(|c| c.sqrt()).collect();
    let any_genre = fav_weights.iter().any(|w| *w > 0.0);
    let mut user_models = Vec::with_capacity(cfg.users as usize);
    let mut caps = Vec::with_capacity(cfg.users as usize);
    for u in 0..cfg.users {
        let mut r = Rng::new(cfg.seed, STREAM_USER_PARAMS, u64::from(u));
        let mut favourites = Vec::new();
        let mut fav_mask = 0u32;
        if any_genre {
            let n_fav = 1 + r.below(3) as usize;
            let mut w = fav_weights.clone();
            for _ in 0..n_fav {
                if w.iter().all(|x| *x <= 0.0) {
                    break;
                }
                let g = r.weighted_index(&w);
                w[g] = 0.0;
                favourites.push(g as u8);
                fav_mask |= 1 << g;
            }
        }
        let latent = random_latent(&mut r, &genre_base(fav_mask, &embeddings), 0.6);
        let bias = (USER_BIAS_SD * r.normal()) as f32;
        let whole_stars = r.f64() < WHOLE_STAR_USERS;
        // With catalogue links tastes follow content, so favourite genres
        // steer more of what a user watches (same draw either way).
        let fav_share = if feature_members.is_empty() {
            (0.25 + 0.45 * r.f64()) as f32
        } else {
            (0.5 + 0.4 * r.f64()) as f32
        };
        let activity = det_exp(ACTIVITY_LOG_SD * r.normal());
        // Activity window: heavy-tailed length from minutes to years, centred
        // at a time whose density grows like exp(ACTIVITY_GROWTH_PER_YEAR ·
        // years since 2000) (inverse-CDF draw), shifted to fit 2000–2023.
        let span_years = (EPOCH_END - EPOCH_START) as f64 / YEAR_SECS;
        let k = ACTIVITY_GROWTH_PER_YEAR;
        let grow = det_exp(k * span_years) - 1.0;
        let centre_years = det_ln(1.0 + r.f64_open() * grow) / k;
        let centre = EPOCH_START + (centre_years * YEAR_SECS) as i64;
        let len = (3.0 * 86_400.0 * det_exp(2.2 * r.normal())).min(8.0e8) as i64;
        let len = len.max(3_600);
        let start = (centre - len / 2).min(EPOCH_END - len).max(EPOCH_START);
        let end = start
            .saturating_add(len)
            .min(EPOCH_END)
            .max(min_end.min(EPOCH_END));
        let start = start.min(end - 3_600);
        let reachable = releases.partition_point(|&t| t <= end) as u64;
        caps.push(reachable.max(min));
        user_models.push(UserModel {
            favourites,
            fav_mask,
            bias,
            latent,
            whole_stars,
            fav_share,
            start,
            end,
            activity,
            count: 0,
        });
    }
    // Very dense requests may not fit inside the activity windows: stretch
    // windows to the end of 2023 (in user order) until the target fits.
    let mut capacity: u64 = caps.iter().sum();
    for (u, cap) in user_models.iter_mut().zip(caps.iter_mut()) {
        if capacity >= cfg.ratings {
            break;
        }
        capacity += n_movies - *cap;
        *cap = n_movies;
        u.end = EPOCH_END;
    }
    allocate_counts(&mut user_models, &caps, min, cfg.ratings);

    Ok(World {
        movies,
        users: user_models,
        global,
        genre_tables,
        genre_members,
        dot_scale: DOT_SD / (LATENT_DIM as f64).sqrt(),
        movie_features,
        feature_members,
    })
}

impl World {
    /// Picks the movies (indices) user `u` rates, without duplicates, each
    /// with the time of the exposure.
    ///
    /// An exposure draws a time `t` uniformly in the user's window and a
    /// candidate from the tables (weights `popularity × exposure_cap`), and is
    /// accepted with probability `exposure_at(t) / exposure_cap`, so movies
    /// are exposed in proportion to `popularity × release curve at t`.
    /// Discovery draws are uniform over the movies released by `t`.
    pub(super) fn pick_movies(
        &self,
        u: &UserModel,
        rng: &mut Rng,
        seen: &mut [u32],
        stamp: u32,
    ) -> Vec<(u32, i64)> {
        let n = self.movies.len();
        let want = u.count as usize;
        let mut picked: Vec<(u32, i64)> = Vec::with_capacity(want);
        let dense = u.count * DENSE_USER_DIVISOR > n as u64;
        if !dense {
            let fav_tables: Vec<(&AliasTable, &Vec<u32>)> = u
                .favourites
                .iter()
                .filter_map(|&g| {
                    let t = self.genre_tables[g as usize].as_ref()?;
                    Some((t, &self.genre_members[g as usize]))
                })
                .collect();
            let max_attempts = 40 * want + 1_000;
            let mut attempts = 0;
            let links = !self.feature_members.is_empty();
            while picked.len() < want && attempts < max_attempts {
                attempts += 1;
                let time = rng.range_i64(u.start, u.end);
                // Only a catalogue with links draws this, so worlds without
                // them stay the same draw for draw.
                if links && !picked.is_empty() && rng.f64() < FOLLOW_UP_SHARE {
                    if let Some(idx) = self.follow_up(&picked, rng)
                        && seen[idx] != stamp
                        && self.movies[idx].release <= time
                    {
                        seen[idx] = stamp;
                        picked.push((idx as u32, time));
                    }
                    continue;
                }
                let x = rng.f64();
                let discovery = x < DISCOVERY_SHARE;
                let idx = if discovery {
                    rng.below(n as u64) as usize
                } else if x < DISCOVERY_SHARE + f64::from(u.fav_share) && !fav_tables.is_empty() {
                    let (t, members) = fav_tables[rng.below(fav_tables.len() as u64) as usize];
                    members[t.sample(rng)] as usize
                } else {
                    self.global.sample(rng)
                };
                let m = &self.movies[idx];
                if seen[idx] == stamp || m.release > time {
                    continue;
                }
                if !discovery && rng.f64() * m.exposure_cap >= m.exposure_at(time) {
                    continue;
                }
                seen[idx] = stamp;
                picked.push((idx as u32, time));
            }
        }
        if picked.len() < want {
            // Exhaustive weighted sampling without replacement
            // (Efraimidis–Spirakis keys) over the remaining reachable movies,
            // weighted by popularity × the release curve in the middle of the
            // reachable part of the window × that part's share of the window.
            let mut keyed: Vec<(f64, u32)> = Vec::new();
            let window = (u.end - u.start).max(1) as f64;
            for (i, m) in self.movies.iter().enumerate() {
                if seen[i] == stamp || m.release > u.end {
                    continue;
                }
                let boost = if m.genre_mask & u.fav_mask != 0 {
                    3.0
                } else {
                    1.0
                };
                let lo = u.start.max(m.release);
                let mid = lo + (u.end - lo) / 2;
                let reach = ((u.end - lo) as f64 / window).clamp(0.05, 1.0);
                let w = (m.popularity * boost * m.exposure_at(mid) * reach).max(1e-300);
                keyed.push((det_ln(rng.f64_open()) / w, i as u32));
            }
            let need = (want - picked.len()).min(keyed.len());
            if need > 0 && need < keyed.len() {
                keyed.select_nth_unstable_by(need - 1, |a, b| {
                    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
                });
            }
            keyed.truncate(need);
            keyed.sort_by_key(|k| k.1);
            for (_, i) in keyed {
                seen[i as usize] = stamp;
                let lo = u.start.max(self.movies[i as usize].release);
                picked.push((i, rng.range_i64(lo, u.end.max(lo))));
            }
        }
        picked
    }

    /// A movie linked to one the user already picked: a feature of it
    /// chosen by weight, then one of that feature's movies.
    fn follow_up(&self, picked: &[(u32, i64)], rng: &mut Rng) -> Option<usize> {
        let (from, _) = picked[rng.below(picked.len() as u64) as usize];
        let features = &self.movie_features[from as usize];
        if features.is_empty() {
            return None;
        }
        let weights: Vec<f64> = features.iter().map(|(_, w)| *w).collect();
        let (feature, _) = features[rng.weighted_index(&weights)];
        let members = &self.feature_members[feature as usize];
        let idx = members[rng.below(members.len() as u64) as usize] as usize;
        (idx != from as usize).then_some(idx)
    }

    /// Rating in half stars for user `u` and movie `m`.
    ///
    /// The appeal `user bias + movie quality + taste·taste + genre bonus +
    /// noise` is standardised and mapped through ordered-probit cut points
    /// (whole-star users have their own coarser cuts), which gives the
    /// left-skewed MovieLens histogram with its mode at 4.0 stars.
    pub(super) fn rate(&self, u: &UserModel, m: &MovieModel, rng: &mut Rng) -> u8 {
        let fav_hits = (u.fav_mask & m.genre_mask).count_ones().min(2);
        let appeal = f64::from(u.bias)
            + f64::from(m.quality)
            + self.dot_scale * dot(&u.latent, &m.latent)
            + AFFINITY_BONUS * f64::from(fav_hits)
            + NOISE_SD * rng.normal();
        let z = (appeal - APPEAL_SHIFT) / APPEAL_SD;
        if u.whole_stars {
            let stars = 1 + WHOLE_STAR_CUTS.iter().filter(|&&c| z > c).count() as u8;
            stars * 2
        } else {
            1 + HALF_STAR_CUTS.iter().filter(|&&c| z > c).count() as u8
        }
    }
}
