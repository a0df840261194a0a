//! Snapshot round trips: a loaded model must answer every request exactly as the trained one,
//! and no damaged snapshot may load, panic or allocate without bound.

use super::*;
use crate::recommender::content::ContentMovie;
use crate::recommender::tests::fixture;
use crate::recommender::util::Rng;
use crate::recommender::{
    GenreId, MovieId, MovieMeta, RecRequest, Strategy, TrainingData, UserContext,
};

/// 120 users over 80 movies in four genres (some with a second one, a few with none). Each user
/// leans to one genre and rates 25 random movies, that genre higher; a few also buy movies.
/// Larger than the hand-checkable fixture so that MF, the pearson lists and the sparse EASE
/// rows are non-trivial.
fn synthetic() -> TrainingData {
    let mut rng = Rng::new(7);
    let movies: Vec<MovieMeta> = (1..=80)
        .map(|k: i64| MovieMeta {
            id: k * 10,
            genres: match k % 9 {
                0 => vec![],
                1 => vec![(k % 4) as GenreId + 1, 5],
                _ => vec![(k % 4) as GenreId + 1],
            },
        })
        .collect();
    let mut ratings = Vec::new();
    let mut purchases = Vec::new();
    for user in 0..120i64 {
        let taste = (user % 4) as GenreId + 1;
        let mut order: Vec<usize> = (0..movies.len()).collect();
        rng.shuffle(&mut order);
        for &m in &order[..25] {
            let liked = movies[m].genres.first() == Some(&taste);
            let base = if liked { 3.5 } else { 1.0 };
            let stars = ((base + rng.next_f64() * 1.5) * 2.0).round() / 2.0;
            ratings.push((user, movies[m].id, stars as f32));
        }
        if user % 10 == 0 {
            purchases.push((user, movies[order[30]].id));
        }
    }
    // Five movies nobody rated yet, so that the hybrid's content term scores some, and one
    // content profile of a movie outside the catalogue (skipped).
    let mut movies = movies;
    movies.extend((81..=85).map(|k: i64| MovieMeta {
        id: k * 10,
        genres: vec![(k % 4) as GenreId + 1],
    }));
    let content = (1..=86)
        .map(|k: i64| ContentMovie {
            id: k * 10,
            series: if k % 6 == 0 {
                format!("saga {}", k % 4)
            } else {
                String::new()
            },
            year: (k % 5 != 0).then_some(1980 + (k % 30) as i32),
            genres: Vec::new(),
            directors: vec![format!("Director {}", k % 7)],
            cast: vec![format!("Actor {}", k % 11), format!("Actor {}", k % 13)],
            overview: format!(
                "a tale of {} and {} in the city",
                ["love", "war", "crime"][k as usize % 3],
                ["ghosts", "money", "robots", "family"][k as usize % 4]
            ),
        })
        .collect();
    TrainingData {
        ratings,
        movies,
        purchases,
        content,
    }
}

fn train(data: &TrainingData, change: impl FnOnce(&mut TrainConfig)) -> Model {
    let mut config = TrainConfig::default();
    change(&mut config);
    Model::train(data, &config).unwrap()
}

/// Forces the pruned-neighbourhood EASE solve, as `tests::the_pruned_neighbourhood_solve…` does.
fn sparse(c: &mut TrainConfig) {
    c.ease.dense_max_items = 0;
    c.ease.sparse_budget = u64::MAX;
}

fn round_trip(model: &Model) -> Model {
    Model::from_bytes(&model.to_bytes()).unwrap()
}

/// Request contexts that reach every code path: nobody, genre-only, every user of the data,
/// and users with dismissals, purchases, exclusions and unknown movies.
fn contexts(data: &TrainingData) -> Vec<UserContext> {
    let mut by_user: std::collections::BTreeMap<i64, UserContext> = Default::default();
    for &(u, m, r) in &data.ratings {
        by_user.entry(u).or_default().ratings.push((m, r));
    }
    let mut out: Vec<UserContext> = by_user.into_values().collect();
    // Five movies spread over the catalogue (the fixture has nine).
    let ids: Vec<MovieId> = data.movies.iter().map(|m| m.id).collect();
    let some: Vec<MovieId> = (0..5).map(|k| ids[k * ids.len() / 5]).collect();
    out.push(UserContext::default());
    out.push(UserContext {
        preferred_genres: vec![1, 3],
        ..Default::default()
    });
    out.push(UserContext {
        ratings: vec![(some[0], 5.0), (some[1], 2.0), (999_999, 4.0)],
        preferred_genres: vec![2],
        dismissed: vec![some[2]],
        purchased: vec![some[3]],
        excluded: vec![some[4]],
    });
    out
}

/// Every public answer of `a` and `b` agrees: recommendations of every strategy (with and
/// without a genre filter, short and long lists), predictions, similar movies, charts, stats.
fn assert_same_answers(a: &Model, b: &Model, data: &TrainingData) {
    assert_eq!(a.movie_ids(), b.movie_ids());
    assert_eq!(a.stats(), b.stats());
    assert_eq!(a.config, b.config);
    let mut known: Vec<MovieId> = a.movie_ids().to_vec();
    known.push(123_456);
    for ctx in contexts(data) {
        let (fa, fb) = (a.fold_in(&ctx), b.fold_in(&ctx));
        for strategy in Strategy::ALL {
            for genre in [None, Some(1), Some(5), Some(77)] {
                for limit in [1, 10, 1000] {
                    let req = RecRequest {
                        strategy,
                        limit,
                        genre,
                    };
                    assert_eq!(
                        a.recommend_folded(&fa, &req),
                        b.recommend_folded(&fb, &req),
                        "{strategy:?} {genre:?} {limit} for {ctx:?}"
                    );
                }
            }
        }
        for &m in &known {
            let (pa, pb) = (a.predict_folded(&fa, m), b.predict_folded(&fb, m));
            assert_eq!(pa.to_bits(), pb.to_bits(), "prediction for {m}");
        }
    }
    for &m in &known {
        assert_eq!(a.similar(m, 20), b.similar(m, 20), "similar to {m}");
    }
    for genre in [None, Some(1), Some(2), Some(77)] {
        assert_eq!(a.popular(10, genre), b.popular(10, genre));
    }
}

fn is_sparse(model: &Model) -> bool {
    matches!(model.ease.weights, Weights::Sparse { .. })
}

#[test]
fn a_loaded_model_answers_exactly_like_the_trained_one() {
    for data in [fixture(), synthetic()] {
        let dense = train(&data, |_| {});
        assert!(!is_sparse(&dense));
        assert_same_answers(&dense, &round_trip(&dense), &data);
        let pruned = train(&data, sparse);
        assert!(is_sparse(&pruned), "the sparse EASE weights are exercised");
        assert_same_answers(&pruned, &round_trip(&pruned), &data);
    }
}

#[test]
fn a_dense_ease_over_part_of_the_catalogue_round_trips() {
    // Four EASE items out of nine: `local` must be rebuilt with gaps, and item-kNN serves the rest.
    let data = fixture();
    let model = train(&data, |c| c.ease.dense_max_items = 4);
    let loaded = round_trip(&model);
    assert_eq!(loaded.stats().ease_items, 4);
    assert_same_answers(&model, &loaded, &data);
}

#[test]
fn a_loaded_model_writes_the_same_bytes_again() {
    // Re-encoding checks every stored float bit for bit, not only those a request happens to read.
    for model in [train(&synthetic(), |_| {}), train(&synthetic(), sparse)] {
        assert!(!model.content.is_empty(), "the content terms are exercised");
        let bytes = model.to_bytes();
        assert_eq!(Model::from_bytes(&bytes).unwrap().to_bytes(), bytes);
    }
}

#[test]
fn a_non_default_config_round_trips() {
    let model = train(&fixture(), |c| {
        c.seed = 9;
        c.hybrid.rating_weight = 0.5;
        c.knn.pair_budget = u64::MAX;
        c.implicit.rating_points = vec![(0.5, 0.1), (5.0, 2.0)];
    });
    assert_eq!(round_trip(&model).config, model.config);
}

/// The fixture's snapshot: small enough to damage at every position.
fn small_snapshot() -> Vec<u8> {
    train(&fixture(), |_| {}).to_bytes()
}

/// Rewrites the header's length and checksum to match a (damaged) payload, so that the damage
/// reaches the section parser instead of being caught by the checksum.
fn reseal(payload: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&SNAPSHOT_FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Every copy of `bytes` with one byte XOR-ed with one of `flips`, with the damaged position.
fn flipped_copies<'a>(
    bytes: &'a [u8],
    flips: &'a [u8],
) -> impl Iterator<Item = (usize, Vec<u8>)> + 'a {
    (0..bytes.len()).flat_map(move |pos| {
        flips.iter().map(move |&flip| {
            let mut damaged = bytes.to_vec();
            damaged[pos] ^= flip;
            (pos, damaged)
        })
    })
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = small_snapshot();
    for n in 0..bytes.len() {
        assert_eq!(
            Model::from_bytes(&bytes[..n]).err(),
            Some(SnapshotError::Truncated),
            "prefix of {n} bytes"
        );
    }
}

#[test]
fn every_truncated_payload_with_a_valid_checksum_is_an_error() {
    let bytes = small_snapshot();
    let payload = &bytes[HEADER_LEN..];
    for n in 0..payload.len() {
        assert!(
            Model::from_bytes(&reseal(&payload[..n])).is_err(),
            "payload prefix of {n} bytes"
        );
    }
}

#[test]
fn a_flipped_byte_anywhere_is_caught() {
    let bytes = small_snapshot();
    for (pos, damaged) in flipped_copies(&bytes, &[0x01, 0x80, 0xFF]) {
        let err = Model::from_bytes(&damaged).err();
        match pos {
            0..8 => assert_eq!(err, Some(SnapshotError::BadMagic)),
            8..12 => assert!(
                matches!(err, Some(SnapshotError::UnsupportedVersion { .. })),
                "{err:?}"
            ),
            // A length that is too long is truncation; too short leaves trailing bytes.
            12..20 => assert!(
                matches!(
                    err,
                    Some(SnapshotError::Truncated | SnapshotError::Inconsistent(_))
                ),
                "{err:?}"
            ),
            _ => assert!(
                matches!(err, Some(SnapshotError::ChecksumMismatch { .. })),
                "byte {pos}: {err:?}"
            ),
        }
    }
}

#[test]
fn a_damaged_payload_with_a_valid_checksum_never_panics() {
    // What a buggy writer could produce: the parser must answer, Ok or Err, for every byte.
    let bytes = small_snapshot();
    let payload = &bytes[HEADER_LEN..];
    for (_, damaged) in flipped_copies(payload, &[0x01, 0x80]) {
        let _ = Model::from_bytes(&reseal(&damaged));
    }
}

/// Offset of the body of the section tagged `tag` in a whole snapshot.
fn section_body(bytes: &[u8], tag: &[u8; 4]) -> usize {
    let mut at = HEADER_LEN;
    loop {
        let len = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
        if &bytes[at..at + 4] == tag {
            return at + 12;
        }
        at += 12 + len;
    }
}

#[test]
fn a_huge_declared_length_is_an_error_not_an_allocation() {
    let mut bytes = small_snapshot();
    // The catalogue section starts with the movie id count.
    let at = section_body(&bytes, b"CATL");
    bytes[at..at + 8].copy_from_slice(&(u64::MAX / 8).to_le_bytes());
    let resealed = reseal(&bytes[HEADER_LEN..]);
    assert_eq!(
        Model::from_bytes(&resealed).err(),
        Some(SnapshotError::Truncated)
    );
}

#[test]
fn wrong_magic_version_and_trailing_bytes_are_rejected() {
    let bytes = small_snapshot();
    let mut other = bytes.clone();
    other[..8].copy_from_slice(b"PK\x03\x04zip!");
    assert_eq!(
        Model::from_bytes(&other).err(),
        Some(SnapshotError::BadMagic)
    );
    assert_eq!(
        Model::from_bytes(b"{}").err(),
        Some(SnapshotError::BadMagic)
    );

    // A newer writer's snapshot, and an old one (version 1 had no content terms).
    for version in [SNAPSHOT_FORMAT_VERSION + 1, 1] {
        let mut other = bytes.clone();
        other[8..12].copy_from_slice(&version.to_le_bytes());
        let err = Model::from_bytes(&other).err();
        assert_eq!(
            err,
            Some(SnapshotError::UnsupportedVersion {
                found: version,
                supported: SNAPSHOT_FORMAT_VERSION
            })
        );
        assert!(
            err.unwrap()
                .to_string()
                .contains(&format!("version {version}"))
        );
    }

    let mut longer = bytes.clone();
    longer.push(0);
    assert!(matches!(
        Model::from_bytes(&longer).err(),
        Some(SnapshotError::Inconsistent(_))
    ));
}

/// A change to a trained model that breaks one of its invariants.
type Damage = fn(&mut Model);

#[test]
fn a_model_breaking_an_invariant_does_not_load() {
    // Each damage is applied to a trained model before encoding, so the checksum is valid and
    // only the structural checks can refuse it.
    let damages: [(&str, Damage); 7] = [
        ("neighbour index", |m| m.knn.neighbours.idx[0] = 1_000),
        ("ids", |m| m.catalog.ids.swap(0, 1)),
        ("chart", |m| m.popular.order[0] = m.popular.order[1]),
        ("dense weights", |m| {
            if let Weights::Dense(b) = &mut m.ease.weights {
                b.pop();
            }
        }),
        ("mf factors", |m| m.predictor.mf.items.push(0.0)),
        ("timing source", |m| m.stats.timings[0].source = "mystery"),
        ("content size", |m| m.content.series.push(0)),
    ];
    for (what, damage) in damages {
        let mut model = train(&fixture(), |_| {});
        damage(&mut model);
        let err = Model::from_bytes(&model.to_bytes()).err();
        assert!(
            matches!(err, Some(SnapshotError::Inconsistent(_))),
            "{what}: {err:?}"
        );
    }
}

#[test]
fn errors_explain_themselves() {
    let messages = [
        SnapshotError::BadMagic.to_string(),
        SnapshotError::Truncated.to_string(),
        SnapshotError::ChecksumMismatch {
            stored: 1,
            computed: 2,
        }
        .to_string(),
        SnapshotError::Inconsistent("chart order".into()).to_string(),
    ];
    for (message, word) in messages
        .iter()
        .zip(["magic", "truncated", "checksum", "chart order"])
    {
        assert!(message.contains(word), "{message}");
    }
}

#[test]
fn the_header_checksum_is_the_payloads_crc() {
    let bytes = train(&synthetic(), |_| {}).to_bytes();
    assert_eq!(header_checksum(&bytes), Some(crc32(&bytes[HEADER_LEN..])));
    assert_eq!(header_checksum(&bytes[..HEADER_LEN - 1]), None);
}
