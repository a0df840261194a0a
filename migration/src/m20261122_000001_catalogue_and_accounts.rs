//! The first schema: catalogue (movies, genres), accounts, ratings and
//! feedback. Designed up front for everything in API.md so later features add
//! tables rather than reshape these.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// cinerank's genre vocabulary. Imports and the seed map their source genres
/// onto these names; ids follow this order.
pub const GENRE_NAMES: [&str; 20] = [
    "Action",
    "Adventure",
    "Animation",
    "Biography",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "History",
    "Horror",
    "Music",
    "Mystery",
    "Romance",
    "Science Fiction",
    "Sports",
    "Thriller",
    "War",
    "Western",
];

#[derive(DeriveIden)]
enum Movies {
    Table,
    Id,
    Title,
    TitleSearch,
    Year,
    Overview,
    PosterUrl,
    ImdbId,
    TmdbId,
    MovielensId,
    RatingCount,
    RatingSum,
    AvgRating,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Genres {
    Table,
    Id,
    Name,
}

#[derive(DeriveIden)]
enum MovieGenres {
    Table,
    MovieId,
    GenreId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Email,
    PasswordHash,
    Role,
    ExternalId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserGenres {
    Table,
    UserId,
    GenreId,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    UserId,
    MovieId,
    HalfStars,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WatchlistItems {
    Table,
    UserId,
    MovieId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Dismissals {
    Table,
    UserId,
    MovieId,
    CreatedAt,
}

/// A `(user_id, movie_id)` link table with cascading foreign keys and a
/// `created_at` stamp: the shape of watchlist items and dismissals.
fn user_movie_link<T: IntoIden + Copy + 'static>(
    table: T,
    user_id: T,
    movie_id: T,
    created_at: T,
) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(integer(user_id))
        .col(integer(movie_id))
        .col(timestamp_with_time_zone(created_at))
        .primary_key(Index::create().col(user_id).col(movie_id))
        .foreign_key(
            ForeignKey::create()
                .from(table, user_id)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(table, movie_id)
                .to(Movies::Table, Movies::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Movies::Table)
                    .col(pk_auto(Movies::Id))
                    .col(string(Movies::Title))
                    // Lower-cased title: portable case-insensitive search and
                    // sort (SQLite's LOWER() only folds ASCII).
                    .col(string(Movies::TitleSearch))
                    .col(integer_null(Movies::Year))
                    .col(text_null(Movies::Overview))
                    .col(string_null(Movies::PosterUrl))
                    .col(string_null(Movies::ImdbId).unique_key())
                    .col(integer_null(Movies::TmdbId).unique_key())
                    .col(integer_null(Movies::MovielensId).unique_key())
                    // Aggregates kept in step with `ratings` by every rating
                    // write, so list pages never aggregate. The sum is in half
                    // stars: an exact integer, so recounts compare exactly.
                    .col(integer(Movies::RatingCount).default(0))
                    .col(big_integer(Movies::RatingSum).default(0))
                    .col(double(Movies::AvgRating).default(0.0))
                    .col(timestamp_with_time_zone(Movies::CreatedAt))
                    .col(timestamp_with_time_zone(Movies::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // One index per sort order of the movie list, matching its full
        // ORDER BY (the id makes orders total), so a page is an index walk
        // that stops after LIMIT rows instead of a sort of the catalogue.
        for (name, columns) in [
            (
                "idx_movies_popularity",
                vec![Movies::RatingCount, Movies::AvgRating, Movies::Id],
            ),
            (
                "idx_movies_rating",
                vec![Movies::AvgRating, Movies::RatingCount, Movies::Id],
            ),
            (
                "idx_movies_year",
                vec![Movies::Year, Movies::TitleSearch, Movies::Id],
            ),
            (
                "idx_movies_title_search",
                vec![Movies::TitleSearch, Movies::Id],
            ),
            ("idx_movies_created_at", vec![Movies::CreatedAt, Movies::Id]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Movies::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Genres::Table)
                    .col(pk_auto(Genres::Id))
                    .col(string_uniq(Genres::Name))
                    .to_owned(),
            )
            .await?;
        let mut insert_genres = Query::insert();
        insert_genres
            .into_table(Genres::Table)
            .columns([Genres::Name]);
        for name in GENRE_NAMES {
            insert_genres
                .values([name.into()])
                .map_err(|err| DbErr::Migration(err.to_string()))?;
        }
        manager.exec_stmt(insert_genres).await?;

        manager
            .create_table(
                Table::create()
                    .table(MovieGenres::Table)
                    .col(integer(MovieGenres::MovieId))
                    .col(integer(MovieGenres::GenreId))
                    .primary_key(
                        Index::create()
                            .col(MovieGenres::MovieId)
                            .col(MovieGenres::GenreId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MovieGenres::Table, MovieGenres::MovieId)
                            .to(Movies::Table, Movies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MovieGenres::Table, MovieGenres::GenreId)
                            .to(Genres::Table, Genres::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_movie_genres_genre_movie")
                    .table(MovieGenres::Table)
                    .col(MovieGenres::GenreId)
                    .col(MovieGenres::MovieId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(string(Users::Username))
                    // Stored lower-cased; NULL for imported accounts.
                    .col(string_null(Users::Email).unique_key())
                    // NULL means the account cannot log in (imported users).
                    .col(string_null(Users::PasswordHash))
                    .col(string_len(Users::Role, 16).default("user"))
                    // Identity in an external dataset (e.g. `movielens:42`),
                    // so re-imports find the same account.
                    .col(string_null(Users::ExternalId).unique_key())
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Usernames are unique regardless of case; the database decides, so
        // concurrent registrations cannot both win.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_users_username_lower ON users (LOWER(username))",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserGenres::Table)
                    .col(integer(UserGenres::UserId))
                    .col(integer(UserGenres::GenreId))
                    .primary_key(
                        Index::create()
                            .col(UserGenres::UserId)
                            .col(UserGenres::GenreId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserGenres::Table, UserGenres::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserGenres::Table, UserGenres::GenreId)
                            .to(Genres::Table, Genres::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .col(integer(Ratings::UserId))
                    .col(integer(Ratings::MovieId))
                    // Half stars: 1 = 0.5 … 10 = 5.0, exact in any database.
                    .col(
                        small_integer(Ratings::HalfStars)
                            .check(Expr::col(Ratings::HalfStars).between(1, 10)),
                    )
                    .col(timestamp_with_time_zone(Ratings::CreatedAt))
                    .col(timestamp_with_time_zone(Ratings::UpdatedAt))
                    .primary_key(Index::create().col(Ratings::UserId).col(Ratings::MovieId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Ratings::Table, Ratings::MovieId)
                            .to(Movies::Table, Movies::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ratings_movie")
                    .table(Ratings::Table)
                    .col(Ratings::MovieId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ratings_user_updated")
                    .table(Ratings::Table)
                    .col(Ratings::UserId)
                    .col(Ratings::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(user_movie_link(
                WatchlistItems::Table,
                WatchlistItems::UserId,
                WatchlistItems::MovieId,
                WatchlistItems::CreatedAt,
            ))
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_watchlist_items_user_created")
                    .table(WatchlistItems::Table)
                    .col(WatchlistItems::UserId)
                    .col(WatchlistItems::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(user_movie_link(
                Dismissals::Table,
                Dismissals::UserId,
                Dismissals::MovieId,
                Dismissals::CreatedAt,
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Dismissals::Table.into_iden(),
            WatchlistItems::Table.into_iden(),
            Ratings::Table.into_iden(),
            UserGenres::Table.into_iden(),
            Users::Table.into_iden(),
            MovieGenres::Table.into_iden(),
            Genres::Table.into_iden(),
            Movies::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
