//! Title search that finds what people type. Two steps, so both databases
//! answer the same:
//!
//! 1. **Candidates** come from the database's own trigram index over
//!    `movies.search_key` (see the search migration): SQLite's FTS5
//!    `trigram` table, PostgreSQL's `pg_trgm` GIN index. They hold every
//!    movie whose key contains the query (or its longest word) and, when a
//!    word is long enough to carry a typo, the movies sharing the most
//!    trigrams with the query.
//! 2. **Matching and ranking** happen here, in plain Rust ([`match_title`]):
//!    the whole query in the key beats every word in it, which beats a word
//!    with one typo; ties go to the more rated movie.
//!
//! Keys are letters and digits only ([`migration::search_key`]), so
//! "spiderman", "spider man" and "Spider-Man" are the same to search, and a
//! key never needs `LIKE` escaping.

use migration::search_key;

/// Shortest word in which one typo is forgiven.
pub const TYPO_MIN_CHARS: usize = 5;
/// Fuzzy candidates taken from the index per search (the best by trigram overlap).
pub const FUZZY_CANDIDATES: u64 = 300;

/// A search query in key form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// All of it, compacted (`spiderman` for "spider man").
    pub compact: String,
    /// Its words, compacted, longest first.
    pub words: Vec<String>,
}

impl SearchQuery {
    /// `None` when the text has no letter or digit to search for.
    pub fn parse(text: &str) -> Option<SearchQuery> {
        let compact = search_key(text);
        if compact.is_empty() {
            return None;
        }
        let mut words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .map(search_key)
            .filter(|w| !w.is_empty())
            .collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        words.dedup();
        Some(SearchQuery { compact, words })
    }

    /// The longest word (what the candidate index is asked for besides the
    /// whole query).
    pub fn longest_word(&self) -> &str {
        self.words.first().map_or(&self.compact, String::as_str)
    }

    /// Whether any word is long enough for typo tolerance (and so for the
    /// fuzzy candidates).
    pub fn allows_typos(&self) -> bool {
        self.words
            .iter()
            .any(|w| w.chars().count() >= TYPO_MIN_CHARS)
    }

    /// The query's distinct trigrams (for the fuzzy candidate lookup).
    pub fn trigrams(&self) -> Vec<String> {
        let chars: Vec<char> = self.compact.chars().collect();
        let mut out: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
        out.sort();
        out.dedup();
        out
    }
}

/// How a title matches a query, best last (so `Ord` ranks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TitleMatch {
    /// Not the title: a person credited on the movie matches.
    ByPerson,
    /// Every word is in the title, one of them with one typo.
    WithTypo,
    /// The title is the query with one typo.
    NearlyExact,
    /// Every word is in the title, not necessarily together.
    AllWords,
    /// The whole query is in the title, starting inside a word.
    Contains,
    /// The whole query is in the title from the start of a word, ending
    /// inside one ("the lord" in *The Lords of Flatbush*).
    WordStart,
    /// The whole query is in the title as whole words ("the lord" in *The
    /// Lord of the Rings*, "matrix" in *The Matrix*).
    WholeWords,
    /// The title is the query.
    Exact,
}

/// Where in `search_key(title)` the title's words begin and end (in chars).
struct WordBounds {
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl WordBounds {
    fn of(title: &str) -> WordBounds {
        let (mut starts, mut ends) = (Vec::new(), Vec::new());
        let mut offset = 0;
        let mut in_word = false;
        for c in title.chars() {
            if c.is_alphanumeric() {
                if !in_word {
                    starts.push(offset);
                }
                in_word = true;
                offset += c.to_lowercase().count();
            } else {
                if in_word {
                    ends.push(offset);
                }
                in_word = false;
            }
        }
        if in_word {
            ends.push(offset);
        }
        WordBounds { starts, ends }
    }
}

/// How a movie's `title` (with `key`, its [`search_key`]) matches `query`;
/// `None` when it does not.
pub fn match_title(query: &SearchQuery, title: &str, key: &str) -> Option<TitleMatch> {
    if key == query.compact {
        return Some(TitleMatch::Exact);
    }
    let bounds = WordBounds::of(title);
    let key: Vec<char> = key.chars().collect();
    let whole: Vec<char> = query.compact.chars().collect();
    let places: Vec<usize> = (0..=key.len().saturating_sub(whole.len()))
        .filter(|&at| key[at..].starts_with(&whole))
        .collect();
    if !places.is_empty() {
        let starts_word = |at: &usize| bounds.starts.contains(at);
        let ends_word = |at: &usize| bounds.ends.contains(&(at + whole.len()));
        return Some(
            if places.iter().any(|at| starts_word(at) && ends_word(at)) {
                TitleMatch::WholeWords
            } else if places.iter().any(starts_word) {
                TitleMatch::WordStart
            } else {
                TitleMatch::Contains
            },
        );
    }
    let words: Vec<Vec<char>> = query.words.iter().map(|w| w.chars().collect()).collect();
    if words.iter().all(|w| contains_chars(&key, w)) {
        return Some(TitleMatch::AllWords);
    }
    // Typos: the misspelt stretch must begin where a word of the title does,
    // so "matrix" does not find *Adam at Six A.M.* through "…m at six…".
    let close_at_a_word = |pattern: &[char]| {
        pattern.len() >= TYPO_MIN_CHARS
            && bounds
                .starts
                .iter()
                // `get`: a key that does not match its title (a row written
                // outside cinerank) must not panic a request.
                .filter_map(|&start| key.get(start..))
                .any(|rest| within_one_edit_of_a_prefix(pattern, rest))
    };
    if close_at_a_word(&whole) {
        return Some(if one_edit_apart(&whole, &key) {
            TitleMatch::NearlyExact
        } else {
            TitleMatch::WithTypo
        });
    }
    let every_word_close = words
        .iter()
        .all(|w| contains_chars(&key, w) || close_at_a_word(w));
    every_word_close.then_some(TitleMatch::WithTypo)
}

/// Whether `a` and `b` are at most one edit apart as wholes.
fn one_edit_apart(a: &[char], b: &[char]) -> bool {
    let common_prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[common_prefix..], &b[common_prefix..]);
    let common_suffix = (a.iter().rev().zip(b.iter().rev()))
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - common_suffix], &b[..b.len() - common_suffix]);
    match (a.len(), b.len()) {
        (0, 0) | (0, 1) | (1, 0) | (1, 1) => true,
        // Neighbours swapped: `ab` against `ba`.
        (2, 2) => a[0] == b[1] && a[1] == b[0],
        _ => false,
    }
}

fn contains_chars(haystack: &[char], needle: &[char]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether some prefix of `text` is at most one edit (insertion, deletion,
/// substitution or swap of neighbours) from `pattern`: one row of the
/// Damerau–Levenshtein table at a time, anchored at the start of `text`
/// and free at its end.
fn within_one_edit_of_a_prefix(pattern: &[char], text: &[char]) -> bool {
    let m = pattern.len();
    // row[i]: edits between pattern[..i] and the text read so far.
    let mut before: Vec<usize> = (0..=m).collect();
    let mut previous: Vec<usize> = (0..=m).collect();
    let mut current = vec![0; m + 1];
    if previous[m] <= 1 {
        return true;
    }
    for (j, &t) in text.iter().enumerate() {
        current[0] = j + 1;
        for i in 1..=m {
            let substitution = previous[i - 1] + usize::from(pattern[i - 1] != t);
            let mut best = substitution.min(previous[i] + 1).min(current[i - 1] + 1);
            if i > 1 && j > 0 && pattern[i - 1] == text[j - 1] && pattern[i - 2] == t {
                best = best.min(before[i - 2] + 1);
            }
            current[i] = best;
        }
        if current[m] <= 1 {
            return true;
        }
        // Past two edits everywhere: no longer prefix can come back.
        if current.iter().all(|&d| d > 1) {
            return false;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(query: &str, title: &str) -> Option<TitleMatch> {
        match_title(
            &SearchQuery::parse(query).expect("query"),
            title,
            &search_key(title),
        )
    }

    #[test]
    fn spelling_spacing_and_punctuation_meet() {
        for query in ["spiderman", "spider man", "Spider-Man", "SPIDER-MAN"] {
            assert_eq!(
                matches(query, "Spider-Man"),
                Some(TitleMatch::Exact),
                "{query}"
            );
        }
        assert_eq!(
            matches("spidermn", "Spider-Man"),
            Some(TitleMatch::NearlyExact)
        );
        assert_eq!(
            matches("spidermn", "Spider-Man 2"),
            Some(TitleMatch::WithTypo)
        );
        assert_eq!(matches("spidremn", "Spider-Man"), None, "two typos");
        assert_eq!(
            matches("spiedrman", "Spider-Man 2"),
            Some(TitleMatch::WithTypo),
            "swap"
        );
        assert_eq!(matches("matrx", "The Matrix"), Some(TitleMatch::WithTypo));
        assert_eq!(matches("atrix", "Matrix"), Some(TitleMatch::Contains));
        assert_eq!(
            matches("matrix", "Adam at Six A.M."),
            None,
            "a typo starts a word"
        );
        assert_eq!(matches("mmatrix", "The Matrix"), Some(TitleMatch::WithTypo));
    }

    #[test]
    fn short_words_must_be_spelt_right() {
        assert_eq!(matches("up", "Up"), Some(TitleMatch::Exact));
        assert_eq!(matches("upp", "Up"), None);
        assert_eq!(
            matches("jawz", "Jaws"),
            None,
            "four letters: no typo allowed"
        );
    }

    #[test]
    fn better_matches_rank_higher() {
        assert_eq!(
            matches("the lord", "The Lords of Flatbush"),
            Some(TitleMatch::WordStart)
        );
        assert_eq!(
            matches("the lord", "The Lord of the Rings"),
            Some(TitleMatch::WholeWords)
        );
        assert_eq!(
            matches("matrix", "The Matrix"),
            Some(TitleMatch::WholeWords)
        );
        assert_eq!(matches("toy", "3:10 to Yuma"), Some(TitleMatch::WordStart));
        assert_eq!(matches("atrix", "The Matrix"), Some(TitleMatch::Contains));
        assert_eq!(
            matches("lord rings", "The Lord of the Rings: The Two Towers"),
            Some(TitleMatch::AllWords)
        );
        assert!(TitleMatch::Exact > TitleMatch::WholeWords);
        assert!(TitleMatch::WholeWords > TitleMatch::WordStart);
        assert!(TitleMatch::WordStart > TitleMatch::Contains);
        assert!(TitleMatch::Contains > TitleMatch::AllWords);
        assert!(TitleMatch::AllWords > TitleMatch::NearlyExact);
        assert!(TitleMatch::NearlyExact > TitleMatch::WithTypo);
    }

    #[test]
    fn queries_without_letters_or_digits_are_not_queries() {
        assert_eq!(SearchQuery::parse(" -- ! "), None);
        let query = SearchQuery::parse("spider man 2").expect("query");
        assert_eq!(query.compact, "spiderman2");
        assert_eq!(query.longest_word(), "spider");
        assert!(query.allows_typos());
        assert!(!SearchQuery::parse("up jaws").expect("query").allows_typos());
        assert_eq!(
            SearchQuery::parse("abcd").expect("query").trigrams(),
            vec!["abc", "bcd"]
        );
    }

    #[test]
    fn a_key_that_does_not_fit_its_title_is_no_match_not_a_panic() {
        let query = SearchQuery::parse("matrixx").expect("query");
        // An empty key (a row written without one) for a title with words.
        assert_eq!(match_title(&query, "The Matrix Reloaded", ""), None);
        assert_eq!(match_title(&query, "The Matrix Reloaded", "the"), None);
    }
}
