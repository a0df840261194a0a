//! Unit tests of the account field rules.

use super::rules::*;

#[test]
fn usernames_are_short_plain_words() {
    assert!(username_problem("ada_lovelace").is_none());
    assert!(username_problem("x1").is_some());
    assert!(username_problem("has space").is_some());
    assert!(username_problem("_leading").is_some());
    assert!(username_problem(&"a".repeat(33)).is_some());
    assert!(username_problem("semi;colon").is_some());
}

#[test]
fn usernames_may_be_written_in_any_script() {
    for name in ["김민지", "명수_99", "Émile", "Ω-mega", "山田太郎"] {
        assert!(username_problem(name).is_none(), "{name}");
    }
    // Still 3 characters at least, and no symbols or spaces.
    assert!(username_problem("명수").is_some());
    assert!(username_problem("김 민지").is_some());
    assert!(username_problem("김민지♥").is_some());
}

#[test]
fn usernames_are_stored_in_nfc_with_non_ascii_letters_folded() {
    // "김" as three conjoining jamo (what some keyboards send) becomes the syllable.
    let decomposed = "\u{1100}\u{1175}\u{11B7}민지";
    assert_eq!(normalise_username(decomposed), "김민지");
    assert_eq!(normalise_username("  김민지 "), "김민지");
    // ASCII keeps its case (the unique index lower-cases it); other letters
    // are folded here because SQLite's LOWER only folds ASCII.
    assert_eq!(normalise_username("Ada"), "Ada");
    assert_eq!(normalise_username("ÉMILE"), "éMILE");
    assert_eq!(
        normalise_username("ÉMILE").to_lowercase(),
        normalise_username("émile").to_lowercase()
    );
}

#[test]
fn new_accounts_get_the_normalised_username() {
    let (username, email, problems) = check_new_account(
        " \u{1100}\u{1175}\u{11B7}민지 ",
        "Kim@Example.org",
        "long enough",
    );
    assert_eq!(username, "김민지");
    assert_eq!(email, "kim@example.org");
    assert!(problems.is_empty(), "{problems:?}");
}

#[test]
fn emails_need_a_local_part_and_a_dotted_domain() {
    assert!(email_problem("ada@example.org").is_none());
    for bad in [
        "ada",
        "ada@",
        "@example.org",
        "ada@example",
        "a b@example.org",
        "a@b@c.org",
        "ada@.org",
        "ada@example..org",
    ] {
        assert!(email_problem(bad).is_some(), "{bad}");
    }
}
