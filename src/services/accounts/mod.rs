//! Accounts: registration, login, profiles, preferences, and the admin
//! operations on users, behind the [`Accounts`] service. Field rules live in
//! [`rules`], the transactions in [`ops`]; passwords are hashed off the
//! async threads.

mod ops;
mod rules;

#[cfg(test)]
mod tests;

pub use ops::{AdminOutcome, create_admin, preferred_genre_ids};

use ops::{
    change_role, delete_user, end_sessions, ensure_exists, list_users, login, profile, register,
    update_me,
};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::auth::Role;
use crate::auth::jwt::JwtKeys;
use crate::services::catalog::{Catalog, GenreCatalog};
use crate::services::recommendations::Recommender;
use crate::services::validation::Invalid;
use crate::services::{Page, PageRequest};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field breaks its rules.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such account.
    #[error("user not found")]
    NotFound,
    /// Another account has this email address.
    #[error("that email address is already registered")]
    EmailTaken,
    /// Another account has this username (in any case).
    #[error("that username is taken")]
    UsernameTaken,
    /// Unknown login or wrong password (one error for both).
    #[error("invalid login or password")]
    WrongCredentials,
    /// The change would leave no administrator.
    #[error("cannot {action} the last administrator")]
    LastAdmin {
        /// `demote` or `delete`.
        action: &'static str,
    },
    /// Hashing, token signing or the blocking pool failed.
    #[error("{0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl AccountError {
    fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        AccountError::Internal(err.into())
    }
}

/// Longest username.
pub const MAX_USERNAME_CHARS: usize = 32;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A new account as its owner enters it.
pub struct RegisterRequest {
    /// 3–32 characters: letters, digits, `_`, `.`, `-`; unique regardless of case.
    pub username: String,
    /// A valid address; stored lower-cased; unique.
    pub email: String,
    /// 8–128 characters.
    pub password: String,
    /// Genre names for cold-start recommendations.
    pub preferred_genres: Vec<String>,
}

/// Sign-in credentials.
pub struct LoginRequest {
    /// Username or email, any case.
    pub login: String,
    /// The password.
    pub password: String,
}

/// Changes to one's own account: every field optional.
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

/// A role change by an administrator.
pub struct RoleChangeRequest {
    /// The new role.
    pub role: Role,
}

/// An account as its owner (or an admin) sees it.
#[derive(Clone, Debug)]
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

/// Answer to register and login.
#[derive(Clone, Debug)]
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

/// The accounts service. Preferences feed recommendations and a deleted
/// account's ratings leave its movies' aggregates, so those writes
/// invalidate the recommender and the catalogue after they commit.
pub struct Accounts {
    db: DatabaseConnection,
    keys: JwtKeys,
    catalog: Arc<Catalog>,
    recommender: Arc<Recommender>,
}

impl Accounts {
    /// The service, signing tokens with `keys`.
    pub fn new(keys: JwtKeys, catalog: Arc<Catalog>, recommender: Arc<Recommender>) -> Self {
        Accounts {
            db: catalog.db().clone(),
            keys,
            catalog,
            recommender,
        }
    }

    fn genres(&self) -> &GenreCatalog {
        self.catalog.genres()
    }

    /// Creates an account and signs it in.
    pub async fn register(&self, request: RegisterRequest) -> Result<AuthResponse, AccountError> {
        register(&self.db, self.genres(), &self.keys, request).await
    }

    /// Signs in by username or email (one error for every failure).
    pub async fn login(&self, request: LoginRequest) -> Result<AuthResponse, AccountError> {
        login(&self.db, self.genres(), &self.keys, request).await
    }

    /// The profile of one account.
    pub async fn profile(&self, user_id: i32) -> Result<UserProfile, AccountError> {
        profile(&self.db, self.genres(), user_id).await
    }

    /// `Ok` when the account exists.
    pub async fn ensure_exists(&self, user_id: i32) -> Result<(), AccountError> {
        ensure_exists(&self.db, user_id).await
    }

    /// Changes the caller's preferred genres, email or password.
    pub async fn update_me(
        &self,
        user_id: i32,
        request: UpdateMeRequest,
    ) -> Result<UserProfile, AccountError> {
        let profile = update_me(&self.db, self.genres(), user_id, request).await?;
        self.recommender.user_changed(user_id);
        Ok(profile)
    }

    /// Signs the account out everywhere: every token and browser session
    /// issued before now stops working.
    pub async fn end_sessions(&self, user_id: i32) -> Result<(), AccountError> {
        end_sessions(&self.db, user_id).await
    }

    /// All accounts, oldest first (admin).
    pub async fn list_users(&self, page: PageRequest) -> Result<Page<UserProfile>, AccountError> {
        list_users(&self.db, self.genres(), page).await
    }

    /// Sets an account's role (admin); refuses to remove the last admin.
    /// A changed role ends the account's sessions.
    pub async fn change_role(&self, user_id: i32, role: Role) -> Result<UserProfile, AccountError> {
        change_role(&self.db, self.genres(), user_id, role).await
    }

    /// Deletes an account with its ratings and lists (admin).
    pub async fn delete_user(&self, user_id: i32) -> Result<(), AccountError> {
        let rated = delete_user(&self.db, user_id).await?;
        self.catalog.movies_changed(rated).await;
        self.recommender.user_changed(user_id);
        Ok(())
    }
}
