//! The account operations over the database: registration and login,
//! profiles, preference changes, and the admin's role changes and deletions.

use std::collections::HashMap;

use chrono::Utc;
use entity::{rating, user, user_genre};
use migration::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
    TransactionTrait,
};

use super::rules::{
    check_new_account, email_problem, new_password_problem, normalise_username, resolve_genres,
};
use super::*;
use crate::auth::Role;
use crate::auth::jwt::JwtKeys;
use crate::auth::password::{hash_password, verify_password};
use crate::services::catalog::GenreCatalog;
use crate::services::changes::{self, Change};
use crate::services::validation::{FieldErrors, Invalid, Lines, check_text};
use crate::services::{Page, PageRequest, counts_by, page_of, replace_links};

/// Hashes on the blocking pool: Argon2 takes tens of milliseconds of CPU.
async fn hash_off_thread(password: String) -> Result<String, AccountError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AccountError::internal)?
        .map_err(AccountError::internal)
}

async fn verify_off_thread(hash: Option<String>, password: String) -> Result<bool, AccountError> {
    tokio::task::spawn_blocking(move || verify_password(hash.as_deref(), &password))
        .await
        .map_err(AccountError::internal)
}

/// Inserts an account that can log in. The unique indexes decide races
/// between concurrent registrations (409, not a racy pre-check).
async fn insert_account(
    db: &impl ConnectionTrait,
    username: String,
    email: String,
    password_hash: String,
    role: Role,
) -> Result<user::Model, AccountError> {
    let now = Utc::now();
    user::ActiveModel {
        username: Set(username),
        email: Set(Some(email)),
        password_hash: Set(Some(password_hash)),
        role: Set(role.as_str().to_owned()),
        external_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        // Given, not left to the column default: SQLite's RETURNING has
        // answered NULL for a default added by ALTER TABLE earlier on the
        // same connection (the upgrade's migration, then a registration).
        session_version: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on_unique)
}

/// Translates a unique-constraint violation on `users` into which field is taken.
fn conflict_on_unique(err: DbErr) -> AccountError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("email") => {
            AccountError::EmailTaken
        }
        Some(SqlErr::UniqueConstraintViolation(_)) => AccountError::UsernameTaken,
        _ => err.into(),
    }
}

async fn replace_preferred_genres(
    db: &impl ConnectionTrait,
    user_id: i32,
    genre_ids: &[i32],
) -> Result<(), DbErr> {
    let rows = genre_ids
        .iter()
        .map(|&genre_id| user_genre::ActiveModel {
            user_id: Set(user_id),
            genre_id: Set(genre_id),
        })
        .collect();
    replace_links(db, user_genre::Column::UserId.eq(user_id), rows).await
}

/// A user's preferred genre ids.
pub async fn preferred_genre_ids(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<i32>, DbErr> {
    Ok(user_genre::Entity::find()
        .filter(user_genre::Column::UserId.eq(user_id))
        .order_by_asc(user_genre::Column::GenreId)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.genre_id)
        .collect())
}

async fn profiles(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    users: Vec<user::Model>,
) -> Result<Vec<UserProfile>, DbErr> {
    let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
    let mut genre_names: HashMap<i32, Vec<String>> = HashMap::new();
    for row in user_genre::Entity::find()
        .filter(user_genre::Column::UserId.is_in(ids.clone()))
        .order_by_asc(user_genre::Column::GenreId)
        .all(db)
        .await?
    {
        if let Some(name) = genres.name(row.genre_id) {
            genre_names
                .entry(row.user_id)
                .or_default()
                .push(name.to_owned());
        }
    }
    let counts = counts_by(
        db,
        rating::Entity::find().filter(rating::Column::UserId.is_in(ids)),
        rating::Column::UserId,
        rating::Column::MovieId,
    )
    .await?;
    Ok(users
        .into_iter()
        .map(|u| UserProfile {
            preferred_genres: genre_names.remove(&u.id).unwrap_or_default(),
            rating_count: counts.get(&u.id).copied().unwrap_or(0),
            role: Role::parse(&u.role).unwrap_or(Role::User),
            id: u.id,
            username: u.username,
            email: u.email,
            created_at: u.created_at,
        })
        .collect())
}

/// The account's row; `NotFound` when there is none.
async fn find_user(db: &impl ConnectionTrait, user_id: i32) -> Result<user::Model, AccountError> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AccountError::NotFound)
}

/// `Ok` when the account exists, else 404.
pub(super) async fn ensure_exists(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<(), AccountError> {
    find_user(db, user_id).await.map(|_| ())
}

/// The profile of one account; 404 when it does not exist.
pub(super) async fn profile(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    user_id: i32,
) -> Result<UserProfile, AccountError> {
    let account = find_user(db, user_id).await?;
    profiles(db, genres, vec![account])
        .await?
        .pop()
        .ok_or(AccountError::NotFound)
}

/// The account as the cache keeps it; `None` when it does not exist.
pub(super) async fn account_record(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    user_id: i32,
) -> Result<Option<AccountRecord>, DbErr> {
    let Some(account) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    let session_version = account.session_version;
    Ok(profiles(db, genres, vec![account])
        .await?
        .pop()
        .map(|profile| AccountRecord {
            profile,
            session_version,
        }))
}

fn auth_response(
    keys: &JwtKeys,
    user: UserProfile,
    session_version: i32,
) -> Result<AuthResponse, AccountError> {
    let access_token = keys
        .issue(user.id, user.role, session_version)
        .map_err(AccountError::internal)?;
    Ok(AuthResponse {
        user,
        access_token,
        token_type: "Bearer",
        expires_in: keys.lifetime().as_secs(),
    })
}

/// Creates an account and signs it in.
pub(super) async fn register(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    keys: &JwtKeys,
    request: RegisterRequest,
) -> Result<AuthResponse, AccountError> {
    let (username, email, mut problems) =
        check_new_account(&request.username, &request.email, &request.password);
    let genre_ids = resolve_genres(genres, &request.preferred_genres, &mut problems);
    Invalid::check(problems)?;

    let password_hash = hash_off_thread(request.password).await?;
    let txn = db.begin().await?;
    let created = insert_account(&txn, username, email, password_hash, Role::User).await?;
    replace_preferred_genres(&txn, created.id, &genre_ids).await?;
    txn.commit().await?;
    let user = profile(db, genres, created.id).await?;
    log::info!("registered user {}", user.id);
    auth_response(keys, user, created.session_version)
}

/// Signs in by username or email. Every failure is the same 401, and an
/// unknown login costs the same hash verification as a known one.
pub(super) async fn login(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    keys: &JwtKeys,
    request: LoginRequest,
) -> Result<AuthResponse, AccountError> {
    // The same form as a stored username (NFC: "김" typed as three jamo
    // finds the account signed up as one syllable), then any case.
    let login = normalise_username(&request.login).to_lowercase();
    let mut problems = FieldErrors::new();
    check_text(&mut problems, "login", &login, Lines::Single);
    Invalid::check(problems)?;
    let account = if login.is_empty() || login.chars().count() > MAX_EMAIL_CHARS {
        None
    } else {
        user::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        Expr::expr(Func::lower(Expr::col(user::Column::Username)))
                            .eq(login.clone()),
                    )
                    .add(user::Column::Email.eq(login)),
            )
            .one(db)
            .await?
    };
    let hash = account.as_ref().and_then(|a| a.password_hash.clone());
    let verified = verify_off_thread(hash, request.password).await?;
    match account {
        Some(account) if verified => {
            let user = profile(db, genres, account.id).await?;
            auth_response(keys, user, account.session_version)
        }
        _ => Err(AccountError::WrongCredentials),
    }
}

/// Changes the caller's preferred genres, email or password. A new email
/// address or password needs the current password; a new password also
/// ends every session of the account (its session version moves on).
pub(super) async fn update_me(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    user_id: i32,
    request: UpdateMeRequest,
) -> Result<UserProfile, AccountError> {
    let account = find_user(db, user_id).await?;
    let mut problems = FieldErrors::new();
    let genre_ids = request
        .preferred_genres
        .as_ref()
        .map(|names| resolve_genres(genres, names, &mut problems));
    let email = request.email.as_ref().map(|e| e.trim().to_lowercase());
    if let Some(p) = email.as_deref().and_then(email_problem) {
        problems.insert("email".into(), vec![p]);
    }
    let email_changes = email.is_some() && email != account.email;
    if let Some(password) = &request.password
        && let Some(p) = new_password_problem(password)
    {
        problems.insert("password".into(), vec![p]);
    }
    // Whoever holds a stolen token must not be able to take the account over
    // by pointing its email elsewhere or setting a password of their own.
    if email_changes || request.password.is_some() {
        let what = if request.password.is_some() {
            "the password"
        } else {
            "the email address"
        };
        match request.current_password {
            None => {
                problems.insert(
                    "current_password".into(),
                    vec![format!("is required to change {what}")],
                );
            }
            Some(current) => {
                if !verify_off_thread(account.password_hash.clone(), current).await? {
                    problems.insert("current_password".into(), vec!["is incorrect".into()]);
                }
            }
        }
    }
    let new_hash = match request.password {
        Some(password) if problems.is_empty() => Some(hash_off_thread(password).await?),
        _ => None,
    };
    Invalid::check(problems)?;

    let txn = db.begin().await?;
    let mut active: user::ActiveModel = account.clone().into();
    if let Some(email) = email {
        active.email = Set(Some(email));
    }
    if let Some(hash) = new_hash {
        active.password_hash = Set(Some(hash));
        active.session_version = Set(account.session_version.wrapping_add(1));
    }
    active.updated_at = Set(Utc::now());
    active.update(&txn).await.map_err(conflict_on_unique)?;
    if let Some(ids) = genre_ids {
        replace_preferred_genres(&txn, user_id, &ids).await?;
    }
    changes::record(&txn, &[Change::User(user_id)]).await?;
    txn.commit().await?;
    profile(db, genres, user_id).await
}

/// Ends every session of an account: tokens issued before now stop working.
pub(super) async fn end_sessions(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<(), AccountError> {
    let txn = db.begin().await?;
    let result = user::Entity::update_many()
        .col_expr(
            user::Column::SessionVersion,
            Expr::col(user::Column::SessionVersion).add(1),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        return Err(AccountError::NotFound);
    }
    changes::record(&txn, &[Change::User(user_id)]).await?;
    txn.commit().await?;
    log::info!("ended every session of user {user_id}");
    Ok(())
}

/// Locks every administrator row and returns how many there are. Every
/// change of the admin set (demotion, deletion) takes this lock first, in id
/// order, so on PostgreSQL two of them cannot both count the other admin
/// and both go ahead: the second waits, then sees the first one's result.
/// SQLite has no row locks, but a write transaction (`BEGIN IMMEDIATE`, see
/// `begin_write`) already holds the database's single writer lock.
async fn lock_admins(db: &impl ConnectionTrait) -> Result<usize, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .order_by_asc(user::Column::Id)
        .lock_exclusive()
        .all(db)
        .await?
        .len())
}

/// All accounts, oldest first (admin).
pub(super) async fn list_users(
    db: &impl ConnectionTrait,
    genres: &GenreCatalog,
    page: PageRequest,
) -> Result<Page<UserProfile>, AccountError> {
    let oldest_first = user::Entity::find().order_by_asc(user::Column::Id);
    let (select, total) = page_of(db, oldest_first, page).await?;
    let rows = select.all(db).await?;
    Ok(Page::new(profiles(db, genres, rows).await?, page, total))
}

/// Sets an account's role (admin). Refuses to remove the last admin.
pub(super) async fn change_role(
    db: &DatabaseConnection,
    genres: &GenreCatalog,
    user_id: i32,
    role: Role,
) -> Result<UserProfile, AccountError> {
    let txn = crate::services::begin_write(db).await?;
    let admins = lock_admins(&txn).await?;
    let account = user::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(AccountError::NotFound)?;
    if account.role == Role::Admin.as_str() && role != Role::Admin && admins <= 1 {
        return Err(AccountError::LastAdmin { action: "demote" });
    }
    let changed = account.role != role.as_str();
    let session_version = account.session_version;
    let mut active: user::ActiveModel = account.into();
    active.role = Set(role.as_str().to_owned());
    if changed {
        // Tokens name the role they were issued for; none may outlive it.
        active.session_version = Set(session_version.wrapping_add(1));
    }
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    changes::record(&txn, &[Change::User(user_id)]).await?;
    txn.commit().await?;
    log::info!("user {user_id} now has role {}", role.as_str());
    profile(db, genres, user_id).await
}

/// Deletes an account with its ratings and lists, keeping every movie's
/// rating aggregates exact. Returns the ids of the movies it had rated.
pub(super) async fn delete_user(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<Vec<i32>, AccountError> {
    let txn = crate::services::begin_write(db).await?;
    let admins = lock_admins(&txn).await?;
    let account = find_user(&txn, user_id).await?;
    if account.role == Role::Admin.as_str() && admins <= 1 {
        return Err(AccountError::LastAdmin { action: "delete" });
    }
    let rated = rating::Entity::find()
        .filter(rating::Column::UserId.eq(user_id))
        .all(&txn)
        .await?;
    for row in &rated {
        crate::services::ratings::apply_rating_delta(
            &txn,
            row.movie_id,
            -1,
            -i64::from(row.half_stars),
        )
        .await?;
    }
    // Ratings, lists and preferences go with the account (ON DELETE CASCADE).
    user::Entity::delete_by_id(user_id).exec(&txn).await?;
    let movies = rated.iter().map(|r| r.movie_id).collect();
    changes::record(&txn, &[Change::User(user_id), Change::Movies(movies)]).await?;
    txn.commit().await?;
    log::info!("deleted user {user_id} and {} ratings", rated.len());
    Ok(rated.into_iter().map(|r| r.movie_id).collect())
}

/// How `create_admin` changed the database.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new administrator account was created.
    Created(i32),
    /// An existing account (found by username) became an administrator and
    /// got the given password.
    Promoted(i32),
}

/// Creates an administrator, or promotes the account with this username.
pub async fn create_admin(
    db: &DatabaseConnection,
    username: &str,
    email: &str,
    password: String,
) -> Result<AdminOutcome, AccountError> {
    let (username, email, problems) = check_new_account(username, email, &password);
    Invalid::check(problems)?;
    let hash = hash_off_thread(password).await?;
    let existing = user::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(user::Column::Username))).eq(username.to_lowercase()),
        )
        .one(db)
        .await?;
    // In one transaction with its change-log row: a running server drops
    // its cached copy of the account as soon as this commits.
    let txn = db.begin().await?;
    let outcome = match existing {
        Some(account) => {
            let id = account.id;
            let session_version = account.session_version;
            let mut active: user::ActiveModel = account.into();
            active.role = Set(Role::Admin.as_str().to_owned());
            active.password_hash = Set(Some(hash));
            // A new role and a new password: no earlier session survives.
            active.session_version = Set(session_version.wrapping_add(1));
            active.updated_at = Set(Utc::now());
            active.update(&txn).await.map_err(conflict_on_unique)?;
            AdminOutcome::Promoted(id)
        }
        None => {
            let created = insert_account(&txn, username, email, hash, Role::Admin).await?;
            AdminOutcome::Created(created.id)
        }
    };
    let (AdminOutcome::Promoted(id) | AdminOutcome::Created(id)) = outcome;
    changes::record(&txn, &[Change::User(id)]).await?;
    txn.commit().await?;
    Ok(outcome)
}
