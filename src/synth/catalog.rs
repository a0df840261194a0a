//! The catalogue side of the generator: synthesised movies, reading a
//! catalogue to rate, and writing `movies.csv` / `ratings.csv`.

use std::io::{self, Write};

use super::math::*;
use super::random::*;
use super::*;

/// Synthesises `cfg.movies` movies with ids `1..=movies`, titles like
/// `"Synthetic Film 123 (1994)"`, years 1970–2023 (recent years more common)
/// and one to three genres drawn with MovieLens-like frequencies.
pub fn synthesise_movies(cfg: &GeneratorConfig) -> Vec<CatalogMovie> {
    let mut rng = Rng::new(cfg.seed, STREAM_MOVIES, 0);
    let year_weights: Vec<f64> = (FIRST_YEAR..=LAST_YEAR)
        .map(|y| det_exp(0.035 * f64::from(y - FIRST_YEAR)))
        .collect();
    let mut movies = Vec::with_capacity(cfg.movies as usize);
    for i in 1..=cfg.movies {
        let year = FIRST_YEAR + rng.weighted_index(&year_weights) as i32;
        let n_genres = match rng.f64() {
            x if x < 0.45 => 1,
            x if x < 0.80 => 2,
            _ => 3,
        };
        let mut weights = GENRE_FREQ;
        let mut picked: Vec<usize> = Vec::with_capacity(n_genres);
        for _ in 0..n_genres {
            let g = rng.weighted_index(&weights);
            weights[g] = 0.0;
            picked.push(g);
        }
        picked.sort_unstable();
        movies.push(CatalogMovie {
            id: i64::from(i),
            title: format!("Synthetic Film {i} ({year})"),
            year: Some(year),
            genres: picked.iter().map(|&g| GENRES[g].to_string()).collect(),
            popularity: None,
            features: Vec::new(),
        });
    }
    movies
}

/// Reads a catalogue to rate (a `movies.csv` in the MovieLens csv layout,
/// such as the seed folder's) through [`crate::dataset`], so titles, years
/// and genres mean what they mean everywhere else. An optional `popularity`
/// column (larger = more popular) drives exposure.
pub fn read_catalog(
    path: &std::path::Path,
) -> Result<Vec<CatalogMovie>, crate::dataset::DatasetError> {
    let records = crate::dataset::read_movies_file(path)?;
    // Credits beside the movies (the seed folder has them) link movies by
    // their directors and first three billed actors.
    let credits = match path.parent() {
        Some(dir) => crate::dataset::read_credits(dir)?,
        None => Vec::new(),
    };
    let mut people: std::collections::HashMap<i32, Vec<String>> = std::collections::HashMap::new();
    for credit in &credits {
        let kind = match credit.role {
            crate::dataset::CreditRole::Director => "director",
            crate::dataset::CreditRole::Cast if credit.position <= 3 => "cast",
            crate::dataset::CreditRole::Cast => continue,
        };
        people
            .entry(credit.movie)
            .or_default()
            .push(format!("{kind}:{}", credit.name.to_lowercase()));
    }
    Ok(records
        .into_iter()
        .map(|m| {
            let mut features = vec![format!("franchise:{}", crate::dataset::series_of(&m.title))];
            features.extend(people.remove(&m.source_id).unwrap_or_default());
            CatalogMovie {
                id: i64::from(m.source_id),
                title: match m.year {
                    Some(year) => format!("{} ({year})", m.title),
                    None => m.title,
                },
                year: m.year,
                genres: m.genres.iter().map(|g| (*g).to_owned()).collect(),
                popularity: m.popularity,
                features,
            }
        })
        .collect())
}

/// Quotes a CSV field when it contains a comma, quote or line break.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Writes a MovieLens `movies.csv` (`movieId,title,genres`, plus a
/// `popularity` column when any movie has a popularity).
pub fn write_movies_csv<W: Write>(out: W, movies: &[CatalogMovie]) -> io::Result<()> {
    let mut w = io::BufWriter::new(out);
    let with_popularity = movies.iter().any(|m| m.popularity.is_some());
    w.write_all(if with_popularity {
        b"movieId,title,genres,popularity\n".as_slice()
    } else {
        b"movieId,title,genres\n".as_slice()
    })?;
    for m in movies {
        let genres = if m.genres.is_empty() {
            "(no genres listed)".to_string()
        } else {
            m.genres.join("|")
        };
        write!(w, "{},{},{}", m.id, csv_field(&m.title), csv_field(&genres))?;
        match (with_popularity, m.popularity) {
            (true, Some(p)) => writeln!(w, ",{p}")?,
            (true, None) => writeln!(w, ",")?,
            (false, _) => writeln!(w)?,
        }
    }
    w.flush()
}

/// Writes one `userId,movieId,rating,timestamp` line, rating as `4.0`/`3.5`.
pub fn write_rating_line<W: Write>(w: &mut W, r: &GeneratedRating) -> io::Result<()> {
    let half = if r.half_stars % 2 == 1 { '5' } else { '0' };
    writeln!(
        w,
        "{},{},{}.{},{}",
        r.user_id,
        r.movie_id,
        r.half_stars / 2,
        half,
        r.timestamp
    )
}

/// Generates ratings for `movies` and writes them as a MovieLens
/// `ratings.csv` (header `userId,movieId,rating,timestamp`), streaming.
pub fn write_ratings_csv<W: Write>(
    out: W,
    cfg: &GeneratorConfig,
    movies: &[CatalogMovie],
) -> Result<GenerationStats, SynthError> {
    let mut w = io::BufWriter::with_capacity(1 << 16, out);
    w.write_all(b"userId,movieId,rating,timestamp\n")?;
    let stats = generate(cfg, movies, |r| write_rating_line(&mut w, r))?;
    w.flush()?;
    Ok(stats)
}
