//! Request extractors for authentication. Routes declare what they need in
//! their signature; the token is checked and the account looked up in the
//! account cache, which every write to an account drops on every instance
//! (so a deleted account or a changed role takes effect at once). The token comes
//! from `Authorization: Bearer`, or else from the browser session cookie,
//! in which case writes must also pass the CSRF check (`auth::session`). A
//! token issued before the account's current session version (signed out
//! everywhere, password or role changed since) is refused.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::Role;
use super::session;
use crate::error::ApiError;
use crate::state::AppState;

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    /// Account id.
    pub id: i32,
    /// Current role (from the database, not the token).
    pub role: Role,
}

impl AuthUser {
    /// Whether this caller may act on `user_id`'s private data.
    pub fn may_access(&self, user_id: i32) -> bool {
        self.id == user_id || self.role == Role::Admin
    }

    /// `Ok` when the caller may act on `user_id`'s data, else 403.
    pub fn ensure_access(&self, user_id: i32) -> Result<(), ApiError> {
        if self.may_access(user_id) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "you may only access your own data".to_owned(),
            ))
        }
    }
}

/// A caller who may or may not be signed in. A token that is present but
/// invalid is still a 401: silently ignoring it would hide client bugs.
#[derive(Clone, Debug)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

/// An authenticated administrator (403 for other users).
#[derive(Clone, Debug)]
pub struct AdminUser(pub AuthUser);

fn bearer_token(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("malformed Authorization header".to_owned()))?;
    let (scheme, token) = value.split_once(' ').ok_or_else(|| {
        ApiError::Unauthorized("expected `Authorization: Bearer <token>`".to_owned())
    })?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::Unauthorized(
            "expected `Authorization: Bearer <token>`".to_owned(),
        ));
    }
    Ok(Some(token.trim().to_owned()))
}

/// The bearer token if there is an `Authorization` header; otherwise the
/// session cookie's, once the request has passed the CSRF check.
fn credential(req: &HttpRequest, state: &AppState) -> Result<Option<String>, ApiError> {
    if let Some(token) = bearer_token(req)? {
        return Ok(Some(token));
    }
    let (session_cookie, _) = session::cookie_names(&state.settings);
    match session::cookie(req, session_cookie) {
        Some(token) => {
            session::check_csrf(req, &state.jwt, &token)?;
            Ok(Some(token))
        }
        None => Ok(None),
    }
}

async fn authenticate(state: web::Data<AppState>, token: String) -> Result<AuthUser, ApiError> {
    let invalid = || ApiError::Unauthorized("invalid or expired token".to_owned());
    let (id, claims) = state.jwt.verify(&token).map_err(|_| invalid())?;
    // From the account cache, which every instance keeps exact through the
    // change feed: no database round trip for a signed-in request.
    let account = state.accounts.account(id).await?.ok_or_else(invalid)?;
    if claims.sv != account.session_version {
        return Err(ApiError::Unauthorized(
            "this session has ended; sign in again".to_owned(),
        ));
    }
    Ok(AuthUser {
        id,
        role: account.profile.role,
    })
}

fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state is missing"))
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = state_of(req).and_then(|state| Ok((credential(req, &state)?, state)));
        Box::pin(async move {
            match parsed? {
                (None, _) => Ok(MaybeAuthUser(None)),
                (Some(token), state) => Ok(MaybeAuthUser(Some(authenticate(state, token).await?))),
            }
        })
    }
}

/// What the wider extractor `W` gives, once `narrow` has accepted it: how
/// [`AuthUser`] builds on [`MaybeAuthUser`] and [`AdminUser`] on [`AuthUser`].
fn narrowed<W, T: 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    narrow: fn(W) -> Result<T, ApiError>,
) -> Extracted<T>
where
    W: FromRequest<Error = ApiError, Future = Extracted<W>> + 'static,
{
    let wider = W::from_request(req, payload);
    Box::pin(async move { narrow(wider.await?) })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        narrowed(req, payload, |MaybeAuthUser(user)| {
            user.ok_or_else(|| {
                ApiError::Unauthorized(
                    "this route needs `Authorization: Bearer <token>` or a session cookie"
                        .to_owned(),
                )
            })
        })
    }
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        narrowed(req, payload, |user: AuthUser| {
            if user.role == Role::Admin {
                Ok(AdminUser(user))
            } else {
                Err(ApiError::Forbidden("administrators only".to_owned()))
            }
        })
    }
}

/// `T` (typically the JSON body) extracted only once the caller has passed
/// `A` (`AuthUser`, `AdminUser`). Actix extracts a handler's arguments
/// concurrently, so with separate arguments a body that fails to parse can
/// answer 422 before the account lookup answers 403, which both leaks the
/// body's rules to anyone and makes the status depend on timing. Here the
/// body is not even read until authorisation has succeeded.
pub struct Authorized<A, T>(pub A, pub T);

impl<A, T> FromRequest for Authorized<A, T>
where
    A: FromRequest<Error = ApiError> + 'static,
    T: FromRequest + 'static,
    T::Error: Into<actix_web::Error>,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        // The body stays unread until the caller is known to be allowed.
        let mut body = payload.take();
        Box::pin(async move {
            let caller = A::from_request(&req, &mut Payload::None).await?;
            let inner = T::from_request(&req, &mut body).await.map_err(Into::into)?;
            Ok(Authorized(caller, inner))
        })
    }
}
