//! Portal secrets: one-time sign-in codes, session and link tokens. Only hashes are stored, and
//! every comparison of a secret runs in constant time.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A 6-digit code, uniformly drawn from a cryptographic generator (seeded by the OS).
pub fn generate_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Hex SHA-256 of a challenge's salt and its code. The salt keeps two challenges with the same
/// code from storing the same hash.
pub fn hash_code(salt: &str, code: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b":");
    h.update(code.as_bytes());
    hex::encode(h.finalize())
}

/// Whether `code` is the one hashed into `expected_hash`, compared in constant time.
pub fn code_matches(expected_hash: &str, salt: &str, code: &str) -> bool {
    same_secret(&hash_code(salt, code), expected_hash)
}

/// Hex SHA-256 of a session cookie or link token: what the store keys them by. The tokens
/// carry 256 random bits, so a plain hash is enough (no salt, no slow hash).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two secrets (their lengths are not secret).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_six_digits_and_match_only_their_hash() {
        for _ in 0..100 {
            let c = generate_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
        let h = hash_code("salt", "012345");
        assert!(code_matches(&h, "salt", "012345"));
        assert!(!code_matches(&h, "salt", "012346"));
        assert!(!code_matches(&h, "other", "012345"));
        assert_ne!(h, "012345");
        assert_eq!(token_hash("x").len(), 64);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab"));
    }
}
