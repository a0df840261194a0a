//! Input that a service rejects field by field: the domain side of a 422.
//! Services collect problems per field and return [`Invalid`]; the web
//! layer turns it into the `validation_failed` envelope.

use std::collections::BTreeMap;

/// Field name → messages.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Well-formed input that breaks the rules of its fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// Every problem joined into one sentence (`field: message; …`).
    pub message: String,
    /// The problems per field.
    pub fields: FieldErrors,
}

impl Invalid {
    /// One problem with one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.clone()]);
        Invalid {
            message: format!("{field}: {message}"),
            fields,
        }
    }

    /// `Err` with every collected problem, or `Ok(())` when there are none.
    pub fn check(fields: FieldErrors) -> Result<(), Invalid> {
        if fields.is_empty() {
            return Ok(());
        }
        let message = fields
            .iter()
            .flat_map(|(field, msgs)| msgs.iter().map(move |m| format!("{field}: {m}")))
            .collect::<Vec<_>>()
            .join("; ");
        Err(Invalid { message, fields })
    }
}

/// Where a text field may break lines: a movie overview may, a title or an
/// email address may not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// One line: every control character is refused.
    Single,
    /// Tab, line feed and carriage return are allowed; other control
    /// characters are refused.
    Multi,
}

/// The one rule for text that enters the service (query strings, JSON
/// fields, CLI arguments): no control characters (U+0000–U+001F, U+007F and
/// the C1 range), except tab and line breaks where the field allows them.
/// PostgreSQL cannot store U+0000 at all (it answers with an encoding
/// error), SQLite stores it and then matches oddly, and the other control
/// characters only ever arrive by mistake or by attack; refusing them up
/// front keeps both databases identical.
pub fn control_character_problem(text: &str, lines: Lines) -> Option<String> {
    let allowed = |c: char| lines == Lines::Multi && matches!(c, '\t' | '\n' | '\r');
    text.chars()
        .find(|&c| c.is_control() && !allowed(c))
        .map(|c| {
            format!(
                "must not contain control characters (found U+{:04X})",
                u32::from(c)
            )
        })
}

/// Records [`control_character_problem`] for `field` in `problems`;
/// returns whether the text was clean.
pub fn check_text(problems: &mut FieldErrors, field: &str, text: &str, lines: Lines) -> bool {
    match control_character_problem(text, lines) {
        Some(problem) => {
            problems.entry(field.to_owned()).or_default().push(problem);
            false
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_except_line_breaks_where_allowed() {
        for bad in ["a\0b", "\u{1}", "x\u{7f}", "\u{85}", "tab\there"] {
            assert!(
                control_character_problem(bad, Lines::Single).is_some(),
                "{bad:?}"
            );
        }
        assert!(control_character_problem("two\nlines\r\n\tok", Lines::Multi).is_none());
        assert!(control_character_problem("nul\0", Lines::Multi).is_some());
        assert!(control_character_problem("Amélie – 日本 🎬", Lines::Single).is_none());
        let mut problems = FieldErrors::new();
        assert!(!check_text(&mut problems, "title", "a\0", Lines::Single));
        assert!(problems["title"][0].contains("U+0000"), "{problems:?}");
    }
}
