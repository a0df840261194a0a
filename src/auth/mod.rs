//! Authentication and authorisation: password hashing, JWTs, the request
//! extractors routes use to declare what they need (`AuthUser`,
//! `MaybeAuthUser`, `AdminUser`), browser sessions (cookie + CSRF), and the
//! per-client rate limiter.

pub mod extract;
pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod session;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use extract::{AdminUser, AuthUser, Authorized, MaybeAuthUser};

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Rates, keeps lists, gets recommendations for itself.
    User,
    /// Also manages the catalogue, users and the model.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or requested role name.
    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A fresh random secret for development runs without `JWT_SECRET`.
pub fn random_secret() -> Result<Vec<u8>, getrandom::Error> {
    let mut secret = vec![0u8; 64];
    getrandom::fill(&mut secret)?;
    Ok(secret)
}
