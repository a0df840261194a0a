//! Movie files: `movies.csv` (MovieLens csv layout; the seed folder and the
//! generator add `overview`, `poster_url`, `popularity`, `price`, `stock`)
//! with `links.csv`, ml-100k's `u.item` and ml-1m's `movies.dat`.

use std::collections::HashMap;
use std::path::Path;

use super::error::{DatasetError, LineErrors, Problem};
use super::genres::{GenreMatch, ML100K_GENRES, match_genre};
use super::quirks::{Quirk, Quirks};
use super::ratings::RatingFormat;
use super::text::decode_file;
use super::title::parse_title;
use crate::services::catalog::{MAX_PRICE, MAX_STOCK};

/// Which release layout a folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `movies.csv` + `ratings.csv` (+ `links.csv`): ml-latest(-small), ml-25m,
    /// ml-32m, and cinerank's seed folder and generator output.
    Csv,
    /// `u.item` + `u.data`: ml-100k.
    Ml100k,
    /// `movies.dat` + `ratings.dat`: ml-1m.
    Ml1m,
}

impl Layout {
    /// The file holding the movies.
    pub fn movies_file(self) -> &'static str {
        match self {
            Layout::Csv => "movies.csv",
            Layout::Ml100k => "u.item",
            Layout::Ml1m => "movies.dat",
        }
    }

    /// The file holding the ratings.
    pub fn ratings_file(self) -> &'static str {
        match self {
            Layout::Csv => "ratings.csv",
            Layout::Ml100k => "u.data",
            Layout::Ml1m => "ratings.dat",
        }
    }

    /// How the ratings file separates its columns.
    pub fn rating_format(self) -> RatingFormat {
        match self {
            Layout::Csv => RatingFormat::Csv,
            Layout::Ml100k => RatingFormat::Tab,
            Layout::Ml1m => RatingFormat::DoubleColon,
        }
    }
}

/// Finds the layout of `dir` by the files it holds.
pub fn detect_layout(dir: &Path) -> Result<Layout, DatasetError> {
    [Layout::Csv, Layout::Ml100k, Layout::Ml1m]
        .into_iter()
        .find(|l| dir.join(l.movies_file()).is_file() && dir.join(l.ratings_file()).is_file())
        .ok_or_else(|| DatasetError::UnknownLayout(dir.to_owned()))
}

/// A movie as a file describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MovieRecord {
    /// The file's `movieId`.
    pub source_id: i32,
    /// The line it was read from (for error messages).
    pub line: u64,
    /// Title as shown (year split off, article restored).
    pub title: String,
    /// Release year.
    pub year: Option<i32>,
    /// cinerank genre names, sorted, without duplicates.
    pub genres: Vec<&'static str>,
    /// IMDb id (`tt…`) from links.csv.
    pub imdb_id: Option<String>,
    /// TMDB id from links.csv.
    pub tmdb_id: Option<i32>,
    /// Plot summary (seed folder).
    pub overview: Option<String>,
    /// Poster URL (seed folder).
    pub poster_url: Option<String>,
    /// Relative popularity, larger = more popular (seed folder, generator).
    pub popularity: Option<f64>,
    /// Store price in the currency's minor unit; `None` = not for sale.
    pub price: Option<i64>,
    /// Copies in stock; `None` = digital (unlimited).
    pub stock: Option<i32>,
}

/// Reads a folder's movies in `layout` (with links.csv's ids in the csv
/// layout). Malformed lines go to `errors`, anomalies to `quirks`.
pub fn read_movies(
    dir: &Path,
    layout: Layout,
    errors: &mut LineErrors,
    quirks: &mut Quirks,
) -> Result<Vec<MovieRecord>, DatasetError> {
    let path = dir.join(layout.movies_file());
    let mut movies = match layout {
        Layout::Csv => read_movies_csv(&path, errors, quirks)?,
        Layout::Ml100k | Layout::Ml1m => read_movies_lines(&path, layout, errors, quirks)?,
    };
    let links = dir.join("links.csv");
    if layout == Layout::Csv && links.is_file() {
        read_links(&links, &mut movies, errors, quirks)?;
    }
    Ok(movies)
}

/// Reads one movie file on its own (`u.item`, `movies.dat` or a csv file,
/// told apart by name), strictly: for `cinerank eval`.
pub fn read_movies_file(path: &Path) -> Result<Vec<MovieRecord>, DatasetError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let layout = match name.as_deref() {
        Some("u.item") => Layout::Ml100k,
        Some(n) if n.ends_with(".dat") => Layout::Ml1m,
        _ => Layout::Csv,
    };
    let (mut errors, mut quirks) = (LineErrors::new(false), Quirks::default());
    match layout {
        Layout::Csv => read_movies_csv(path, &mut errors, &mut quirks),
        _ => read_movies_lines(path, layout, &mut errors, &mut quirks),
    }
}

fn read_text(path: &Path, quirks: &mut Quirks) -> Result<String, DatasetError> {
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let (text, decoded) = decode_file(bytes);
    if decoded.latin1 {
        quirks.note(Quirk::Latin1Text, path, 0, None, String::new);
    }
    if decoded.bom {
        quirks.note(Quirk::ByteOrderMark, path, 1, None, String::new);
    }
    if decoded.crlf {
        quirks.note(Quirk::CrlfLineEndings, path, 0, None, String::new);
    }
    let trailing = text.len() - text.trim_end_matches(['\r', '\n']).len();
    if text.ends_with("\n\n")
        || text.ends_with("\r\n\r\n")
        || (trailing > 0 && text.trim().is_empty())
    {
        let lines = text.lines().count() as u64;
        quirks.note(Quirk::EmptyLine, path, lines, None, String::new);
    }
    Ok(text)
}

fn parse_id(path: &Path, line: u64, column: &str, raw: &str) -> Result<i32, Problem> {
    let raw = raw.trim();
    raw.parse()
        .map_err(|_| Problem::value(path, line, column, raw, "is not an integer"))
}

/// Builds a record from id, raw title and genre names, noting title and
/// genre quirks.
fn movie_record<'a>(
    path: &Path,
    line: u64,
    id: i32,
    raw_title: &str,
    genre_names: impl Iterator<Item = &'a str>,
    quirks: &mut Quirks,
) -> Result<MovieRecord, Problem> {
    let parsed = parse_title(raw_title);
    if parsed.title.is_empty() {
        return Err(Problem::value(path, line, "title", raw_title, "is empty"));
    }
    let id_opt = Some(id);
    let title_quirks = [
        (parsed.no_year, Quirk::TitleWithoutYear),
        (parsed.year_range, Quirk::YearRange),
        (parsed.year_not_last, Quirk::YearNotLast),
        (parsed.trimmed, Quirk::TitleTrimmed),
        (parsed.article_moved, Quirk::ArticleMoved),
        (raw_title.contains([',', '"']), Quirk::QuotedTitle),
    ];
    for (seen, quirk) in title_quirks {
        if seen {
            quirks.note(quirk, path, line, id_opt, || format!("{raw_title:?}"));
        }
    }
    let mut genres = Vec::new();
    let mut listed_none = false;
    for name in genre_names {
        match match_genre(name) {
            GenreMatch::Genre(g) => genres.push(g),
            GenreMatch::NoGenres => listed_none = true,
            GenreMatch::Unknown => quirks.note(Quirk::UnknownGenre, path, line, id_opt, || {
                format!("unknown genre `{}`", name.trim())
            }),
        }
    }
    if listed_none && genres.is_empty() {
        quirks.note(Quirk::NoGenresListed, path, line, id_opt, String::new);
    }
    genres.sort_unstable();
    genres.dedup();
    Ok(MovieRecord {
        source_id: id,
        line,
        title: parsed.title,
        year: parsed.year,
        genres,
        ..MovieRecord::default()
    })
}

/// Keeps the first record of each movieId.
fn push_unique(
    movies: &mut Vec<MovieRecord>,
    seen: &mut HashMap<i32, u64>,
    record: MovieRecord,
    path: &Path,
    line: u64,
    quirks: &mut Quirks,
) {
    if let Some(first) = seen.get(&record.source_id) {
        quirks.note(
            Quirk::DuplicateMovie,
            path,
            line,
            Some(record.source_id),
            || format!("movieId listed again (first on line {first})"),
        );
        return;
    }
    seen.insert(record.source_id, line);
    movies.push(record);
}

fn read_movies_lines(
    path: &Path,
    layout: Layout,
    errors: &mut LineErrors,
    quirks: &mut Quirks,
) -> Result<Vec<MovieRecord>, DatasetError> {
    let text = read_text(path, quirks)?;
    let mut movies = Vec::new();
    let mut seen = HashMap::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let parsed = if layout == Layout::Ml100k {
            let fields: Vec<&str> = raw.split('|').collect();
            if fields.len() < 5 + ML100K_GENRES.len() {
                Err(Problem::line(
                    path,
                    line,
                    "expected id|title|date|video date|url|19 genre flags",
                ))
            } else {
                parse_id(path, line, "movie id", fields[0]).and_then(|id| {
                    let flags = fields[5..5 + ML100K_GENRES.len()].iter().zip(ML100K_GENRES);
                    let names = flags.filter(|(f, _)| f.trim() == "1").map(|(_, n)| n);
                    movie_record(path, line, id, fields[1], names, quirks)
                })
            }
        } else {
            let fields: Vec<&str> = raw.split("::").collect();
            if fields.len() < 3 {
                Err(Problem::line(path, line, "expected MovieID::Title::Genres"))
            } else {
                parse_id(path, line, "MovieID", fields[0]).and_then(|id| {
                    movie_record(path, line, id, fields[1], fields[2].split('|'), quirks)
                })
            }
        };
        if let Some(record) = errors.handle(parsed)? {
            push_unique(&mut movies, &mut seen, record, path, line, quirks);
        }
    }
    Ok(movies)
}

/// Column positions of a csv file, by header name.
struct Columns {
    names: Vec<String>,
}

impl Columns {
    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|h| h.trim() == name)
    }

    fn require(&self, name: &str, path: &Path) -> Result<usize, DatasetError> {
        self.find(name).ok_or_else(|| {
            DatasetError::Invalid(Problem::line(path, 1, format!("missing column `{name}`")))
        })
    }
}

/// An optional number column: empty or missing is `None`.
fn optional_number<T>(
    record: &csv::StringRecord,
    col: Option<usize>,
    name: &str,
    range: std::ops::RangeInclusive<T>,
    path: &Path,
    line: u64,
) -> Result<Option<T>, Problem>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let Some(raw) = non_empty(col.and_then(|c| record.get(c))) else {
        return Ok(None);
    };
    match raw.parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(Some(value)),
        _ => Err(Problem::value(
            path,
            line,
            name,
            &raw,
            &format!("is not a number in {}..={}", range.start(), range.end()),
        )),
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn csv_problem(path: &Path, err: &csv::Error) -> Problem {
    let line = err.position().map_or(0, csv::Position::line);
    Problem::line(path, line, err.to_string())
}

/// A CSV reader over `text` that accepts records of any length: each parser checks the columns
/// it needs and decides what a short line is (an error naming the line, or a quirk).
fn lenient_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// A record's line number and what `parse` makes of it; a record the CSV reader could not read
/// is a problem at line 0.
fn parse_record<T>(
    path: &Path,
    record: csv::Result<csv::StringRecord>,
    parse: impl FnOnce(&csv::StringRecord, u64) -> Result<T, Problem>,
) -> (u64, Result<T, Problem>) {
    match record {
        Err(err) => (0, Err(csv_problem(path, &err))),
        Ok(record) => {
            let line = record.position().map_or(0, csv::Position::line);
            (line, parse(&record, line))
        }
    }
}

fn read_movies_csv(
    path: &Path,
    errors: &mut LineErrors,
    quirks: &mut Quirks,
) -> Result<Vec<MovieRecord>, DatasetError> {
    let text = read_text(path, quirks)?;
    let mut reader = lenient_reader(&text);
    let headers = reader
        .headers()
        .map_err(|e| DatasetError::Invalid(csv_problem(path, &e)))?;
    let columns = Columns {
        names: headers.iter().map(str::to_owned).collect(),
    };
    let id_col = columns.require("movieId", path)?;
    let title_col = columns.require("title", path)?;
    let genres_col = columns.require("genres", path)?;
    let overview_col = columns.find("overview");
    let poster_col = columns.find("poster_url");
    let popularity_col = columns.find("popularity");
    let price_col = columns.find("price");
    let stock_col = columns.find("stock");
    let mut movies = Vec::new();
    let mut seen = HashMap::new();
    for record in reader.records() {
        let (line, parsed) = parse_record(path, record, |record, line| {
            if record.len() < 3 {
                return Err(Problem::line(path, line, "expected movieId,title,genres"));
            }
            let id = parse_id(path, line, "movieId", record.get(id_col).unwrap_or(""))?;
            let genres = record.get(genres_col).unwrap_or("").split('|');
            let title = record.get(title_col).unwrap_or("");
            let mut movie = movie_record(path, line, id, title, genres, quirks)?;
            movie.overview = non_empty(overview_col.and_then(|c| record.get(c)));
            movie.poster_url = non_empty(poster_col.and_then(|c| record.get(c)));
            movie.popularity = match non_empty(popularity_col.and_then(|c| record.get(c))) {
                None => None,
                Some(raw) => match raw.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(v),
                    _ => {
                        return Err(Problem::value(
                            path,
                            line,
                            "popularity",
                            &raw,
                            "is not a finite number",
                        ));
                    }
                },
            };
            movie.price = optional_number(record, price_col, "price", 0..=MAX_PRICE, path, line)?;
            movie.stock = optional_number(record, stock_col, "stock", 0..=MAX_STOCK, path, line)?;
            Ok(movie)
        });
        if let Some(record) = errors.handle(parsed)? {
            push_unique(&mut movies, &mut seen, record, path, line, quirks);
        }
    }
    Ok(movies)
}

/// A link id column: blank or `0` means none.
fn link_id(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim)
        .filter(|v| !v.is_empty() && v.bytes().any(|b| b != b'0'))
}

/// Fills IMDb and TMDB ids from links.csv. An id given to several movieIds
/// stays with the lowest movieId (the columns are unique).
fn read_links(
    path: &Path,
    movies: &mut [MovieRecord],
    errors: &mut LineErrors,
    quirks: &mut Quirks,
) -> Result<(), DatasetError> {
    let text = read_text(path, quirks)?;
    let index: HashMap<i32, usize> = movies
        .iter()
        .enumerate()
        .map(|(i, m)| (m.source_id, i))
        .collect();
    let mut line_of: HashMap<i32, u64> = HashMap::new();
    let mut reader = lenient_reader(&text);
    for record in reader.records() {
        let (line, parsed) = parse_record(path, record, |r, line| {
            let id = parse_id(path, line, "movieId", r.get(0).unwrap_or(""))?;
            let blank = |raw: Option<&str>| raw.is_some_and(|v| link_id(Some(v)).is_none());
            if blank(r.get(1)) || blank(r.get(2)) || r.len() < 3 {
                quirks.note(Quirk::BlankLinkId, path, line, Some(id), String::new);
            }
            let imdb = match link_id(r.get(1)) {
                None => None,
                Some(raw) => {
                    let digits = raw.strip_prefix("tt").unwrap_or(raw);
                    let n: u32 = digits.parse().map_err(|_| {
                        Problem::value(path, line, "imdbId", raw, "is not an IMDb number")
                    })?;
                    if digits.len() < 7 {
                        quirks.note(Quirk::UnpaddedImdbId, path, line, Some(id), || {
                            format!("imdbId `{raw}`")
                        });
                    }
                    Some(format!("tt{n:07}"))
                }
            };
            let tmdb =
                match link_id(r.get(2)) {
                    None => None,
                    Some(raw) => Some(raw.parse::<i32>().map_err(|_| {
                        Problem::value(path, line, "tmdbId", raw, "is not an integer")
                    })?),
                };
            Ok((id, imdb, tmdb))
        });
        if let Some((id, imdb, tmdb)) = errors.handle(parsed)?
            && let Some(&i) = index.get(&id)
        {
            movies[i].imdb_id = imdb;
            movies[i].tmdb_id = tmdb;
            line_of.insert(id, line);
        }
    }
    release_duplicate_links(movies, path, &line_of, quirks);
    Ok(())
}

/// Who keeps each TMDB and IMDb id (both unique in the catalogue): the
/// first holder to claim an id keeps it; a later claimant goes without and
/// the case is reported. `H` names a holder in reports (its `Display`).
#[derive(Debug)]
pub struct LinkClaims<H> {
    tmdb: HashMap<i32, H>,
    imdb: HashMap<String, H>,
}

impl<H> Default for LinkClaims<H> {
    fn default() -> Self {
        LinkClaims {
            tmdb: HashMap::new(),
            imdb: HashMap::new(),
        }
    }
}

impl<H: Copy + PartialEq + std::fmt::Display> LinkClaims<H> {
    /// Records that `holder` has these ids already (e.g. in the catalogue).
    pub fn hold(&mut self, holder: H, tmdb: Option<i32>, imdb: Option<&str>) {
        if let Some(t) = tmdb {
            self.tmdb.insert(t, holder);
        }
        if let Some(i) = imdb {
            self.imdb.insert(i.to_owned(), holder);
        }
    }

    /// Forgets these ids (their holder is about to give them up).
    pub fn release(&mut self, tmdb: Option<i32>, imdb: Option<&str>) {
        if let Some(t) = tmdb {
            self.tmdb.remove(&t);
        }
        if let Some(i) = imdb {
            self.imdb.remove(i);
        }
    }

    /// `me` claims `movie`'s ids; an id someone else holds is taken off
    /// `movie` and counted at `path:line`.
    pub fn claim(
        &mut self,
        me: H,
        movie: &mut MovieRecord,
        path: &Path,
        line: u64,
        quirks: &mut Quirks,
    ) {
        let id = Some(movie.source_id);
        if let Some(t) = movie.tmdb_id {
            match self.tmdb.get(&t) {
                Some(&holder) if holder != me => {
                    quirks.note(Quirk::DuplicateTmdbId, path, line, id, || {
                        format!("tmdbId {t} stays on {holder}")
                    });
                    movie.tmdb_id = None;
                }
                _ => {
                    self.tmdb.insert(t, me);
                }
            }
        }
        if let Some(i) = movie.imdb_id.take() {
            match self.imdb.get(&i) {
                Some(&holder) if holder != me => {
                    quirks.note(Quirk::DuplicateImdbId, path, line, id, || {
                        format!("imdbId {i} stays on {holder}")
                    });
                }
                _ => {
                    self.imdb.insert(i.clone(), me);
                    movie.imdb_id = Some(i);
                }
            }
        }
    }
}

/// A movieId of the file, as a link holder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileMovie(i32);

impl std::fmt::Display for FileMovie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "movieId {}", self.0)
    }
}

/// Leaves each IMDb and TMDB id on the lowest movieId that has it.
fn release_duplicate_links(
    movies: &mut [MovieRecord],
    path: &Path,
    line_of: &HashMap<i32, u64>,
    quirks: &mut Quirks,
) {
    let mut order: Vec<usize> = (0..movies.len()).collect();
    order.sort_by_key(|&i| movies[i].source_id);
    let mut claims = LinkClaims::default();
    for i in order {
        let movie = &mut movies[i];
        let line = line_of.get(&movie.source_id).copied().unwrap_or(0);
        claims.claim(FileMovie(movie.source_id), movie, path, line, quirks);
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn write(dir: &Path, name: &str, text: &[u8]) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("cinerank-dataset-{name}-{}", std::process::id()))
    }

    #[test]
    fn a_shared_tmdb_id_stays_on_the_lowest_movie_id() {
        let dir = temp("links");
        write(
            &dir,
            "movies.csv",
            b"movieId,title,genres\n5,Five (2000),Drama\n2,Two (2000),Drama\n9,Nine (2001),IMAX\n",
        );
        write(
            &dir,
            "links.csv",
            b"movieId,imdbId,tmdbId\n5,114709,862\n2,0114709,862\n9,0,\n",
        );
        let (mut errors, mut quirks) = (LineErrors::new(false), Quirks::default());
        let movies = read_movies(&dir, Layout::Csv, &mut errors, &mut quirks).unwrap();
        let by_id = |id| movies.iter().find(|m| m.source_id == id).unwrap();
        assert_eq!(by_id(2).tmdb_id, Some(862));
        assert_eq!(by_id(2).imdb_id.as_deref(), Some("tt0114709"));
        assert_eq!(
            (by_id(5).tmdb_id, by_id(5).imdb_id.as_deref()),
            (None, None)
        );
        assert_eq!(quirks.count(Quirk::DuplicateTmdbId), 1);
        assert_eq!(quirks.count(Quirk::DuplicateImdbId), 1);
        assert_eq!(quirks.count(Quirk::UnpaddedImdbId), 1);
        assert_eq!(quirks.count(Quirk::BlankLinkId), 1);
        assert_eq!(quirks.count(Quirk::UnknownGenre), 1);
        assert!(by_id(9).genres.is_empty());
        let (_, tally) = quirks
            .iter()
            .find(|(q, _)| *q == Quirk::DuplicateTmdbId)
            .unwrap();
        assert_eq!(
            tally.examples[0].to_string(),
            "links.csv:2 movieId 5: tmdbId 862 stays on movieId 2"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn u_item_is_latin1_with_genre_flags() {
        let dir = temp("uitem");
        let flags = "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
        let unknown = "|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0";
        let text = format!(
            "1|Toy Story (1995)|01-Jan-1995||http://x{flags}\n267|unknown||||{}\n2|Caf\u{e9} (1990)|01-Jan-1990||x{flags}\n",
            &unknown[1..]
        );
        let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect();
        write(&dir, "u.item", &bytes);
        let movies = read_movies_file(&dir.join("u.item")).unwrap();
        assert_eq!(movies[0].genres, ["Animation", "Comedy", "Family"]);
        assert_eq!(
            (movies[1].title.as_str(), movies[1].year),
            ("unknown", None)
        );
        assert!(movies[1].genres.is_empty());
        assert_eq!(movies[2].title, "Café");
        std::fs::remove_dir_all(&dir).ok();
    }
}
