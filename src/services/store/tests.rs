//! Unit tests of the store's input rules.

use super::cart::*;

#[test]
fn idempotency_keys_are_short_printable_ascii() {
    assert_eq!(
        validate_idempotency_key(b"order-2026-11-22 #1").ok(),
        Some("order-2026-11-22 #1".to_owned())
    );
    assert!(validate_idempotency_key(&[b'k'; 100]).is_ok());
    for bad in [
        &b""[..],
        &[b'k'; 101],
        b"tab\there",
        "키".as_bytes(),
        b"\x7f",
    ] {
        assert!(validate_idempotency_key(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn quantities_are_checked_against_their_range() {
    assert_eq!(check_quantity(1, 1).ok(), Some(1));
    assert_eq!(check_quantity(99, 1).ok(), Some(99));
    assert_eq!(check_quantity(0, 0).ok(), Some(0));
    for bad in [0, 100, -1, i64::MAX] {
        assert!(check_quantity(bad, 1).is_err(), "{bad}");
    }
}
