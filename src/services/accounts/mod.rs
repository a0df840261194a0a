//! Accounts: registration, login, profiles, preferences, and the admin
//! operations on users, behind the [`Accounts`] service. Field rules live in
//! [`rules`], the transactions in [`ops`]; passwords are hashed off the
//! async threads.

mod cache;
mod ops;
mod rules;

#[cfg(test)]
mod tests;

pub use cache::{AccountCache, AccountRecord};
pub use ops::{AdminOutcome, create_admin, preferred_genre_ids};

use ops::{
    account_record, change_role, delete_user, end_sessions, ensure_exists, list_users, login,
    register, update_me,
};

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};

use crate::auth::Role;
use crate::auth::jwt::JwtKeys;
use crate::services::catalog::GenreCatalog;
use crate::services::changes::{Caches, Change};
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

/// The accounts service. Accounts are read through the account cache
/// (signed-in requests never wait for the database); every write records
/// its change in its transaction and drops what it changed after the commit.
pub struct Accounts {
    db: DatabaseConnection,
    keys: JwtKeys,
    caches: Arc<Caches>,
}

impl Accounts {
    /// The service, signing tokens with `keys`.
    pub fn new(keys: JwtKeys, caches: Arc<Caches>) -> Self {
        Accounts {
            db: caches.catalog().db().clone(),
            keys,
            caches,
        }
    }

    fn genres(&self) -> &GenreCatalog {
        self.caches.catalog().genres()
    }

    /// Creates an account and signs it in.
    pub async fn register(&self, request: RegisterRequest) -> Result<AuthResponse, AccountError> {
        register(&self.db, self.genres(), &self.keys, request).await
    }

    /// Signs in by username or email (one error for every failure).
    pub async fn login(&self, request: LoginRequest) -> Result<AuthResponse, AccountError> {
        login(&self.db, self.genres(), &self.keys, request).await
    }

    /// The account as requests see it (from the cache when possible);
    /// `None` when it does not exist.
    pub async fn account(&self, user_id: i32) -> Result<Option<Arc<AccountRecord>>, DbErr> {
        self.caches
            .accounts()
            .get_or_load(user_id, || account_record(&self.db, self.genres(), user_id))
            .await
    }

    /// The profile of one account.
    pub async fn profile(&self, user_id: i32) -> Result<UserProfile, AccountError> {
        self.account(user_id)
            .await?
            .map(|record| record.profile.clone())
            .ok_or(AccountError::NotFound)
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
        let result = update_me(&self.db, self.genres(), user_id, request).await;
        // It may have committed before failing to re-read the profile.
        if !matches!(
            result,
            Err(AccountError::Invalid(_) | AccountError::NotFound)
        ) {
            self.caches.committed(&[Change::User(user_id)]).await;
        }
        result
    }

    /// Signs the account out everywhere: every token and browser session
    /// issued before now stops working.
    pub async fn end_sessions(&self, user_id: i32) -> Result<(), AccountError> {
        end_sessions(&self.db, user_id).await?;
        self.caches.committed(&[Change::User(user_id)]).await;
        Ok(())
    }

    /// All accounts, oldest first (admin).
    pub async fn list_users(&self, page: PageRequest) -> Result<Page<UserProfile>, AccountError> {
        list_users(&self.db, self.genres(), page).await
    }

    /// Sets an account's role (admin); refuses to remove the last admin.
    /// A changed role ends the account's sessions.
    pub async fn change_role(&self, user_id: i32, role: Role) -> Result<UserProfile, AccountError> {
        let result = change_role(&self.db, self.genres(), user_id, role).await;
        if !matches!(
            result,
            Err(AccountError::LastAdmin { .. } | AccountError::NotFound)
        ) {
            self.caches.committed(&[Change::User(user_id)]).await;
        }
        result
    }

    /// Deletes an account with its ratings and lists (admin).
    pub async fn delete_user(&self, user_id: i32) -> Result<(), AccountError> {
        let rated = delete_user(&self.db, user_id).await?;
        self.caches
            .committed(&[Change::User(user_id), Change::Movies(rated)])
            .await;
        Ok(())
    }
}
