//! The error responses many operations document alike, for
//! `#[utoipa::path(responses(...))]` next to an operation's own tuples:
//! `responses((status = 200, body = UserProfile), Unauthorized, Forbidden)`.
//! Each is the error envelope under one status with no description of its
//! own; an error the operation explains (`description = "…"`) stays a tuple
//! there.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToSchema};

use crate::error::ErrorEnvelope;

/// The error envelope under `STATUS`.
pub struct Fails<const STATUS: u16>;

impl<const STATUS: u16> IntoResponses for Fails<STATUS> {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let envelope = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(ErrorEnvelope::name())))
            .build();
        let response = ResponseBuilder::new()
            .content("application/json", envelope)
            .build();
        BTreeMap::from([(STATUS.to_string(), response.into())])
    }
}

/// 401: no valid token or session.
pub type Unauthorized = Fails<401>;
/// 403: signed in, but not allowed (not an admin, someone else's data).
pub type Forbidden = Fails<403>;
/// 404: no such resource.
pub type NotFound = Fails<404>;
/// 409: conflicts with the current state.
pub type Conflict = Fails<409>;
/// 422: a field breaks its rules.
pub type Unprocessable = Fails<422>;
/// 503: not ready yet (no model trained) or the database unavailable.
pub type Unavailable = Fails<503>;
