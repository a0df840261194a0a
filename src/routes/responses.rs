//! The error responses many operations document alike, for
//! `#[utoipa::path(responses(...))]` next to an operation's own tuples:
//! `responses((status = 200, body = UserProfile), Unauthorized, Forbidden)`.
//! Each alias is the error envelope under one status with no description of
//! its own; an error the operation explains (`description = "…"`) stays a
//! tuple there, unless several operations explain it alike (the
//! `explained_failures!` types at the end).

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, ToSchema};

use crate::error::ErrorEnvelope;

/// `response` with the error envelope as its JSON body.
fn with_envelope(response: ResponseBuilder) -> RefOr<Response> {
    let envelope = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(ErrorEnvelope::name())))
        .build();
    response
        .content("application/json", envelope)
        .build()
        .into()
}

/// The error envelope under `STATUS`.
pub struct Fails<const STATUS: u16>;

impl<const STATUS: u16> IntoResponses for Fails<STATUS> {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([(STATUS.to_string(), with_envelope(ResponseBuilder::new()))])
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

/// Declares a type that documents the error envelope under each listed
/// status with the description several operations share, for the same
/// `responses(...)` lists as the aliases above.
macro_rules! explained_failures {
    ($(#[doc = $doc:literal])* $name:ident { $($status:literal => $description:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([$((
                    $status.to_string(),
                    with_envelope(ResponseBuilder::new().description($description)),
                )),+])
            }
        }
    };
}

explained_failures! {
    /// How registering (bearer or cookie) fails.
    RegistrationFailures {
        409 => "Username or email taken",
        422 => "Invalid field",
        429 => "Too many attempts",
    }
}

explained_failures! {
    /// How signing in (bearer or cookie) fails.
    LoginFailures {
        401 => "Wrong login or password (one message for both)",
        429 => "Too many attempts",
    }
}

explained_failures! {
    /// 400 for a path id that is not a positive integer.
    BadId { 400 => "Id is not a positive integer" }
}

explained_failures! {
    /// 403 for a `/users/{id}/…` route about someone else.
    AnotherUsersData { 403 => "Another user's data" }
}

explained_failures! {
    /// 404 for a cart change naming an unknown movie.
    NoSuchMovie { 404 => "No such movie" }
}

explained_failures! {
    /// 404 for an order that does not exist or is not the caller's.
    NoSuchOrder { 404 => "No such order, or another user's" }
}
