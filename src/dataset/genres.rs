//! cinerank's genre vocabulary and the one mapping from MovieLens genre
//! names onto it. The first migration created the same twenty names in the
//! `genres` table (migrations are never edited, so that list stays there).

/// The twenty genres of cinerank, in canonical order.
pub const GENRES: [&str; 20] = [
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

/// ml-100k's genre flag columns in `u.item`, in `u.genre` order.
pub(crate) const ML100K_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// What a genre name in a file means to cinerank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenreMatch {
    /// One of [`GENRES`].
    Genre(&'static str),
    /// MovieLens's "no genres" markers: `(no genres listed)`, ml-100k's `unknown`.
    NoGenres,
    /// A name with no counterpart (e.g. `IMAX`): dropped and counted.
    Unknown,
}

/// Maps a genre name from any of cinerank's inputs: cinerank's own names
/// (seed and generator files, any case), and MovieLens's (Children →
/// Family, Film-Noir → Crime, Musical → Music, Sci-Fi → Science Fiction).
pub fn match_genre(name: &str) -> GenreMatch {
    let name = name.trim();
    let movielens = match name {
        "Children" | "Children's" => Some("Family"),
        "Film-Noir" => Some("Crime"),
        "Musical" => Some("Music"),
        "Sci-Fi" => Some("Science Fiction"),
        "(no genres listed)" | "unknown" | "" => return GenreMatch::NoGenres,
        _ => None,
    };
    if let Some(genre) = movielens {
        return GenreMatch::Genre(genre);
    }
    match genre_index(name) {
        Some(i) => GenreMatch::Genre(GENRES[i]),
        None => GenreMatch::Unknown,
    }
}

/// Position of a cinerank genre name in [`GENRES`], ignoring case.
pub fn genre_index(name: &str) -> Option<usize> {
    GENRES
        .iter()
        .position(|g| g.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movielens_names_map_onto_the_vocabulary() {
        assert_eq!(match_genre("Sci-Fi"), GenreMatch::Genre("Science Fiction"));
        assert_eq!(match_genre("Children's"), GenreMatch::Genre("Family"));
        assert_eq!(match_genre("Children"), GenreMatch::Genre("Family"));
        assert_eq!(match_genre("Film-Noir"), GenreMatch::Genre("Crime"));
        assert_eq!(match_genre(" Drama "), GenreMatch::Genre("Drama"));
        assert_eq!(
            match_genre("science fiction"),
            GenreMatch::Genre("Science Fiction")
        );
        assert_eq!(match_genre("(no genres listed)"), GenreMatch::NoGenres);
        assert_eq!(match_genre("unknown"), GenreMatch::NoGenres);
        assert_eq!(match_genre("IMAX"), GenreMatch::Unknown);
    }

    #[test]
    fn every_ml100k_column_is_mapped_or_means_none() {
        for name in ML100K_GENRES {
            assert_ne!(match_genre(name), GenreMatch::Unknown, "{name}");
        }
    }
}
