//! Authentication: API access tokens (ES256 JWTs), secret hashing, and the portal's codes and tokens.

pub mod oidc;
pub mod portal;
mod secrets;
mod tokens;

pub use secrets::{generate_secret, hash_secret, verify_secret};
pub use tokens::{Claims, SigningKey, StoredSigningKey, TOKEN_LIFETIME_SECS, TokenError, TokenKeys, parse_public_keys};
