//! Idempotent writes through a real axum route and a real PostgreSQL (runtime role, RLS in force):
//! replays, refused reuse, scoping by tenant and user, 50 concurrent duplicates, failed first
//! attempts, waiting and expiry.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
};
use kernel::{
    ApiError, AppState, RequestCtx,
    db::Db,
    extract::AppJson,
    i18n::Locale,
    idempotency::{
        self, Begun, IdempotencyKey, MaybeIdempotencyKey, Options, REPLAYED_HEADER, StoredResponse,
    },
    outbox::{self, Event},
    tenant::{PLATFORM_TENANT_ID, Tenant, TenantKind, TenantResolver, TenantStatus},
    testing::{TestApp, TestResponse},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

const A: Uuid = Uuid::from_u128(0xa);
const B: Uuid = Uuid::from_u128(0xb);
const PATH: &str = "/api/v1/test/orders";

struct Fixed;

#[async_trait::async_trait]
impl TenantResolver for Fixed {
    async fn resolve(&self, host: &str) -> Result<Option<Tenant>, ApiError> {
        let t = |id, slug: &str| Tenant {
            id,
            kind: TenantKind::Marketplace,
            slug: slug.into(),
            name: slug.into(),
            default_locale: Locale::En,
            currency: "PEN".into(),
            tax_rate_bps: 0,
            tax_inclusive: true,
            status: TenantStatus::Active,
        };
        Ok(match host {
            "a.localhost" => Some(t(A, "a")),
            "b.localhost" => Some(t(B, "b")),
            _ => None,
        })
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct PlaceOrder {
    item: String,
    qty: u32,
}

/// The shape of every idempotent write: begin, replay or work, complete in the same transaction.
/// The work is an outbox event (one row per order); `x-test-fail` fails it after the work.
#[utoipa::path(post, path = "/api/v1/test/orders", params(IdempotencyKey),
    responses((status = 201)))]
async fn place_order(
    ctx: RequestCtx,
    State(state): State<AppState>,
    key: IdempotencyKey,
    headers: HeaderMap,
    AppJson(body): AppJson<PlaceOrder>,
) -> Result<StoredResponse, ApiError> {
    let mut guard = match idempotency::begin(&state.db, &ctx, &key, &body).await? {
        Begun::Replay(first) => return Ok(first),
        Begun::Fresh(guard) => guard,
    };
    let order = Uuid::now_v7();
    let event = outbox::emit(
        guard.conn(),
        ctx.tenant.id,
        &Event::new(
            "order.placed",
            order,
            json!({ "item": body.item, "qty": body.qty }),
        ),
    )
    .await?;
    // A slow order: duplicates arrive while it is in flight.
    sqlx::query("select pg_sleep(0.2)")
        .execute(guard.conn())
        .await?;
    if headers.contains_key("x-test-fail") {
        return Err(ApiError::internal(anyhow::anyhow!("failed after the work")));
    }
    guard
        .complete(
            StatusCode::CREATED,
            &json!({ "order": order, "event": event, "user": ctx.user_id(), "tenant": ctx.tenant.id }),
        )
        .await
}

/// A write where the key is optional.
#[utoipa::path(post, path = "/api/v1/test/notes", params(MaybeIdempotencyKey), responses((status = 201)))]
async fn create_note(
    ctx: RequestCtx,
    State(state): State<AppState>,
    MaybeIdempotencyKey(key): MaybeIdempotencyKey,
    AppJson(body): AppJson<Value>,
) -> Result<StoredResponse, ApiError> {
    let mut guard = match idempotency::begin_optional(&state.db, &ctx, key.as_ref(), &body).await? {
        Begun::Replay(first) => return Ok(first),
        Begun::Fresh(guard) => guard,
    };
    let id = outbox::emit(
        guard.conn(),
        ctx.tenant.id,
        &Event::new("note.created", Uuid::now_v7(), body),
    )
    .await?;
    guard
        .complete(StatusCode::CREATED, &json!({ "id": id }))
        .await
}

async fn app() -> TestApp {
    let api = OpenApiRouter::new()
        .routes(routes!(place_order))
        .routes(routes!(create_note));
    let app = TestApp::builder()
        .build(|_, _, _| Arc::new(Fixed), api)
        .await;
    for (id, slug) in [(A, "a"), (B, "b")] {
        let _: Uuid = app
            .owner_scalar(
                PLATFORM_TENANT_ID,
                &format!("insert into tenants (id, slug, name) values ('{id}', '{slug}', '{slug}') returning id"),
            )
            .await;
    }
    app
}

fn token(app: &TestApp, tenant: Uuid, user: Uuid) -> String {
    app.state
        .jwt
        .issue(user, tenant, Uuid::now_v7(), vec![], None)
        .unwrap()
}

/// Orders (outbox rows) written in `tenant`.
async fn orders(app: &TestApp, tenant: Uuid) -> i64 {
    app.owner_scalar(
        tenant,
        "select count(*) from outbox where topic = 'order.placed'",
    )
    .await
}

async fn order(
    app: &TestApp,
    host: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: &Value,
) -> TestResponse {
    let mut req = app.post(PATH).host(host).json(body);
    if let Some(t) = token {
        req = req.bearer(t);
    }
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await
}

fn replayed(res: &TestResponse) -> bool {
    res.headers
        .get(REPLAYED_HEADER)
        .is_some_and(|v| v == "true")
}

#[tokio::test]
async fn a_retry_replays_the_first_response_exactly() {
    let app = app().await;
    let user = Uuid::now_v7();
    let t = token(&app, A, user);
    let key = Uuid::new_v4().to_string();
    let body = json!({ "item": "polo", "qty": 2 });
    let first = order(&app, "a.localhost", Some(&t), Some(&key), &body)
        .await
        .expect(201);
    assert!(!replayed(&first));
    assert_eq!(first.body["user"], json!(user));
    // The same request, the JSON written differently: the same order.
    let again = order(
        &app,
        "a.localhost",
        Some(&t),
        Some(&key),
        &json!({ "qty": 2, "item": "polo" }),
    )
    .await
    .expect(201);
    assert!(replayed(&again));
    assert_eq!(again.text, first.text, "byte for byte");
    assert_eq!(again.headers["content-type"], "application/json");
    assert_eq!(orders(&app, A).await, 1);
    // A new key is a new order.
    let other = order(
        &app,
        "a.localhost",
        Some(&t),
        Some(&Uuid::new_v4().to_string()),
        &body,
    )
    .await
    .expect(201);
    assert_ne!(other.body["order"], first.body["order"]);
    assert_eq!(orders(&app, A).await, 2);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_refused() {
    let app = app().await;
    let t = token(&app, A, Uuid::now_v7());
    let key = "order-2026-0001";
    order(
        &app,
        "a.localhost",
        Some(&t),
        Some(key),
        &json!({ "item": "polo", "qty": 2 }),
    )
    .await
    .expect(201);
    let res = order(
        &app,
        "a.localhost",
        Some(&t),
        Some(key),
        &json!({ "item": "polo", "qty": 3 }),
    )
    .await
    .expect_problem(422, "idempotency_key_reused");
    assert_eq!(res.body["title"], "Idempotency key already used");
    // Another operation with the same key is another request too.
    app.post("/api/v1/test/notes")
        .host("a.localhost")
        .bearer(&t)
        .header("idempotency-key", key)
        .json(&json!({ "item": "polo", "qty": 2 }))
        .send()
        .await
        .expect_problem(422, "idempotency_key_reused");
    assert_eq!(orders(&app, A).await, 1);
}

#[tokio::test]
async fn another_user_or_tenant_never_sees_the_first_response() {
    let app = app().await;
    let (ana, beto) = (Uuid::now_v7(), Uuid::now_v7());
    let key = "shared-key";
    let body = json!({ "item": "polo", "qty": 1 });
    let first = order(
        &app,
        "a.localhost",
        Some(&token(&app, A, ana)),
        Some(key),
        &body,
    )
    .await
    .expect(201);
    // Another user of A, a guest of A, and a user of B: each gets an order of their own.
    let by_beto = order(
        &app,
        "a.localhost",
        Some(&token(&app, A, beto)),
        Some(key),
        &body,
    )
    .await
    .expect(201);
    let by_guest = order(&app, "a.localhost", None, Some(key), &body)
        .await
        .expect(201);
    let in_b = order(
        &app,
        "b.localhost",
        Some(&token(&app, B, ana)),
        Some(key),
        &body,
    )
    .await
    .expect(201);
    for res in [&by_beto, &by_guest, &in_b] {
        assert!(!replayed(res));
        assert_ne!(res.body["order"], first.body["order"]);
    }
    assert_eq!(by_beto.body["user"], json!(beto));
    assert_eq!(by_guest.body["user"], Value::Null);
    assert_eq!(in_b.body["tenant"], json!(B));
    assert_eq!(orders(&app, A).await, 3);
    assert_eq!(orders(&app, B).await, 1);
    // And each of them replays their own.
    let again = order(
        &app,
        "a.localhost",
        Some(&token(&app, A, beto)),
        Some(key),
        &body,
    )
    .await
    .expect(201);
    assert_eq!(again.text, by_beto.text);
    // The records: each tenant sees its own only.
    let a_keys: i64 = app
        .owner_scalar(A, "select count(*) from idempotency_keys")
        .await;
    let b_keys: i64 = app
        .owner_scalar(B, "select count(*) from idempotency_keys")
        .await;
    assert_eq!((a_keys, b_keys), (3, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_duplicates_do_the_work_once() {
    let app = Arc::new(app().await);
    let t = Arc::new(token(&app, A, Uuid::now_v7()));
    let key = Uuid::new_v4().to_string();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (app, t, key) = (app.clone(), t.clone(), key.clone());
            tokio::spawn(async move {
                order(
                    &app,
                    "a.localhost",
                    Some(&t),
                    Some(&key),
                    &json!({ "item": "polo", "qty": 5 }),
                )
                .await
            })
        })
        .collect();
    let mut responses = Vec::new();
    for task in tasks {
        responses.push(task.await.unwrap());
    }
    let first = &responses[0];
    for res in &responses {
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(
            res.text, first.text,
            "every duplicate gets the same response"
        );
    }
    assert_eq!(
        responses.iter().filter(|r| !replayed(r)).count(),
        1,
        "exactly one request did the work"
    );
    assert_eq!(orders(&app, A).await, 1);
}

#[tokio::test]
async fn a_failed_first_attempt_leaves_no_record() {
    let app = app().await;
    let t = token(&app, A, Uuid::now_v7());
    let key = "retry-me";
    let body = json!({ "item": "polo", "qty": 1 });
    app.post(PATH)
        .host("a.localhost")
        .bearer(&t)
        .header("idempotency-key", key)
        .header("x-test-fail", "1")
        .json(&body)
        .send()
        .await
        .expect_problem(500, "internal");
    assert_eq!(orders(&app, A).await, 0, "the work was rolled back");
    let keys: i64 = app
        .owner_scalar(A, "select count(*) from idempotency_keys")
        .await;
    assert_eq!(keys, 0, "and so was the record");
    let retry = order(&app, "a.localhost", Some(&t), Some(key), &body)
        .await
        .expect(201);
    assert!(!replayed(&retry), "the retry does the work");
    assert_eq!(orders(&app, A).await, 1);
}

#[tokio::test]
async fn the_key_is_required_and_validated() {
    let app = app().await;
    let body = json!({ "item": "polo", "qty": 1 });
    let missing = order(&app, "a.localhost", None, None, &body)
        .await
        .expect_problem(400, "idempotency_key_required");
    assert_eq!(missing.body["title"], "Idempotency key required");
    let es = app
        .post(PATH)
        .host("a.localhost")
        .lang("es")
        .json(&body)
        .send()
        .await
        .expect_problem(400, "idempotency_key_required");
    assert_eq!(es.body["title"], "Falta la clave de idempotencia");
    // Too long, or not printable ASCII (a tab is a valid header character, not a valid key).
    for bad in ["x".repeat(256), "tab\there".to_string()] {
        order(&app, "a.localhost", None, Some(&bad), &body)
            .await
            .expect_problem(400, "idempotency_key_invalid");
    }
    order(&app, "a.localhost", None, Some(&"x".repeat(255)), &body)
        .await
        .expect(201);
    assert_eq!(orders(&app, A).await, 1);
    // Where the key is optional, requests without one are simply done, each time.
    for _ in 0..2 {
        app.post("/api/v1/test/notes")
            .host("a.localhost")
            .json(&json!({ "text": "hola" }))
            .send()
            .await
            .expect(201);
    }
    let notes: i64 = app
        .owner_scalar(
            A,
            "select count(*) from outbox where topic = 'note.created'",
        )
        .await;
    assert_eq!(notes, 2);
    // The header is in the OpenAPI document, required or not.
    let spec = serde_json::to_value(&app.spec).unwrap();
    let param = |path: &str| spec["paths"][path]["post"]["parameters"][0].clone();
    assert_eq!(param(PATH)["name"], "Idempotency-Key");
    assert_eq!(param(PATH)["in"], "header");
    assert_eq!(param(PATH)["required"], true);
    assert_eq!(param("/api/v1/test/notes")["required"], false);
}

/// Directly against the database: waiting for the request in flight, and expiry.
#[tokio::test]
async fn a_duplicate_waits_for_the_first_then_gives_up_and_records_expire() {
    let app = app().await;
    let db = Db::from_pool(app.db.app.clone());
    let user = Some(Uuid::now_v7());
    let key = IdempotencyKey::new("k-1", "POST /things").unwrap();
    let request = json!({ "n": 1 });
    let fingerprint = key.fingerprint(&request).unwrap();
    let begin = |options: Options| {
        let (db, key) = (db.clone(), key.clone());
        async move { idempotency::begin_scoped(&db, A, user, Some(&key), fingerprint, options).await }
    };
    let short = Options {
        wait: Duration::from_millis(200),
        ..Options::default()
    };

    let Begun::Fresh(first) = begin(Options::default()).await.unwrap() else {
        panic!("a new key is fresh");
    };
    // While it is in flight, a duplicate waits, and gives up after `wait` with 409.
    let err = begin(short).await.err().expect("the duplicate gives up");
    assert_eq!(
        err.code(),
        (StatusCode::CONFLICT, "idempotency_key_in_progress")
    );
    // A duplicate that waits long enough gets the first response.
    let waiting = tokio::spawn(begin(Options::default()));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let done = first
        .complete(StatusCode::ACCEPTED, &json!({ "ok": true }))
        .await
        .unwrap();
    match waiting.await.unwrap().unwrap() {
        Begun::Replay(r) => {
            assert_eq!((r.status, &r.body), (StatusCode::ACCEPTED, &done.body));
            assert!(r.replayed);
        }
        Begun::Fresh(_) => panic!("the waiting duplicate did the work again"),
    }

    // An expired record frees the key.
    let other = IdempotencyKey::new("k-2", "POST /things").unwrap();
    let fp = other.fingerprint(&request).unwrap();
    let expired = Options {
        ttl: Duration::ZERO,
        ..Options::default()
    };
    let Begun::Fresh(g) = idempotency::begin_scoped(&db, A, user, Some(&other), fp, expired)
        .await
        .unwrap()
    else {
        panic!("fresh");
    };
    g.complete(StatusCode::OK, &json!({})).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let Begun::Fresh(g) =
        idempotency::begin_scoped(&db, A, user, Some(&other), fp, Options::default())
            .await
            .unwrap()
    else {
        panic!("an expired record is not replayed");
    };
    g.complete(StatusCode::OK, &json!({ "second": true }))
        .await
        .unwrap();
    let live: i64 = app
        .owner_scalar(
            A,
            "select count(*) from idempotency_keys where key = 'k-2' and expires_at > now()",
        )
        .await;
    assert_eq!(live, 1, "replaced by the new record");

    // Housekeeping deletes expired records of every tenant from the platform scope.
    let k3 = IdempotencyKey::new("k-3", "POST /things").unwrap();
    let Begun::Fresh(g) = idempotency::begin_scoped(&db, B, None, Some(&k3), fp, expired)
        .await
        .unwrap()
    else {
        panic!("fresh");
    };
    g.complete(StatusCode::OK, &json!({})).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut tx = db.begin_platform().await.unwrap();
    assert_eq!(idempotency::purge_expired(tx.conn(), 100).await.unwrap(), 1);
    tx.commit().await.unwrap();
    let b_keys: i64 = app
        .owner_scalar(B, "select count(*) from idempotency_keys")
        .await;
    assert_eq!(b_keys, 0);
}
