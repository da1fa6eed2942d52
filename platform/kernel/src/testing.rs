//! Test harness (feature `testing`): a fresh database per test, cloned from a migrated template,
//! an app wired exactly like production, and a small request builder.
//!
//! `TEST_ADMIN_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) must be a
//! superuser: it creates the roles and databases. The app itself connects as the runtime role, so
//! row-level security is really in force in every test.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection, PgPool, postgres::PgPoolOptions};
use tower::ServiceExt;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::{
    auth::JwtKeys,
    cache::Cache,
    config::{Config, S3Config},
    db::{Db, MIGRATOR, bootstrap_roles},
    rbac::Rbac,
    state::AppState,
    storage::{Storage, UploadTicket},
    tenant::TenantResolver,
};

pub fn admin_url() -> String {
    std::env::var("TEST_ADMIN_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The local S3-compatible server (s3s-fs, started by `.ci/run`).
pub fn s3_endpoint() -> String {
    std::env::var("TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8014".into())
}

/// Sends an upload as a browser would: the ticket's method, URL and headers (the content type
/// replaced by `content_type` when given), the length taken from `body`. Returns the status.
/// For URLs outside the test app (S3); [`TestApp::upload`] also reaches the disk backend.
pub async fn send_upload(
    ticket: &UploadTicket,
    content_type: Option<&str>,
    body: impl Into<Vec<u8>>,
) -> StatusCode {
    let method = reqwest::Method::from_bytes(ticket.method.as_bytes()).expect("method");
    let mut req = reqwest::Client::new()
        .request(method, &ticket.url)
        .body(body.into());
    for (k, v) in &ticket.headers {
        match k.as_str() {
            "content-length" | "host" => {}
            "content-type" => req = req.header(k, content_type.unwrap_or(v)),
            _ => req = req.header(k, v),
        }
    }
    let res = req
        .send()
        .await
        .expect("upload request (is the S3 server up?)");
    StatusCode::from_u16(res.status().as_u16()).expect("status")
}

/// S3 settings for the local server with a bucket of this test's own, which `build` creates.
/// Set them with `TestApp::builder().config(|c| c.storage.s3 = Some(testing::s3_config()))`.
pub fn s3_config() -> S3Config {
    S3Config {
        bucket: format!("gmr-t-{}", Uuid::new_v4().simple()),
        endpoint: Some(s3_endpoint()),
        region: "us-east-1".into(),
        access_key_id: Some("test".into()),
        secret_access_key: Some(SecretString::from("testsecret")),
        force_path_style: true,
    }
}

/// The admin URL's server, logged in as `role` to database `db` (trust or peer auth in tests).
fn url_for(role: &str, db: &str) -> String {
    let opts: sqlx::postgres::PgConnectOptions =
        admin_url().parse().expect("TEST_ADMIN_DATABASE_URL parses");
    format!(
        "postgres://{role}@{}:{}/{db}",
        opts.get_host(),
        opts.get_port()
    )
}

/// A database of its own, migrated, with pools for the owner (setup only) and the runtime role.
pub struct TestDb {
    pub name: String,
    /// The runtime role: what the app uses. RLS applies.
    pub app: PgPool,
    /// The owner role: for test setup that must see every tenant. RLS is forced on it too, so
    /// setup sets `app.tenant_id` like the app does.
    pub owner: PgPool,
    pub app_url: String,
}

impl TestDb {
    /// A transaction as the owner with `app.tenant_id` (and `app.user_id`, when given) set, as
    /// the app sets them: setup and assertions that see past the app's grants but stay in one
    /// tenant, like everything else under the forced policies.
    pub async fn owner_tx(
        &self,
        tenant: Uuid,
        user: Option<Uuid>,
    ) -> sqlx::Transaction<'static, sqlx::Postgres> {
        let mut tx = self.owner.begin().await.unwrap();
        sqlx::query(
            "select set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true)",
        )
        .bind(tenant.to_string())
        .bind(user.map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await
        .unwrap();
        tx
    }

    /// Runs `sql` in an [`owner_tx`](Self::owner_tx) and returns its one value.
    pub async fn owner_scalar_as<T>(&self, tenant: Uuid, user: Option<Uuid>, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        let mut tx = self.owner_tx(tenant, user).await;
        let v: T = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        v
    }

    pub async fn new() -> TestDb {
        let template = ensure_template().await;
        let name = format!("gmr_t_{}", Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url())
            .await
            .expect("admin connection (is PostgreSQL running?)");
        // Copies are cheap; retry when another test is still copying the same template.
        let mut tries = 0;
        loop {
            let sql = format!("create database {name} template {template} owner gamarriando_owner");
            match admin.execute(sqlx::AssertSqlSafe(sql)).await {
                Ok(_) => break,
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!(error = %e, "template busy, retrying");
                    tokio::time::sleep(Duration::from_millis(50 + tries * 20)).await;
                }
                Err(e) => panic!("create test database: {e}"),
            }
        }
        let app_url = url_for("gamarriando_app", &name);
        let app = PgPoolOptions::new()
            .max_connections(8)
            .connect(&app_url)
            .await
            .expect("app pool");
        let owner = PgPoolOptions::new()
            .max_connections(2)
            .connect(&url_for("gamarriando_owner", &name))
            .await
            .expect("owner pool");
        TestDb {
            name,
            app,
            owner,
            app_url,
        }
    }
}

/// A migrated template database named after the migrations' checksums, created once per change.
async fn ensure_template() -> String {
    let mut hash = 0u64;
    for m in MIGRATOR.iter() {
        for b in m.checksum.iter() {
            hash = hash.wrapping_mul(1_099_511_628_211).wrapping_add(*b as u64);
        }
    }
    let template = format!("gmr_tmpl_{hash:016x}");
    let mut admin = PgConnection::connect(&admin_url())
        .await
        .expect("admin connection (is PostgreSQL running?)");
    bootstrap_roles(&mut admin).await.expect("bootstrap roles");
    admin
        .execute("select pg_advisory_lock(7243002)")
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("select exists (select from pg_database where datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .expect("check template");
    if !exists {
        let building = format!("{template}_building");
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "drop database if exists {building}"
            )))
            .await
            .expect("drop stale");
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "create database {building} owner gamarriando_owner"
            )))
            .await
            .expect("create template");
        {
            let mut owner = PgConnection::connect(&url_for("gamarriando_owner", &building))
                .await
                .expect("owner conn");
            MIGRATOR.run(&mut owner).await.expect("migrate template");
            owner.close().await.ok();
        }
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "alter database {building} rename to {template}"
            )))
            .await
            .expect("publish template");
    }
    admin
        .execute("select pg_advisory_unlock(7243002)")
        .await
        .expect("unlock");
    template
}

/// The app as production wires it, on a fresh database, Redis under a namespace of its own.
pub struct TestApp {
    pub db: TestDb,
    pub state: AppState,
    pub router: Router,
    pub spec: utoipa::openapi::OpenApi,
    /// The disk storage root of this test (removed on drop); `None` on S3.
    pub files_dir: Option<std::path::PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(dir) = &self.files_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub struct TestAppBuilder {
    config: Config,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        let mut config = Config::from_lookup(|_| None).expect("default config");
        config.trust_forwarded_for = true;
        TestAppBuilder { config }
    }
}

impl TestAppBuilder {
    pub fn config(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(&mut self.config);
        self
    }

    /// `resolver` builds the tenant resolver from the database; `api` is the services' router.
    /// Files go to a temporary directory of this test, or, when S3 is configured (see
    /// [`s3_config`]), to that bucket, created here: an unreachable S3 server fails the test.
    pub async fn build(
        self,
        resolver: impl FnOnce(Db, Cache, &Config) -> Arc<dyn TenantResolver>,
        api: OpenApiRouter<AppState>,
    ) -> TestApp {
        let db = TestDb::new().await;
        let mut config = self.config;
        config.cache_namespace = db.name.clone();
        config.database_url = Some(SecretString::from(db.app_url.clone()));
        let cache = Cache::redis(&SecretString::from(redis_url()), &db.name)
            .await
            .expect("redis (is it running?)");
        let pool_db = Db::from_pool(db.app.clone());
        let files_dir = config.storage.s3.is_none().then(|| {
            let dir = std::env::temp_dir().join(format!("gmr-files-{}", db.name));
            config.storage.files_dir = dir.clone();
            dir
        });
        let storage = Storage::from_config(&config, Some(Uuid::new_v4().as_bytes()))
            .await
            .expect("storage");
        if let Some(s3) = &config.storage.s3 {
            storage.ensure_bucket().await.unwrap_or_else(|e| {
                panic!(
                    "S3 bucket {} at {:?} (is s3s-fs running? .ci/run starts it): {e:#}",
                    s3.bucket, s3.endpoint
                )
            });
        }
        let state = AppState {
            jwt: Arc::new(
                JwtKeys::from_pkcs8(
                    &JwtKeys::generate_pkcs8(),
                    &config.jwt_issuer,
                    config.access_token_ttl,
                )
                .unwrap(),
            ),
            rbac: Rbac::load_default().await.expect("policy loads"),
            tenants: resolver(pool_db.clone(), cache.clone(), &config),
            db: pool_db,
            cache,
            storage,
            secrets: crate::secrets::Sealer::ephemeral(),
            config: Arc::new(config),
        };
        let (router, spec) = crate::http::compose(state.clone(), api);
        TestApp {
            db,
            state,
            router,
            spec,
            files_dir,
        }
    }
}

impl TestApp {
    pub fn req(&self, method: &str, path: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            builder: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    pub fn get(&self, path: &str) -> TestRequest<'_> {
        self.req("GET", path)
    }
    pub fn post(&self, path: &str) -> TestRequest<'_> {
        self.req("POST", path)
    }
    pub fn put(&self, path: &str) -> TestRequest<'_> {
        self.req("PUT", path)
    }
    pub fn patch(&self, path: &str) -> TestRequest<'_> {
        self.req("PATCH", path)
    }
    pub fn delete(&self, path: &str) -> TestRequest<'_> {
        self.req("DELETE", path)
    }

    /// Performs an upload of `ticket` like a client: to S3 over HTTP, to the disk backend through
    /// this app's router. `content_type` replaces the ticket's when given. Returns the status.
    pub async fn upload(
        &self,
        ticket: &UploadTicket,
        content_type: Option<&str>,
        body: impl Into<Vec<u8>>,
    ) -> StatusCode {
        if self.state.storage.is_s3() {
            return send_upload(ticket, content_type, body).await;
        }
        let rest = ticket
            .url
            .split_once("://")
            .map_or(&*ticket.url, |(_, r)| r);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        let mut req = self.req(&ticket.method, path);
        let mut ct = None;
        for (k, v) in &ticket.headers {
            match k.as_str() {
                "content-length" | "host" => {}
                "content-type" => ct = Some(content_type.unwrap_or(v).to_string()),
                _ => req = req.header(k, v),
            }
        }
        let body: Vec<u8> = body.into();
        match ct {
            Some(ct) => req.raw(&ct, body).send().await.status,
            None => {
                req.body = Body::from(body);
                req.send().await.status
            }
        }
    }

    /// Runs `sql` as the owner with `app.tenant_id` set (test setup and assertions).
    pub async fn owner_scalar<T>(&self, tenant: Uuid, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        self.db.owner_scalar_as(tenant, None, sql).await
    }

    /// Like [`owner_scalar`](Self::owner_scalar), with `app.user_id` set too: for tables whose
    /// policies also ask who the user is (a vendor's stock history).
    pub async fn owner_scalar_as<T>(&self, tenant: Uuid, user: Option<Uuid>, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        self.db.owner_scalar_as(tenant, user, sql).await
    }
}

pub struct TestRequest<'a> {
    app: &'a TestApp,
    builder: axum::http::request::Builder,
    body: Body,
}

impl TestRequest<'_> {
    pub fn host(mut self, host: &str) -> Self {
        self.builder = self.builder.header(header::HOST, host);
        self
    }
    pub fn bearer(mut self, token: &str) -> Self {
        self.builder = self
            .builder
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }
    pub fn lang(self, lang: &str) -> Self {
        self.header("accept-language", lang)
    }
    pub fn json(mut self, body: &Value) -> Self {
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(serde_json::to_vec(body).unwrap());
        self
    }
    pub fn raw(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.builder = self.builder.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    pub async fn send(self) -> TestResponse {
        let req = self.builder.body(self.body).unwrap();
        let res = self.app.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        TestResponse {
            status,
            headers,
            body,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestResponse {
    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a problem+json with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        let this = self.expect(status);
        assert_eq!(
            this.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(crate::error::PROBLEM_JSON),
            "not a problem: {}",
            this.text
        );
        assert_eq!(this.body["code"], code, "problem: {}", this.text);
        this
    }

    pub fn field_codes(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or_default().into(),
                            e["code"].as_str().unwrap_or_default().into(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
