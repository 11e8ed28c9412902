//! API tokens, black-box against the local hub: ES256-signed under a `kid` whose public key
//! `/.well-known/jwks.json` publishes, verifiable with that key alone, and the same across a
//! restart; nothing in the hub's data directory mints a token a verifier would accept.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hubee_tests::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, jwk::JwkSet};
use reqwest::Method;
use serde_json::{Value, json};

async fn published_keys(t: &TestHub) -> (JwkSet, Value) {
    let r = t.request(Method::GET, "/.well-known/jwks.json").send().await.unwrap();
    assert_eq!(r.status(), 200, "the public keys are published");
    let raw: Value = r.json().await.unwrap();
    (serde_json::from_value(raw.clone()).unwrap(), raw)
}

/// The claims of `token` once its signature checks against the published key its `kid` names.
fn verified_with(keys: &JwkSet, token: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::ES256, "tokens are ES256, not a shared-secret HS256");
    let kid = header.kid.expect("every token names its key");
    let jwk = keys.find(&kid).unwrap_or_else(|| panic!("the key {kid} is published"));
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&["hubee"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap().claims
}

#[tokio::test]
async fn api_tokens_are_es256_signed_by_a_published_key_that_survives_a_restart() {
    let mut t = TestHub::spawn().await;
    let (keys, raw) = published_keys(&t).await;
    for key in raw["keys"].as_array().unwrap() {
        assert_eq!(
            (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
            (Some("EC"), Some("P-256"), Some("ES256"))
        );
        assert!(key.get("d").is_none(), "a public key set carries no private part: {key}");
    }
    let token = t.operator_token().await;
    let claims = verified_with(&keys, &token);
    assert_eq!((claims["sub"].as_str(), claims["scope"].as_str()), (Some("dgs-osl"), Some("OSL")));

    t.restart().await;
    let (after, _) = published_keys(&t).await;
    assert_eq!(after, keys, "the key pair lives in the data directory");
    let r = t.api(&token, Method::GET, "/notifications").send().await.unwrap();
    assert_ne!(r.status(), 401, "a token issued before the restart is still accepted");
    verified_with(&after, &t.operator_token().await);
}

/// The old scheme kept one shared secret that both signed and verified: whoever read it (any
/// function's environment on AWS, `keys.json` locally) minted ADMIN tokens. Now no value the hub
/// keeps, nor the published key, signs a token the hub accepts unless it is the private key.
#[tokio::test]
async fn no_shared_secret_or_public_key_mints_an_admin_token() {
    let t = TestHub::spawn().await;
    let (keys, raw) = published_keys(&t).await;
    let kid = keys.keys[0].common.key_id.clone().unwrap();
    let genuine = t.admin_token().await;
    assert_eq!(t.referential(&genuine, Method::GET, "/subscriptions").send().await.unwrap().status(), 200);
    let claims = verified_with(&keys, &genuine);

    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(t.dir.path().join("data/keys.json")).unwrap()).unwrap();
    let mut candidates: Vec<Vec<u8>> = vec![raw.to_string().into_bytes(), serde_json::to_vec(&raw["keys"][0]).unwrap()];
    collect_strings(&stored, &mut candidates);
    assert!(candidates.len() > 2, "keys.json holds keys: {stored}");
    for secret in &candidates {
        for header in
            [Header::new(Algorithm::HS256), Header { kid: Some(kid.clone()), ..Header::new(Algorithm::HS256) }]
        {
            let forged = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap();
            let status = t.referential(&forged, Method::GET, "/subscriptions").send().await.unwrap().status();
            assert_eq!(status, 401, "an HS256 token keyed with {:?} is refused", String::from_utf8_lossy(secret));
        }
    }
    // Nor does an operator's genuine token with its scope widened, or an unsigned one.
    let operator = t.operator_token().await;
    let mut widened = verified_with(&keys, &operator);
    widened["scope"] = json!("ADMIN");
    let body = URL_SAFE_NO_PAD.encode(widened.to_string());
    let mut parts = operator.split('.');
    let (head, _, signature) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
    let unsigned_head = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    for forged in [format!("{head}.{body}.{signature}"), format!("{unsigned_head}.{body}.")] {
        let status = t.referential(&forged, Method::GET, "/subscriptions").send().await.unwrap().status();
        assert_eq!(status, 401, "{forged}");
    }
}

fn collect_strings(value: &Value, into: &mut Vec<Vec<u8>>) {
    match value {
        Value::String(s) => into.push(s.clone().into_bytes()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, into)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, into)),
        _ => {}
    }
}
