//! JSON Web Tokens: HS256 only, claims `sub` (user id), `role`, `iat`,
//! `exp` and `sv` (the account's session version when issued). Also the
//! CSRF token of a browser session, which is derived from its token with the
//! same key so that it cannot be chosen by anyone else.

use std::fmt;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::Role;

/// The claims cinerank puts in (and requires of) every token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (RFC 7519 `sub` is a string).
    pub sub: String,
    /// The role at the time of issue (`user` or `admin` on the wire). The
    /// server checks the account's current role, not this one.
    pub role: Role,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// The account's session version at issue. A token whose version is
    /// older than the account's is refused (signed out everywhere, password
    /// or role changed). Tokens from before versions existed count as 0.
    #[serde(default)]
    pub sv: i32,
}

/// Signing and verification keys from one secret. `Debug` hides the secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("secret", &"***")
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid token: {0}")]
pub struct TokenError(String);

impl JwtKeys {
    /// Keys for `secret`; tokens live for `lifetime`.
    pub fn new(secret: &[u8], lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.required_spec_claims = ["exp", "iat", "sub"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
        }
    }

    /// How long issued tokens are valid.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Issues a token for a user at the account's session version.
    pub fn issue(
        &self,
        user_id: i32,
        role: Role,
        session_version: i32,
    ) -> Result<String, TokenError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iat: now,
            exp: now + self.lifetime.as_secs(),
            sv: session_version,
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError(e.to_string()))
    }

    /// The CSRF token that belongs to a session token: a MAC of the token
    /// under the signing key. A page (or an attacker who can plant cookies)
    /// cannot pick a cookie/header pair of its own; only the server can make
    /// the token that matches a session.
    pub fn csrf_token(&self, session_token: &str) -> Result<String, TokenError> {
        let message = format!("cinerank-csrf:{session_token}");
        jsonwebtoken::crypto::sign(message.as_bytes(), &self.encoding, Algorithm::HS256)
            .map_err(|e| TokenError(e.to_string()))
    }

    /// Verifies signature, algorithm (HS256 only) and expiry; returns the
    /// user id and claims.
    pub fn verify(&self, token: &str) -> Result<(i32, Claims), TokenError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| TokenError(e.to_string()))?;
        let id = data
            .claims
            .sub
            .parse::<i32>()
            .map_err(|_| TokenError("sub is not a user id".to_owned()))?;
        Ok((id, data.claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn b64(bytes: &[u8]) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_claims() {
        let keys = JwtKeys::new(SECRET, Duration::from_secs(3600));
        let token = keys.issue(42, Role::Admin, 3).unwrap();
        let (id, claims) = keys.verify(&token).unwrap();
        assert_eq!(id, 42);
        assert_eq!(claims.role, Role::Admin);
        assert_eq!(claims.sv, 3);
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn tampered_foreign_expired_and_unsigned_tokens_are_refused() {
        let keys = JwtKeys::new(SECRET, Duration::from_secs(3600));
        let token = keys.issue(1, Role::User, 0).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged_payload = b64(br#"{"sub":"1","role":"admin","iat":1,"exp":99999999999}"#);
        parts[1] = &forged_payload;
        assert!(keys.verify(&parts.join(".")).is_err(), "tampered payload");

        let other = JwtKeys::new(
            b"another secret that is long enough!!",
            Duration::from_secs(60),
        );
        assert!(
            keys.verify(&other.issue(1, Role::User, 0).unwrap())
                .is_err(),
            "foreign key"
        );

        let expired = JwtKeys::new(SECRET, Duration::ZERO)
            .issue(1, Role::User, 0)
            .unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        assert!(keys.verify(&expired).is_err(), "expired");

        let none = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(br#"{"sub":"1","role":"admin","iat":1,"exp":99999999999}"#)
        );
        assert!(keys.verify(&none).is_err(), "alg none");
        assert!(keys.verify("garbage").is_err());
        assert!(keys.verify("").is_err());
    }
}
