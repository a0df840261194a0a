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
