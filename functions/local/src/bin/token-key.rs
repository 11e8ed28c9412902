//! `hubee-token-key`: a new key pair for API tokens (docs/DEPLOY.md, "Rotate the token signing
//! key"), printed as JSON: `secret`, the value of the Secrets Manager secret (private), and `jwk`,
//! the public key to add to the published set.

fn main() -> anyhow::Result<()> {
    let key = hubee_shared::auth::SigningKey::generate();
    let out = serde_json::json!({ "kid": key.kid(), "secret": key.to_stored(), "jwk": key.public_jwk() });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
