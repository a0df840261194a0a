//! What makes a username, an email address and a genre list acceptable.

use unicode_normalization::UnicodeNormalization;

use super::{MAX_EMAIL_CHARS, MAX_USERNAME_CHARS};

use crate::auth::password::password_problem;
use crate::services::catalog::GenreCatalog;
use crate::services::validation::{FieldErrors, Lines, control_character_problem};

/// Usernames are what people call themselves, so any script's letters and
/// digits are allowed (김민지 as well as ada_lovelace), plus `_`, `.` and `-`.
pub(super) fn username_problem(username: &str) -> Option<String> {
    let chars = username.chars().count();
    if !(3..=MAX_USERNAME_CHARS).contains(&chars) {
        return Some(format!("must be 3 to {MAX_USERNAME_CHARS} characters"));
    }
    if !username
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Some("may contain only letters, digits, `_`, `.` and `-`".to_owned());
    }
    if !username.starts_with(char::is_alphanumeric) {
        return Some("must start with a letter or digit".to_owned());
    }
    None
}

/// The stored form of a username: trimmed, in Unicode NFC (so "김" typed as
/// one syllable or as three jamo is the same name), with letters outside
/// ASCII in lower case. The unique index is on `LOWER(username)`, and
/// SQLite's `LOWER` folds only ASCII letters: folding the others here makes
/// "Émile" and "éMILE" the same name on both databases, and sign-in (which
/// lower-cases what is typed) finds them either way. ASCII keeps the case
/// its owner chose.
pub(super) fn normalise_username(username: &str) -> String {
    let mut stored = String::new();
    for c in username.trim().nfc() {
        if c.is_ascii() {
            stored.push(c);
        } else {
            stored.extend(c.to_lowercase());
        }
    }
    stored
}

/// A new password's length rule, and no control characters (a password is
/// hashed, never stored, but it is still text that a person types).
pub(super) fn new_password_problem(password: &str) -> Option<String> {
    password_problem(password).or_else(|| control_character_problem(password, Lines::Single))
}

pub(super) fn email_problem(email: &str) -> Option<String> {
    if let Some(problem) = control_character_problem(email, Lines::Single) {
        return Some(problem);
    }
    let valid = email.chars().count() <= MAX_EMAIL_CHARS
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    (!valid).then(|| "is not a valid email address".to_owned())
}

pub(super) fn resolve_genres(
    genres: &GenreCatalog,
    names: &[String],
    problems: &mut FieldErrors,
) -> Vec<i32> {
    let mut ids = Vec::new();
    for name in names {
        match genres.resolve(name) {
            Some(id) => ids.push(id),
            None => problems
                .entry("preferred_genres".to_owned())
                .or_default()
                .push(format!(
                    "unknown genre `{}`; known: {}",
                    name.trim(),
                    genres.names_joined()
                )),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Normalises and checks a new account's username, email and password;
/// returns them with any problems found.
pub(super) fn check_new_account(
    username: &str,
    email: &str,
    password: &str,
) -> (String, String, FieldErrors) {
    let username = normalise_username(username);
    let email = email.trim().to_lowercase();
    let mut problems = FieldErrors::new();
    if let Some(p) = username_problem(&username) {
        problems.insert("username".into(), vec![p]);
    }
    if let Some(p) = email_problem(&email) {
        problems.insert("email".into(), vec![p]);
    }
    if let Some(p) = new_password_problem(password) {
        problems.insert("password".into(), vec![p]);
    }
    (username, email, problems)
}
