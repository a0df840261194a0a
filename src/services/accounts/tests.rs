//! Unit tests of the account field rules.

use super::rules::*;

#[test]
fn usernames_are_short_plain_words() {
    assert!(username_problem("ada_lovelace").is_none());
    assert!(username_problem("x1").is_some());
    assert!(username_problem("has space").is_some());
    assert!(username_problem("_leading").is_some());
    assert!(username_problem(&"a".repeat(33)).is_some());
    assert!(username_problem("명수").is_some());
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
