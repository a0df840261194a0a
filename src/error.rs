//! The one error type of the HTTP layer and its JSON envelope:
//! `{"error": {"code", "message", "details"?}}` for every non-2xx response.
//! Causes of 5xx errors are logged, never sent to the client.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::logging::error_chain;
pub use crate::services::validation::{FieldErrors, Invalid};

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
    /// 503: a dependency is not ready (the first model is training) or
    /// the database did not answer (`cause`, logged only).
    #[error("{message}")]
    Unavailable {
        /// Human-readable explanation.
        message: String,
        /// The database error, when the database is what is unavailable.
        #[source]
        cause: Option<DbErr>,
    },
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
        Invalid::field(field, message).into()
    }

    /// A 422 from collected field errors, or `Ok(())` when there are none.
    pub fn check(fields: FieldErrors) -> Result<(), ApiError> {
        Ok(Invalid::check(fields)?)
    }

    /// A 503 for a dependency that is not ready yet.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::Unavailable {
            message: message.into(),
            cause: None,
        }
    }

    /// A 503 for a database that did not answer (the cause is logged only).
    pub fn database_unavailable(cause: DbErr) -> Self {
        ApiError::Unavailable {
            message: "the database is unavailable".to_owned(),
            cause: Some(cause),
        }
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
            ApiError::Unavailable { .. } => "service_unavailable",
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
        // The pool could not hand out a connection in time, the server is
        // unreachable or a pooled connection broke: the request may succeed
        // later.
        if crate::db::is_connection_failure(&err) {
            ApiError::database_unavailable(err)
        } else {
            ApiError::Internal(Box::new(err))
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        ApiError::Validation {
            message: invalid.message,
            fields: invalid.fields,
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
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let cause: Option<&dyn std::error::Error> = match self {
            ApiError::Internal(cause) => Some(cause.as_ref()),
            ApiError::Unavailable {
                cause: Some(db), ..
            } => Some(db),
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
            ApiError::Unavailable { .. } => {
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
