//! Accounts on the wire: the JSON bodies the handlers read and write,
//! with their OpenAPI schemas, and the conversions from and to the
//! service's domain types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::services::accounts as svc;

/// `POST /auth/register` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3–32 characters: letters, digits, `_`, `.`, `-`; unique regardless of case.
    #[schema(
        min_length = 3,
        max_length = 32,
        pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$"
    )]
    pub username: String,
    /// A valid address; stored lower-cased; unique.
    #[schema(max_length = 254, pattern = r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")]
    pub email: String,
    /// 8–128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// Genre names for cold-start recommendations.
    #[serde(default)]
    pub preferred_genres: Vec<String>,
}

from_fields!(RegisterRequest => svc::RegisterRequest { username, email, password, preferred_genres });

/// `POST /auth/login` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or email, any case.
    pub login: String,
    /// The password.
    pub password: String,
}

from_fields!(LoginRequest => svc::LoginRequest { login, password });

/// `PATCH /users/me` body: every field optional.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// Replaces the preferred genres.
    pub preferred_genres: Option<Vec<String>>,
    /// New email address (needs `current_password`).
    pub email: Option<String>,
    /// New password (needs `current_password`); ends every session.
    pub password: Option<String>,
    /// The current password, required to change the email or the password.
    pub current_password: Option<String>,
}

from_fields!(UpdateMeRequest => svc::UpdateMeRequest { preferred_genres, email, password, current_password });

/// `PATCH /admin/users/{id}` body.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChangeRequest {
    /// The new role.
    pub role: Role,
}

from_fields!(RoleChangeRequest => svc::RoleChangeRequest { role });

/// An account as its owner (or an admin) sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserProfile {
    /// Account id.
    pub id: i32,
    /// Username as chosen.
    pub username: String,
    /// Email (null for imported accounts).
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// Preferred genre names.
    pub preferred_genres: Vec<String>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// Number of ratings given.
    pub rating_count: i64,
}

from_fields!(svc::UserProfile => UserProfile { id, username, email, role, preferred_genres, created_at, rating_count });

/// Answer to register and login.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    /// The account.
    pub user: UserProfile,
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

from_fields!(svc::AuthResponse => AuthResponse { user, access_token, token_type, expires_in });
