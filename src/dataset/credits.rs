//! `credits.csv`: who is credited on which movie of a release folder
//! (`movieId,role,position,name[,character]`), as the seed folder ships it.
//! MovieLens releases have no credits; TMDB enrichment adds them there.

use std::path::Path;

use super::error::{DatasetError, Problem};

/// The file's name inside a release folder.
pub const CREDITS_FILE: &str = "credits.csv";

/// What someone did on a film.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CreditRole {
    /// Acted in it.
    Cast,
    /// Directed it.
    Director,
}

impl CreditRole {
    /// The name stored and shown (`cast`, `director`).
    pub fn name(self) -> &'static str {
        match self {
            CreditRole::Cast => "cast",
            CreditRole::Director => "director",
        }
    }

    /// Parses a stored or written role.
    pub fn parse(raw: &str) -> Option<CreditRole> {
        match raw.trim() {
            "cast" => Some(CreditRole::Cast),
            "director" => Some(CreditRole::Director),
            _ => None,
        }
    }
}

/// One credit line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditRecord {
    /// The file's `movieId`.
    pub movie: i32,
    /// Cast or director.
    pub role: CreditRole,
    /// Billing order within the role, from 1.
    pub position: i32,
    /// The person's name.
    pub name: String,
    /// The part played, when given.
    pub character: Option<String>,
}

/// Reads `dir/credits.csv`; an absent file is no credits. Any malformed line
/// is an error naming it (the file is ours, not a third party's).
pub fn read_credits(dir: &Path) -> Result<Vec<CreditRecord>, DatasetError> {
    let path = dir.join(CREDITS_FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut reader = csv::Reader::from_path(&path).map_err(|e| csv_error(&path, &e))?;
    let mut credits = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&path, &e))?;
        credits.push(parse_credit(&path, &record).map_err(DatasetError::Invalid)?);
    }
    Ok(credits)
}

fn parse_credit(path: &Path, record: &csv::StringRecord) -> Result<CreditRecord, Problem> {
    let line = record.position().map_or(0, csv::Position::line);
    let field = |i: usize| record.get(i).unwrap_or("").trim();
    let positive = |i: usize, column: &str| {
        (field(i).parse::<i32>().ok().filter(|n| *n > 0)).ok_or_else(|| {
            Problem::value(path, line, column, field(i), "is not a positive integer")
        })
    };
    let movie = positive(0, "movieId")?;
    let role = CreditRole::parse(field(1)).ok_or_else(|| {
        Problem::value(path, line, "role", field(1), "is not `cast` or `director`")
    })?;
    let position = positive(2, "position")?;
    let name = field(3);
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(Problem::value(
            path,
            line,
            "name",
            name,
            "is empty or has control characters",
        ));
    }
    Ok(CreditRecord {
        movie,
        role,
        position,
        name: name.to_owned(),
        character: Some(field(4)).filter(|c| !c.is_empty()).map(str::to_owned),
    })
}

fn csv_error(path: &Path, err: &csv::Error) -> DatasetError {
    let line = err.position().map_or(0, csv::Position::line);
    DatasetError::Invalid(Problem::line(path, line, err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_read_in_order_and_bad_lines_are_named() {
        let dir = std::env::temp_dir().join(format!("cinerank-credits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(
            dir.join(CREDITS_FILE),
            "movieId,role,position,name\n1,director,1,Wes Craven\n1,cast,1,Neve Campbell\n",
        )
        .expect("write");
        let credits = read_credits(&dir).expect("credits");
        assert_eq!(credits.len(), 2);
        assert_eq!(credits[0].role, CreditRole::Director);
        assert_eq!(credits[1].name, "Neve Campbell");
        std::fs::write(
            dir.join(CREDITS_FILE),
            "movieId,role,position,name\n1,writer,1,Kevin Williamson\n",
        )
        .expect("write");
        let err = read_credits(&dir).expect_err("bad role").to_string();
        assert!(
            err.contains("credits.csv:2") && err.contains("writer"),
            "{err}"
        );
        assert!(
            read_credits(&dir.join("absent"))
                .expect("no file")
                .is_empty()
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
