//! The embedded PostgreSQL: a private cluster in a fresh data directory, bootstrapped and
//! migrated, reused by a second start, and the app connecting as the runtime role.
//!
//! Needs PostgreSQL's server binaries (initdb, pg_ctl). Run as root, it needs the `postgres`
//! system user; both are there wherever `apt-get install postgresql` ran (as in `.ci/run`). A
//! missing prerequisite fails the test with the reason: nothing is skipped silently.

use std::path::PathBuf;

use gamarriando_server::embedded_pg::{self, EmbeddedPg};
use sqlx::{Connection, PgConnection};

/// A data directory of its own, removed (cluster stopped first) when the test ends.
struct TempDataDir(PathBuf);

impl TempDataDir {
    fn new() -> Self {
        // /tmp, not the target dir: as root, the `postgres` user must be able to reach it.
        let dir = std::env::temp_dir().join(format!(
            "gamarriando-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDataDir {
    fn drop(&mut self) {
        // A failed assertion must not leave a server running.
        let cluster = self.0.join("pg");
        if cluster.join("postmaster.pid").exists()
            && let Ok(bin) = embedded_pg::find_bin_dir()
        {
            {
                let pg_ctl = bin.join("pg_ctl");
                let mut cmd = if embedded_pg::running_as_root() {
                    let mut c = std::process::Command::new("runuser");
                    c.args(["-u", embedded_pg::SYSTEM_USER, "--"]).arg(pg_ctl);
                    c
                } else {
                    std::process::Command::new(pg_ctl)
                };
                let _ = cmd
                    .arg("stop")
                    .arg("-D")
                    .arg(&cluster)
                    .args(["-m", "immediate", "-w"])
                    .output();
            }
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn embedded_cluster_bootstraps_migrates_and_is_reused() {
    if let Err(e) = embedded_pg::find_bin_dir() {
        panic!("this test needs PostgreSQL's server binaries: {e:#}");
    }
    let data = TempDataDir::new();

    let pg = EmbeddedPg::start(&data.0)
        .await
        .unwrap_or_else(|e| panic!("embedded PostgreSQL: {e:#}"));
    assert!(pg.started_here());
    let port = pg.port();
    pg.bootstrap()
        .await
        .unwrap_or_else(|e| panic!("bootstrap: {e:#}"));
    // Idempotent.
    pg.bootstrap().await.unwrap();

    // The app's role: owns nothing, no superuser, no BYPASSRLS; every migration is applied.
    let mut app = PgConnection::connect(&pg.app_url()).await.unwrap();
    let (me, superuser, bypass): (String, bool, bool) =
        sqlx::query_as("select current_user::text, rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            .fetch_one(&mut app)
            .await
            .unwrap();
    assert_eq!(
        (me.as_str(), superuser, bypass),
        ("gamarriando_app", false, false)
    );
    // The migration ledger belongs to the owner; the app cannot even read it.
    assert!(
        sqlx::query("select 1 from _sqlx_migrations")
            .fetch_optional(&mut app)
            .await
            .is_err()
    );
    let mut owner = PgConnection::connect(&pg.owner_url()).await.unwrap();
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    owner.close().await.unwrap();
    assert_eq!(applied as usize, kernel::db::MIGRATOR.iter().count());
    // Row-level security is in force: no tenant set, no rows (the platform row exists).
    let visible: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&mut app)
        .await
        .unwrap();
    assert_eq!(visible, 0);
    let owner: String = sqlx::query_scalar(
        "select pg_get_userbyid(datdba)::text from pg_database where datname = 'gamarriando'",
    )
    .fetch_one(&mut app)
    .await
    .unwrap();
    assert_eq!(owner, "gamarriando_owner");
    app.close().await.unwrap();

    // A second start while it runs reuses it and leaves it running for its starter.
    let again = EmbeddedPg::start(&data.0).await.unwrap();
    assert!(!again.started_here());
    assert_eq!(again.port(), port);
    again.stop().await.unwrap();
    assert!(
        PgConnection::connect(&pg.superuser_url()).await.is_ok(),
        "stopped by a process that did not start it"
    );

    pg.stop().await.unwrap();
    assert!(
        PgConnection::connect(&format!("postgres://postgres@127.0.0.1:{port}/postgres"))
            .await
            .is_err()
    );

    // After a stop, the next start reuses the same cluster, port and data.
    let third = EmbeddedPg::start(&data.0).await.unwrap();
    assert!(third.started_here());
    assert_eq!(third.port(), port);
    third.bootstrap().await.unwrap();
    let mut owner = PgConnection::connect(&third.owner_url()).await.unwrap();
    let applied_again: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(&mut owner)
        .await
        .unwrap();
    assert_eq!(
        applied_again, applied,
        "a second bootstrap applies nothing new"
    );
    owner.close().await.unwrap();
    third.stop().await.unwrap();
}

#[tokio::test]
async fn commands_explain_missing_configuration() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gamarriando"))
        .args(["db", "bootstrap"])
        .env_remove("DATABASE_ADMIN_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--admin-url"));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gamarriando"))
        .args(["serve", "--services", "billing"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("users"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `serve` runs the outbox worker: a registration made through the served API reaches the new
/// user's inbox with nothing else running, woken by the commit.
#[tokio::test]
async fn serve_runs_the_outbox_worker() {
    let db = kernel::testing::TestDb::new().await;
    let tenant = uuid::Uuid::now_v7();
    let mut owner = db.owner.begin().await.unwrap();
    sqlx::query("select set_config('app.tenant_id', $1, true)")
        .bind(kernel::tenant::PLATFORM_TENANT_ID.to_string())
        .execute(&mut *owner)
        .await
        .unwrap();
    sqlx::query("insert into tenants (id, slug, name) values ($1, 'gamarra', 'Gamarra')")
        .bind(tenant)
        .execute(&mut *owner)
        .await
        .unwrap();
    owner.commit().await.unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = TempDataDir::new();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_gamarriando"))
        .arg("serve")
        .env("DATABASE_URL", &db.app_url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("GAMARRIANDO_DATA_DIR", &data.0)
        .env_remove("REDIS_URL")
        .env_remove("OUTBOX_WORKER")
        .env_remove("GAMARRIANDO_SERVICES")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let register = || {
        client
            .post(format!("http://127.0.0.1:{port}/api/v1/users/register"))
            .header("host", "gamarra.localhost")
            .json(&serde_json::json!({"email": "ana@gamarra.pe", "password": "correct horse battery"}))
            .send()
    };
    let mut registered = false;
    for _ in 0..100 {
        if let Ok(res) = register().await {
            assert_eq!(res.status(), 201);
            registered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(registered, "the server did not come up");
    let mut delivered = 0i64;
    for _ in 0..100 {
        let mut tx = db.owner.begin().await.unwrap();
        sqlx::query("select set_config('app.tenant_id', $1, true)")
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        delivered = sqlx::query_scalar(
            "select count(*) from notifications where template = 'verify_email' and channel = 'in_app'",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        if delivered == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.kill().await.ok();
    assert_eq!(
        delivered, 1,
        "the worker inside serve delivered the verification message"
    );
}
