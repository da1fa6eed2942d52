//! Forged and mangled access tokens are refused (401) on an authenticated route.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kernel::auth::{Claims, JwtKeys, audience_for};
use serde_json::{Value, json};

use crate::*;

/// The app with a signing key the test knows, so it can sign tokens that differ from a real one
/// in exactly one respect.
async fn app_with_known_key() -> (TestApp, Vec<u8>) {
    let mut app = app().await;
    let der = JwtKeys::generate_pkcs8();
    let keys = JwtKeys::from_pkcs8(
        &der,
        &app.state.config.jwt_issuer,
        app.state.config.access_token_ttl,
    )
    .unwrap();
    app.state.jwt = Arc::new(keys);
    app.router = kernel::http::compose(app.state.clone(), users::router()).0;
    (app, der)
}

fn sign(der: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::EdDSA),
        claims,
        &EncodingKey::from_ed_der(der),
    )
    .unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

#[tokio::test]
async fn forged_and_mangled_tokens_are_refused() {
    let (app, der) = app_with_known_key().await;
    let (a, b) = (tenant(&app, "gamarra").await, tenant(&app, "polvos").await);
    let (id, l) = signup(&app, &a, "ana@gamarra.pe").await;
    let real = app.state.jwt.verify(&l.access, a.id).unwrap();

    // Control: a token signed by the test with the real claims works, so each refusal below is
    // due to the one thing changed.
    let me = |token: String| {
        app.get("/api/v1/users/me")
            .host(&a.host)
            .bearer(&token)
            .send()
    };
    me(sign(&der, &real)).await.expect(200);

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let variants: Vec<(&str, Claims)> = vec![
        (
            "wrong aud",
            Claims {
                aud: audience_for(b.id),
                ..real.clone()
            },
        ),
        (
            "wrong iss",
            Claims {
                iss: "evil".into(),
                ..real.clone()
            },
        ),
        (
            "expired",
            Claims {
                iat: now - 7200,
                exp: now - 3600,
                ..real.clone()
            },
        ),
        (
            "refresh typ",
            Claims {
                typ: "refresh".into(),
                ..real.clone()
            },
        ),
        (
            "other tid",
            Claims {
                tid: b.id,
                ..real.clone()
            },
        ),
    ];
    for (what, claims) in variants {
        let res = me(sign(&der, &claims)).await;
        assert_eq!(res.status, 401, "{what}: {}", res.text);
        assert_eq!(res.body["code"], "unauthorized", "{what}");
    }

    // alg: none.
    let claims_json = serde_json::to_value(&real).unwrap();
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims_json)
    );
    me(none).await.expect_problem(401, "unauthorized");

    // HS256 with the public key bytes as the HMAC secret (algorithm confusion).
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &real,
        &EncodingKey::from_secret(app.state.jwt.public_key_bytes()),
    )
    .unwrap();
    me(hs).await.expect_problem(401, "unauthorized");

    // Tampered payload: grant ourselves admin, keep the signature.
    let parts: Vec<&str> = l.access.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["roles"] = json!(["admin"]);
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    me(tampered.clone())
        .await
        .expect_problem(401, "unauthorized");
    app.get("/api/v1/users")
        .host(&a.host)
        .bearer(&tampered)
        .send()
        .await
        .expect_problem(401, "unauthorized");

    // The refresh token is not an access token; neither is garbage or another scheme.
    me(l.refresh.clone())
        .await
        .expect_problem(401, "unauthorized");
    me("a.b.c".into()).await.expect_problem(401, "unauthorized");
    app.get("/api/v1/users/me")
        .host(&a.host)
        .header("authorization", &format!("Basic {}", l.access))
        .send()
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(real.sub, id);
}
