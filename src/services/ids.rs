//! The one conversion between the database's ids (`i32`) and the
//! recommender's (`MovieId`/`UserId` are `i64`, `GenreId` is `u32`). Every
//! id the model knows came from the database, so the way back succeeds for
//! all of them; an id that does not fit is a bug, and it is reported as an
//! error rather than silently dropped from a list.

use crate::recommender::{GenreId, MovieId, UserId};

/// An id that does not fit the other side's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("id {0} does not fit the id type it is converted to")]
pub struct IdOutOfRange(pub i64);

/// A database movie id as the model's (never fails).
pub fn movie_to_model(id: i32) -> MovieId {
    MovieId::from(id)
}

/// A database user id as the model's (never fails).
pub fn user_to_model(id: i32) -> UserId {
    UserId::from(id)
}

/// A model movie id back as the database's.
pub fn movie_from_model(id: MovieId) -> Result<i32, IdOutOfRange> {
    i32::try_from(id).map_err(|_| IdOutOfRange(id))
}

/// A database genre id as the model's (genre ids are positive).
pub fn genre_to_model(id: i32) -> Result<GenreId, IdOutOfRange> {
    GenreId::try_from(id).map_err(|_| IdOutOfRange(i64::from(id)))
}

/// A model genre id back as the database's.
pub fn genre_from_model(id: GenreId) -> Result<i32, IdOutOfRange> {
    i32::try_from(id).map_err(|_| IdOutOfRange(i64::from(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_out_of_range_ids_are_errors() {
        assert_eq!(movie_from_model(movie_to_model(i32::MAX)), Ok(i32::MAX));
        assert_eq!(
            movie_from_model(i64::from(i32::MAX) + 1),
            Err(IdOutOfRange(i64::from(i32::MAX) + 1))
        );
        assert_eq!(genre_to_model(-1), Err(IdOutOfRange(-1)));
        assert_eq!(genre_from_model(genre_to_model(7).unwrap()), Ok(7));
    }
}
