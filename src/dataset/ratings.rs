//! Rating files: `ratings.csv` (`userId,movieId,rating,timestamp` with a
//! header), ml-100k's `u.data` (tab-separated) and ml-1m's `ratings.dat`
//! (`::`-separated), read line by line so a 25M-line file streams in
//! constant memory.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::error::{DatasetError, Problem};
use super::quirks::{Quirk, Quirks};
use super::text::decode_line;

/// A rating on cinerank's scale: 0.5 to 5.0 stars in half-star steps, kept
/// as the whole number of half stars (1..=10) so sums stay exact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HalfStars(i16);

impl HalfStars {
    /// Half stars of 0.5 stars.
    pub const MIN: i16 = 1;
    /// Half stars of 5.0 stars.
    pub const MAX: i16 = 10;

    /// From a count of half stars, if it is in 1..=10.
    pub fn new(half_stars: i16) -> Option<HalfStars> {
        (Self::MIN..=Self::MAX)
            .contains(&half_stars)
            .then_some(HalfStars(half_stars))
    }

    /// From stars (`3.5`), if they are exactly 0.5–5.0 in steps of 0.5 (the
    /// API, the importer and the seed all accept ratings through here).
    /// Every half step is exact in binary, so no tolerance is needed.
    pub fn from_stars(stars: f64) -> Option<HalfStars> {
        let doubled = stars * 2.0;
        let whole = doubled.is_finite() && doubled.fract() == 0.0;
        // Whole and in range after this check, so the cast cannot truncate.
        (whole && (f64::from(Self::MIN)..=f64::from(Self::MAX)).contains(&doubled))
            .then_some(HalfStars(doubled as i16))
    }

    /// Parses stars as written in a file (`4`, `3.5`, ` 4.0 `).
    pub fn parse(raw: &str) -> Option<HalfStars> {
        Self::from_stars(raw.trim().parse().ok()?)
    }

    /// The number of half stars, 1..=10.
    pub fn get(self) -> i16 {
        self.0
    }

    /// The rating in stars, 0.5..=5.0.
    pub fn stars(self) -> f32 {
        f32::from(self.0) / 2.0
    }
}

/// One rating line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RatingRecord {
    /// The file's user id.
    pub user: i32,
    /// The file's movie id.
    pub movie: i32,
    /// The rating.
    pub half_stars: HalfStars,
    /// Unix seconds.
    pub timestamp: i64,
}

/// How a rating file separates its columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatingFormat {
    /// `userId,movieId,rating,timestamp`, with a header line.
    Csv,
    /// `user<TAB>item<TAB>rating<TAB>timestamp` (ml-100k, evaluation splits).
    Tab,
    /// `UserID::MovieID::Rating::Timestamp` (ml-1m).
    DoubleColon,
}

impl RatingFormat {
    /// Guesses the format from a file's first line.
    pub fn detect(path: &Path) -> Result<RatingFormat, DatasetError> {
        let file = std::fs::File::open(path).map_err(|e| DatasetError::io(path, e))?;
        let mut first = Vec::new();
        BufReader::new(file)
            .read_until(b'\n', &mut first)
            .map_err(|e| DatasetError::io(path, e))?;
        Ok(if first.contains(&b'\t') {
            RatingFormat::Tab
        } else if first.windows(2).any(|w| w == b"::") {
            RatingFormat::DoubleColon
        } else {
            RatingFormat::Csv
        })
    }

    fn columns(self) -> ([&'static str; 4], &'static str) {
        match self {
            RatingFormat::Csv => (
                ["userId", "movieId", "rating", "timestamp"],
                "expected userId,movieId,rating,timestamp",
            ),
            RatingFormat::Tab => (
                ["user id", "item id", "rating", "timestamp"],
                "expected user<TAB>item<TAB>rating<TAB>timestamp",
            ),
            RatingFormat::DoubleColon => (
                ["UserID", "MovieID", "Rating", "Timestamp"],
                "expected UserID::MovieID::Rating::Timestamp",
            ),
        }
    }

    /// Parses one data line (not the header, not empty).
    pub fn parse_line(self, path: &Path, line: u64, text: &str) -> Result<RatingRecord, Problem> {
        let (fields, count) = match self {
            RatingFormat::Csv => first_four(text.split(',')),
            RatingFormat::Tab => first_four(text.split('\t')),
            RatingFormat::DoubleColon => first_four(text.split("::")),
        };
        let (names, expected) = self.columns();
        if count < 4 {
            return Err(Problem::line(path, line, expected));
        }
        fn int<T: std::str::FromStr>(
            path: &Path,
            line: u64,
            name: &str,
            raw: &str,
        ) -> Result<T, Problem> {
            let raw = raw.trim();
            raw.parse()
                .map_err(|_| Problem::value(path, line, name, raw, "is not an integer"))
        }
        let rating = fields[2].trim();
        let half_stars = HalfStars::parse(rating).ok_or_else(|| {
            Problem::value(
                path,
                line,
                names[2],
                rating,
                "is not 0.5–5.0 in steps of 0.5",
            )
        })?;
        Ok(RatingRecord {
            user: int(path, line, names[0], fields[0])?,
            movie: int(path, line, names[1], fields[1])?,
            half_stars,
            timestamp: int(path, line, names[3], fields[3])?,
        })
    }
}

/// The first four fields of a line and how many there were (up to 4).
fn first_four<'a>(parts: impl Iterator<Item = &'a str>) -> ([&'a str; 4], usize) {
    let mut fields = [""; 4];
    let mut count = 0;
    for field in parts.take(4) {
        fields[count] = field;
        count += 1;
    }
    (fields, count)
}

/// Reads a rating file line by line.
pub struct RatingReader {
    reader: BufReader<std::fs::File>,
    path: PathBuf,
    format: RatingFormat,
    line: u64,
    bytes_read: u64,
    buffer: Vec<u8>,
    crlf_seen: bool,
    latin1_seen: bool,
}

impl RatingReader {
    /// Opens `path` in `format`.
    pub fn open(path: &Path, format: RatingFormat) -> Result<RatingReader, DatasetError> {
        let file = std::fs::File::open(path).map_err(|e| DatasetError::io(path, e))?;
        Ok(RatingReader {
            reader: BufReader::with_capacity(1 << 20, file),
            path: path.to_owned(),
            format,
            line: 0,
            bytes_read: 0,
            buffer: Vec::with_capacity(256),
            crlf_seen: false,
            latin1_seen: false,
        })
    }

    /// The last line number read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next rating: `Ok(None)` at the end of the file, `Ok(Some(Err))`
    /// for a malformed line (the caller decides whether that stops it).
    /// The header and empty lines are passed over; file-level quirks go
    /// into `quirks`.
    pub fn next_record(
        &mut self,
        quirks: &mut Quirks,
    ) -> Result<Option<Result<RatingRecord, Problem>>, DatasetError> {
        loop {
            self.buffer.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| DatasetError::io(&self.path, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            self.bytes_read += read as u64;
            let (text, decoded) = decode_line(&self.buffer);
            let (path, line) = (self.path.as_path(), self.line);
            if decoded.bom {
                quirks.note(Quirk::ByteOrderMark, path, line, None, String::new);
            }
            if decoded.crlf && !self.crlf_seen {
                self.crlf_seen = true;
                quirks.note(Quirk::CrlfLineEndings, path, line, None, String::new);
            }
            if decoded.latin1 && !self.latin1_seen {
                self.latin1_seen = true;
                quirks.note(Quirk::Latin1Text, path, line, None, String::new);
            }
            if text.trim().is_empty() {
                quirks.note(Quirk::EmptyLine, path, line, None, String::new);
                continue;
            }
            let is_header = line == 1
                && text
                    .trim_start()
                    .get(..4)
                    .is_some_and(|s| s.eq_ignore_ascii_case("user"));
            if is_header {
                continue;
            }
            return Ok(Some(self.format.parse_line(path, line, &text)));
        }
    }
}

/// Reads a whole rating file strictly (for evaluation): its format is
/// detected from the first line.
pub fn read_ratings_file(path: &Path) -> Result<(Vec<RatingRecord>, Quirks), DatasetError> {
    let mut reader = RatingReader::open(path, RatingFormat::detect(path)?)?;
    let mut quirks = Quirks::default();
    let mut ratings = Vec::new();
    while let Some(record) = reader.next_record(&mut quirks)? {
        ratings.push(record.map_err(DatasetError::Invalid)?);
    }
    Ok((ratings, quirks))
}

/// Notices a (user, movie) pair rated twice, exactly, in one pass. MovieLens
/// files list each user's ratings together, so only the current user's
/// movies are kept in a set; users already passed keep a sorted list (four
/// bytes a rating), consulted only if a user comes back later.
#[derive(Default)]
pub struct RepeatTracker {
    current_user: Option<i32>,
    current: HashSet<i32>,
    finished: HashMap<i32, Box<[i32]>>,
    returned: bool,
    repeats: u64,
}

impl RepeatTracker {
    /// Records a rating; true when the pair was rated before.
    pub fn is_repeat(&mut self, user: i32, movie: i32) -> bool {
        if self.current_user != Some(user) {
            self.finish_current();
            self.current_user = Some(user);
            if let Some(earlier) = self.finished.remove(&user) {
                self.returned = true;
                self.current.extend(earlier.iter().copied());
            }
        }
        let repeat = !self.current.insert(movie);
        self.repeats += u64::from(repeat);
        repeat
    }

    fn finish_current(&mut self) {
        if let Some(user) = self.current_user.take() {
            let mut movies: Vec<i32> = self.current.drain().collect();
            movies.sort_unstable();
            self.finished.insert(user, movies.into_boxed_slice());
        }
    }

    /// Whether a pair may appear twice: a repeat was seen, or a user came
    /// back after others (so their lines are not together).
    pub fn may_repeat(&self) -> bool {
        self.repeats > 0 || self.returned
    }

    /// Repeated lines seen so far.
    pub fn repeats(&self) -> u64 {
        self.repeats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_stars_accept_the_scale_only() {
        assert_eq!(HalfStars::parse("3.5").map(HalfStars::get), Some(7));
        assert_eq!(HalfStars::parse(" 5 ").map(HalfStars::get), Some(10));
        assert_eq!(HalfStars::parse("0.5").map(HalfStars::stars), Some(0.5));
        for bad in ["0", "5.5", "3.2", "NaN", "inf", "x", ""] {
            assert_eq!(HalfStars::parse(bad), None, "{bad}");
        }
        assert_eq!(HalfStars::new(11), None);
    }

    #[test]
    fn lines_parse_in_each_format_and_errors_name_the_column() {
        let p = Path::new("ratings.csv");
        let r = RatingFormat::Csv.parse_line(p, 2, "1,2,4.5,9").unwrap();
        assert_eq!(
            (r.user, r.movie, r.half_stars.get(), r.timestamp),
            (1, 2, 9, 9)
        );
        let r = RatingFormat::Tab.parse_line(p, 1, "1\t2\t3\t99").unwrap();
        assert_eq!(r.half_stars.get(), 6);
        let r = RatingFormat::DoubleColon
            .parse_line(p, 1, "1::2::3::99")
            .unwrap();
        assert_eq!(r.movie, 2);
        let err = RatingFormat::Csv.parse_line(p, 3, "x,2,4.0,1").unwrap_err();
        assert_eq!(err.column.as_deref(), Some("userId"));
        assert_eq!(err.value.as_deref(), Some("x"));
        assert_eq!(
            err.to_string(),
            "ratings.csv:3: userId `x` is not an integer"
        );
        assert!(RatingFormat::Csv.parse_line(p, 3, "1,2").is_err());
    }

    #[test]
    fn repeats_are_found_within_and_across_a_users_lines() {
        let mut t = RepeatTracker::default();
        assert!(!t.is_repeat(1, 10));
        assert!(t.is_repeat(1, 10));
        assert!(!t.is_repeat(2, 10));
        assert!(!t.may_repeat() || t.repeats() == 1);
        assert!(t.is_repeat(1, 10), "user 1 came back");
        assert!(!t.is_repeat(1, 11));
        assert_eq!(t.repeats(), 2);
        assert!(t.may_repeat());
    }
}
