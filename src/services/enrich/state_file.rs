//! The state file of `cinerank enrich tmdb`: which TMDB ids already answered
//! without the data a movie lacks, so later runs do not ask again.

use super::EnrichError;
use super::found::Fields;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file of TMDB ids already answered without some of the data a movie
/// lacks (404, or no poster, overview, runtime or credits), per language,
/// so later runs do not ask again. One line per answer, appended as answers
/// arrive: `tmdb_id<TAB>language<TAB>not_found`, or
/// `tmdb_id<TAB>language<TAB>no_data<TAB>fields` with the fields TMDB had
/// nothing for (`poster,runtime,credits`). A movie is skipped only while
/// everything it lacks is in those fields, so a movie that later loses
/// another field, or a question added since (credits), is asked once more.
pub(super) struct StateFile {
    path: PathBuf,
    /// What TMDB had nothing for, by `(tmdb_id, language)`.
    answered: HashMap<(i32, String), Fields>,
    writer: Option<std::fs::File>,
}

/// How TMDB answered a movie it could not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Unanswered {
    /// HTTP 404: TMDB has nothing at all for this id.
    NotFound,
    /// An answer without these fields.
    NoData(Fields),
}

pub(super) const STATE_FILE_HEADER: &str = "# cinerank enrich tmdb: TMDB ids answered without some of \
what the movie lacked (tmdb_id, language, outcome, fields TMDB had nothing for). Delete a line, \
or the file, to ask again.\n";

impl StateFile {
    pub(super) fn open(path: &Path) -> Result<Self, EnrichError> {
        let fail = |source| EnrichError::StateFile {
            path: path.to_owned(),
            source,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(err) => return Err(fail(err)),
        };
        Ok(StateFile {
            path: path.to_owned(),
            answered: parse_state(&text),
            writer: None,
        })
    }

    /// The fields TMDB is known to have nothing for (none if never asked).
    pub(super) fn answered_without(&self, tmdb_id: i32, language: &str) -> Fields {
        (self.answered.get(&(tmdb_id, language.to_owned())))
            .copied()
            .unwrap_or_default()
    }

    /// Appends one line and flushes it, so it survives a killed run; a
    /// line that would add nothing to what the file says is not written.
    pub(super) fn record(
        &mut self,
        tmdb_id: i32,
        language: &str,
        outcome: Unanswered,
    ) -> Result<(), EnrichError> {
        let (fields, line) = match outcome {
            Unanswered::NotFound => (Fields::ALL, format!("{tmdb_id}\t{language}\tnot_found\n")),
            Unanswered::NoData(fields) => (
                fields,
                format!("{tmdb_id}\t{language}\tno_data\t{}\n", fields.names()),
            ),
        };
        let known = self
            .answered
            .entry((tmdb_id, language.to_owned()))
            .or_default();
        if fields.is_empty() || fields.is_subset_of(*known) {
            return Ok(());
        }
        *known = known.union(fields);
        self.append(&line).map_err(|source| EnrichError::StateFile {
            path: self.path.clone(),
            source,
        })
    }

    fn append(&mut self, line: &str) -> std::io::Result<()> {
        if self.writer.is_none() {
            if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            let existing = std::fs::read(&self.path).unwrap_or_default();
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            if existing.is_empty() {
                file.write_all(STATE_FILE_HEADER.as_bytes())?;
            } else if !existing.ends_with(b"\n") {
                // A run killed mid-line left a fragment: end it, so the new
                // line is not glued onto it (the fragment is then ignored).
                file.write_all(b"\n")?;
            }
            self.writer = Some(file);
        }
        match self.writer.as_mut() {
            // One write per line: appends of a few bytes are not split.
            Some(file) => file.write_all(line.as_bytes()),
            None => Ok(()),
        }
    }
}

/// What a state file says TMDB has nothing for, by `(tmdb_id, language)`
/// (the union of every line about the pair). Comments, blank, incomplete
/// and unknown lines are skipped: an ignored line only means one more
/// question, a misread one could skip a movie for good.
pub(super) fn parse_state(text: &str) -> HashMap<(i32, String), Fields> {
    let mut answered: HashMap<(i32, String), Fields> = HashMap::new();
    let lines = text.lines().filter(|line| !line.starts_with('#'));
    for (key, fields) in lines.filter_map(parse_line) {
        let known = answered.entry(key).or_default();
        *known = known.union(fields);
    }
    answered
}

fn parse_line(line: &str) -> Option<((i32, String), Fields)> {
    let mut columns = line.split('\t');
    let tmdb_id = columns.next()?.trim().parse().ok()?;
    let language = columns.next()?.trim();
    if language.is_empty() {
        return None;
    }
    let fields = match (columns.next()?.trim(), columns.next()) {
        // The id is unknown to TMDB whatever is asked of it.
        ("not_found", _) => Fields::ALL,
        ("no_data", Some(list)) => Fields::parse(list)?,
        // Written before the field list existed, when only posters and
        // overviews were asked about.
        ("no_data", None) => Fields::LEGACY_NO_DATA,
        _ => return None,
    };
    Some(((tmdb_id, language.to_owned()), fields))
}
