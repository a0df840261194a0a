//! Unit tests of the catalogue's pure helpers.

use super::*;

#[test]
fn genre_names_resolve_regardless_of_case() {
    let genres = GenreCatalog::from_pairs([(1, "Action".into()), (2, "Science Fiction".into())]);
    assert_eq!(genres.resolve(" science fiction "), Some(2));
    assert_eq!(genres.resolve("ACTION"), Some(1));
    assert_eq!(genres.resolve("Acton"), None);
    assert_eq!(genres.name(2), Some("Science Fiction"));
}
