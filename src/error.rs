//! The one error type of the HTTP layer and its JSON envelope:
//! `{"error": {"code", "message", "details"?}}` for every non-2xx response.
//! Causes of 5xx errors are logged, never sent to the client.

use std::collections::BTreeMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

/// Field name → messages, the `details` of a validation error.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be parsed.
    #[error("{message}")]
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// 401: missing, invalid or expired credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 403: a cookie-authenticated write without the matching
    /// `X-CSRF-Token` header (see `auth::session`).
    #[error("missing or wrong X-CSRF-Token header for a cookie-authenticated request")]
    CsrfFailed,
    /// 404: no such resource.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// Methods the path accepts, for the `Allow` header.
        allow: Vec<String>,
    },
    /// 409: conflicts with stored state.
    #[error("{message}")]
    Conflict {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
        /// What exactly conflicts (e.g. the movies out of stock), if useful.
        details: Option<serde_json::Value>,
    },
    /// 413: the body is larger than allowed.
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 415: the body is not JSON.
    #[error("expected Content-Type: application/json")]
    UnsupportedMediaType,
    /// 422: well-formed but invalid input.
    #[error("{message}")]
    Validation {
        /// Summary.
        message: String,
        /// Per-field messages.
        fields: FieldErrors,
    },
    /// 422: well-formed input that a business rule rejects (e.g. an empty
    /// cart), with its own code rather than `validation_failed`.
    #[error("{message}")]
    Unprocessable {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
        /// Structured details (an object), if useful.
        details: Option<serde_json::Value>,
    },
    /// 429: too many attempts from this client.
    #[error("too many requests; retry after {retry_after_secs} s")]
    TooManyRequests {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// 503: a dependency is not ready (e.g. the first model is training).
    #[error("{0}")]
    ServiceUnavailable(String),
    /// 503: the database did not answer.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),
    /// 500: a bug or an unexpected failure; the cause goes to the log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// The inside of [`ErrorEnvelope`].
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code, e.g. `not_found`, `validation_failed`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// For validation errors: field name → messages; for some other errors
    /// (e.g. `out_of_stock`) an object describing what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    /// A 422 about one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.clone()]);
        ApiError::Validation {
            message: format!("{field}: {message}"),
            fields,
        }
    }

    /// A 422 from collected field errors, or `Ok(())` when there are none.
    pub fn check(fields: FieldErrors) -> Result<(), ApiError> {
        if fields.is_empty() {
            return Ok(());
        }
        let message = fields
            .iter()
            .flat_map(|(field, msgs)| msgs.iter().map(move |m| format!("{field}: {m}")))
            .collect::<Vec<_>>()
            .join("; ");
        Err(ApiError::Validation { message, fields })
    }

    /// A 404 for a missing resource of some kind.
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }

    /// The envelope's `code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Unprocessable { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::CsrfFailed => "csrf_failed",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Validation { .. } => "validation_failed",
            ApiError::Unavailable(_) | ApiError::ServiceUnavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The envelope for this error.
    pub fn envelope(&self) -> ErrorEnvelope {
        let details = match self {
            ApiError::Validation { fields, .. } => serde_json::to_value(fields).ok(),
            ApiError::Conflict { details, .. } | ApiError::Unprocessable { details, .. } => {
                details.clone()
            }
            _ => None,
        };
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code().to_owned(),
                message: self.to_string(),
                details,
            },
        }
    }
}

impl ApiError {
    /// A 409 with a specific code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// A 409 with a specific code and details (an object).
    pub fn conflict_with(
        code: &'static str,
        message: impl Into<String>,
        details: serde_json::Value,
    ) -> Self {
        ApiError::Conflict {
            code,
            message: message.into(),
            details: Some(details),
        }
    }

    /// A 422 for a business rule, with a specific code and optional details.
    pub fn unprocessable(
        code: &'static str,
        message: impl Into<String>,
        details: Option<serde_json::Value>,
    ) -> Self {
        ApiError::Unprocessable {
            code,
            message: message.into(),
            details,
        }
    }

    /// A 500 from any error (the cause is logged only).
    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(err.into())
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err {
            // The pool could not hand out a connection in time, or the server
            // is unreachable: the request may succeed later.
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => ApiError::Unavailable(err),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::CsrfFailed => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation { .. } | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unavailable(_) | ApiError::ServiceUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let cause: Option<&dyn std::error::Error> = match self {
            ApiError::Internal(cause) => Some(cause.as_ref()),
            ApiError::Unavailable(db) => Some(db),
            _ => None,
        };
        if let Some(cause) = cause {
            log::error!("{}: {}", self.code(), error_chain(cause));
        }
        let mut response = HttpResponse::build(self.status_code());
        if let ApiError::MethodNotAllowed { allow } = self {
            response.insert_header((header::ALLOW, allow.join(", ")));
        }
        match self {
            ApiError::Unavailable(_) | ApiError::ServiceUnavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        response.json(self.envelope())
    }
}

/// `err: cause: cause…`, for logs.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        // Wrappers often repeat their cause's text (SeaORM → sqlx → driver):
        // say each thing once.
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_carry_their_fields_as_details() {
        let err = ApiError::invalid_field("per_page", "must be between 1 and 100");
        let body = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(body["error"]["code"], "validation_failed");
        assert_eq!(
            body["error"]["details"]["per_page"][0],
            "must be between 1 and 100"
        );
    }

    #[test]
    fn store_rules_carry_their_own_code_and_details() {
        let err = ApiError::conflict_with(
            "out_of_stock",
            "not enough copies",
            serde_json::json!({"movie_ids": [3]}),
        );
        assert_eq!(err.status_code(), StatusCode::CONFLICT);
        let body = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(body["error"]["code"], "out_of_stock");
        assert_eq!(body["error"]["details"]["movie_ids"][0], 3);
        let err = ApiError::unprocessable("empty_cart", "the cart is empty", None);
        assert_eq!(err.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(body["error"]["code"], "empty_cart");
        assert!(body["error"].get("details").is_none());
        let plain = serde_json::to_value(ApiError::conflict("taken", "x").envelope()).unwrap();
        assert!(plain["error"].get("details").is_none());
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = ApiError::Internal("disk on fire".into());
        let body = serde_json::to_value(err.envelope()).unwrap();
        assert_eq!(body["error"]["message"], "internal error");
        assert_eq!(err.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
