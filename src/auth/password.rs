//! Password hashing with Argon2id (OWASP parameters: 19 MiB, 2 passes, 1
//! lane). Hashing is CPU-bound, so callers run it on the blocking pool.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password: bounds the cost of hashing attacker input.
pub const MAX_PASSWORD_CHARS: usize = 128;

fn hasher() -> Result<Argon2<'static>, argon2::Error> {
    Ok(Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None)?,
    ))
}

/// Hashes a password into a PHC string with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let hasher = hasher().map_err(|e| e.to_string())?;
    hasher
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// A valid hash of a password nobody knows, verified when the login name is
/// unknown so that both paths cost one Argon2 verification.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password("decoy password that no account has")
            .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$invalid"))
    })
}

/// Checks `password` against `hash`; with no hash (unknown user or an account
/// that cannot log in) it still spends one verification and answers false.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let (stored, real) = match hash {
        Some(hash) => (hash, true),
        None => (decoy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let Ok(hasher) = hasher() else {
        return false;
    };
    hasher.verify_password(password.as_bytes(), &parsed).is_ok() && real
}

/// Checks the length rules; returns the problem, if any.
pub fn password_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Some(format!("must be at least {MIN_PASSWORD_CHARS} characters"))
    } else if chars > MAX_PASSWORD_CHARS {
        Some(format!("must be at most {MAX_PASSWORD_CHARS} characters"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(Some(&hash), "correct horse battery"));
        assert!(!verify_password(Some(&hash), "correct horse batterz"));
        assert!(!verify_password(None, "decoy password that no account has"));
        assert!(!verify_password(Some("not a hash"), "anything"));
    }

    #[test]
    fn salts_differ_between_hashes() {
        assert_ne!(
            hash_password("same password").unwrap(),
            hash_password("same password").unwrap()
        );
    }

    #[test]
    fn length_rules() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("long enough").is_none());
        assert!(password_problem(&"x".repeat(129)).is_some());
        assert!(password_problem(&"가".repeat(8)).is_none());
    }
}
