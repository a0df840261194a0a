//! The state file of `cinerank enrich tmdb`: which TMDB ids already answered
//! without the data a movie lacks, so later runs do not ask again.

use super::EnrichError;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file of TMDB ids already answered without the data a movie lacks
/// (404, or no poster/overview), per language, so later runs do not ask
/// again. One `tmdb_id<TAB>language<TAB>outcome` line per answer, appended
/// as answers arrive.
pub(super) struct StateFile {
    path: PathBuf,
    answered: HashSet<(i32, String)>,
    writer: Option<std::fs::File>,
}

pub(super) const STATE_FILE_HEADER: &str = "# cinerank enrich tmdb: TMDB ids answered without a poster or \
overview (tmdb_id, language, outcome). Delete a line, or the file, to ask again.\n";

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

    pub(super) fn has_answered(&self, tmdb_id: i32, language: &str) -> bool {
        self.answered.contains(&(tmdb_id, language.to_owned()))
    }

    /// Appends one line and flushes it, so it survives a killed run.
    pub(super) fn record(
        &mut self,
        tmdb_id: i32,
        language: &str,
        outcome: &str,
    ) -> Result<(), EnrichError> {
        if !self.answered.insert((tmdb_id, language.to_owned())) {
            return Ok(());
        }
        let line = format!("{tmdb_id}\t{language}\t{outcome}\n");
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

/// The `(tmdb_id, language)` pairs of a state file; comments, blank and
/// incomplete lines are skipped.
pub(super) fn parse_state(text: &str) -> HashSet<(i32, String)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let tmdb_id = fields.next()?.trim().parse().ok()?;
            let language = fields.next()?.trim();
            let outcome = fields.next()?.trim();
            (!language.is_empty() && !outcome.is_empty()).then(|| (tmdb_id, language.to_owned()))
        })
        .collect()
}
