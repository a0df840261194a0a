//! MovieLens titles: `Heat (1995)`, `Matrix, The (1999)`,
//! `City of Lost Children, The (Cité des enfants perdus, La) (1995)`,
//! `Fawlty Towers (1975-1979)`, `Babylon 5` (no year), `Title (1995) (TV)`.
//!
//! The year comes out of the title into its own field. A leading article
//! that MovieLens moved to the end for sorting (`Matrix, The`) is put back
//! in front, as people write and search it (`The Matrix`), which also makes
//! MovieLens titles match the seed catalogue's; an alternative title in
//! parentheses is kept as MovieLens gives it.

/// Articles MovieLens moves behind the title (English and the common
/// European ones in its catalogue). `L'` joins the next word without a space.
const ARTICLES: [&str; 20] = [
    "The", "A", "An", "L'", "La", "Le", "Les", "Il", "Lo", "Gli", "El", "Los", "Las", "Das", "Der",
    "Die", "Den", "Det", "Une", "Un",
];

/// A title split into name and year, with what had to be repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedTitle {
    /// The title as shown, without the year.
    pub title: String,
    /// The (first) year from `(YYYY)` or `(YYYY-YYYY)`.
    pub year: Option<i32>,
    /// No `(YYYY)` anywhere in the title.
    pub no_year: bool,
    /// The year was a range such as `(2007-2011)` or `(2007–)`: its first year is kept.
    pub year_range: bool,
    /// Something followed the year (`Title (1995) (TV)`): kept in the title.
    pub year_not_last: bool,
    /// Leading or trailing spaces were trimmed.
    pub trimmed: bool,
    /// `Matrix, The` became `The Matrix`.
    pub article_moved: bool,
}

/// A `(YYYY)`, `(YYYY-YYYY)` or `(YYYY-)` group at byte `open` of `text`:
/// its closing byte, the year and whether it is a range.
fn year_group(text: &str, open: usize) -> Option<(usize, i32, bool)> {
    let rest = text.get(open + 1..)?;
    let digits = rest.get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = digits.parse().ok()?;
    let after = &rest[4..];
    if after.starts_with(')') {
        return Some((open + 5, year, false));
    }
    // A range: `-` or an en dash, then optionally the end year.
    let dash = ['-', '–'].into_iter().find(|d| after.starts_with(*d))?;
    let tail = &after[dash.len_utf8()..];
    let end_digits = tail.bytes().take_while(u8::is_ascii_digit).count();
    if (end_digits == 0 || end_digits == 4) && tail[end_digits..].starts_with(')') {
        let close = open + 1 + 4 + dash.len_utf8() + end_digits;
        return Some((close, year, true));
    }
    None
}

/// Splits a MovieLens title into title and year and restores a moved article.
pub fn parse_title(raw: &str) -> ParsedTitle {
    let trimmed = raw.trim();
    let mut parsed = ParsedTitle {
        trimmed: trimmed.len() != raw.len(),
        ..ParsedTitle::default()
    };
    // The last year-shaped group wins: `Title (1995) (TV)` has it before a note.
    let group = trimmed
        .rmatch_indices('(')
        .find_map(|(open, _)| Some((open, year_group(trimmed, open)?)));
    let name = match group {
        Some((open, (close, year, range))) if !trimmed[..open].trim().is_empty() => {
            let before = trimmed[..open].trim_end();
            let after = trimmed[close + 1..].trim();
            parsed.year = Some(year);
            parsed.year_range = range;
            parsed.year_not_last = !after.is_empty();
            if after.is_empty() {
                before.to_owned()
            } else {
                format!("{before} {after}")
            }
        }
        _ => {
            parsed.no_year = true;
            trimmed.to_owned()
        }
    };
    let (title, moved) = restore_article(&name);
    parsed.title = title;
    parsed.article_moved = moved;
    parsed
}

/// `Matrix, The` → `The Matrix`; `City of Lost Children, The (Cité …)` →
/// `The City of Lost Children (Cité …)`.
fn restore_article(name: &str) -> (String, bool) {
    let (primary, rest) = match name.find(" (") {
        Some(i) => name.split_at(i),
        None => (name, ""),
    };
    if let Some((head, article)) = primary.rsplit_once(", ")
        && !head.trim().is_empty()
        && let Some(article) = ARTICLES.iter().find(|a| **a == article.trim_end())
    {
        let space = if article.ends_with('\'') { "" } else { " " };
        return (format!("{article}{space}{head}{rest}"), true);
    }
    (name.to_owned(), false)
}

/// The series a title belongs to, as a key: lower case, without a
/// leading "The", a subtitle after `:` or a sequel number ("Scream 2",
/// "Scream 3" and "Scream" are all `scream`; "The Godfather Part II" is
/// `godfather`). Titles that share it are taken for one series (the generator links
/// them; "more like this" ranks them first).
pub fn series_of(title: &str) -> String {
    let main = title.split(':').next().unwrap_or(title).to_lowercase();
    let mut words: Vec<&str> = main.split_whitespace().collect();
    if words.first() == Some(&"the") && words.len() > 1 {
        words.remove(0);
    }
    let is_sequel_mark = |w: &str| {
        w.chars().all(|c| c.is_ascii_digit())
            || matches!(
                w,
                "ii" | "iii" | "iv" | "v" | "vi" | "vii" | "viii" | "ix" | "x" | "part"
            )
    };
    while words.len() > 1 && words.last().is_some_and(|w| is_sequel_mark(w)) {
        words.pop();
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(raw: &str) -> (String, Option<i32>) {
        let p = parse_title(raw);
        (p.title, p.year)
    }

    #[test]
    fn the_year_comes_out_of_the_title() {
        assert_eq!(split("Heat (1995)"), ("Heat".into(), Some(1995)));
        let p = parse_title("Babylon 5 (1994) ");
        assert_eq!(
            (p.title.as_str(), p.year, p.trimmed),
            ("Babylon 5", Some(1994), true)
        );
        assert_eq!(split("Untitled (draft)"), ("Untitled (draft)".into(), None));
        assert_eq!(split("(1999)"), ("(1999)".into(), None));
        assert!(parse_title("Babylon 5").no_year);
        assert!(parse_title("unknown").no_year);
    }

    #[test]
    fn year_ranges_and_years_before_a_note_are_understood() {
        let p = parse_title("Fawlty Towers (1975-1979)");
        assert_eq!(
            (p.title.as_str(), p.year, p.year_range),
            ("Fawlty Towers", Some(1975), true)
        );
        let p = parse_title("Death Note: Desu nôto (2006–2007)");
        assert_eq!(
            (p.title.as_str(), p.year),
            ("Death Note: Desu nôto", Some(2006))
        );
        let p = parse_title("The Big Bang Theory (2007-)");
        assert_eq!((p.year, p.year_range), (Some(2007), true));
        let p = parse_title("Mortal Kombat (1995) (Director's Cut)");
        assert_eq!(p.title, "Mortal Kombat (Director's Cut)");
        assert_eq!((p.year, p.year_not_last), (Some(1995), true));
    }

    #[test]
    fn a_moved_article_goes_back_in_front() {
        let p = parse_title("Matrix, The (1999)");
        assert_eq!((p.title.as_str(), p.article_moved), ("The Matrix", true));
        assert_eq!(
            split("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
            (
                "The City of Lost Children (Cité des enfants perdus, La)".into(),
                Some(1995)
            )
        );
        assert_eq!(split("Avventura, L' (1960)").0, "L'Avventura");
        assert_eq!(
            split("Adventures of Robin Hood, The (1938)").0,
            "The Adventures of Robin Hood"
        );
        // A comma that is not an article stays.
        assert_eq!(
            split("Crouching Tiger, Hidden Dragon (2000)").0,
            "Crouching Tiger, Hidden Dragon"
        );
        assert_eq!(split("Hello, Dolly! (1969)").0, "Hello, Dolly!");
        assert!(!parse_title("Heat (1995)").article_moved);
    }
}
