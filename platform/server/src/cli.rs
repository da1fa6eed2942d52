//! The command line. With no `DATABASE_URL`, every command that needs a database starts (or
//! reuses) the embedded PostgreSQL in the data directory, migrates it and connects as the runtime
//! role; with one, it uses that server and never migrates unless asked.

use std::{io::IsTerminal, net::SocketAddr};

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use kernel::{AppState, config::Config, db::MIGRATOR, tenant::PLATFORM_TENANT_ID};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{Connection, PgConnection};

use crate::{
    app::{self, Service, Services},
    embedded_pg::{self, EmbeddedPg},
    lambda, seed,
};

#[derive(Debug, Parser)]
#[command(
    name = "gamarriando",
    version,
    about = "Gamarriando: many marketplaces, one platform"
)]
pub struct Cli {
    /// Services to mount (comma-separated); every service when unset.
    #[arg(
        long,
        global = true,
        env = "GAMARRIANDO_SERVICES",
        value_delimiter = ',',
        value_enum
    )]
    pub services: Vec<Service>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default command; in AWS Lambda, serve invocations instead).
    Serve(ServeArgs),
    /// Run the database migrations as the owner role (DATABASE_OWNER_URL, or the embedded cluster).
    Migrate,
    /// Database administration.
    #[command(subcommand)]
    Db(DbCommand),
    /// Print the OpenAPI document (JSON) on stdout; connects to nothing.
    Openapi,
    /// Marketplaces.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Platform staff accounts.
    #[command(subcommand, name = "platform-admin")]
    PlatformAdmin(PlatformAdminCommand),
    /// Create the demo marketplaces and accounts (idempotent) and print how to use them.
    Seed,
    /// Cancel unpaid orders past their payment deadline and release their stock, once (`serve`
    /// does it every ORDER_EXPIRY_INTERVAL_SECS). In Lambda it serves scheduled invocations,
    /// each one a sweep.
    ExpireOrders,
    /// Run the outbox worker on its own (notifications, webhooks): until SIGTERM, or with
    /// `--once` until nothing is due. In Lambda, `worker --once` serves scheduled invocations,
    /// each one a drain. `serve` runs a worker too unless OUTBOX_WORKER=false.
    Worker {
        #[arg(long)]
        once: bool,
    },
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Create the demo marketplaces and accounts before serving.
    #[arg(long)]
    pub seed: bool,
    /// Run migrations (as the owner role) before serving; always done for the embedded cluster.
    #[arg(long)]
    pub migrate: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the owner and runtime roles and the database on a fresh server (idempotent).
    Bootstrap {
        /// A superuser (or CREATEROLE + CREATEDB) connection URL.
        #[arg(long, env = "DATABASE_ADMIN_URL")]
        admin_url: SecretString,
        /// The database to create, owned by the owner role.
        #[arg(long, default_value = "gamarriando")]
        database: String,
        /// Also run the migrations (connects as the owner role on the admin URL's server,
        /// which needs trust authentication or a password set for the role).
        #[arg(long)]
        migrate: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a marketplace, reachable at `{slug}.{PLATFORM_DOMAIN}`.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Default locale of the marketplace (es, en).
        #[arg(long, default_value = "es")]
        locale: String,
        /// ISO 4217 currency of the marketplace.
        #[arg(long, default_value = "PEN")]
        currency: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PlatformAdminCommand {
    /// Create a platform admin (a verified user of the platform tenant).
    Create {
        #[arg(long)]
        email: String,
        /// The password; a random one is generated and printed when omitted.
        #[arg(long, env = "GAMARRIANDO_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[arg(long, default_value = "Platform Admin")]
        name: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let services = Services::new(&cli.services)?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Openapi => {
            print!("{}", app::openapi_json(&services)?);
            Ok(())
        }
        Command::Serve(args) if lambda::in_lambda() => {
            init_logs();
            if args.seed || args.migrate {
                bail!("--seed and --migrate are not available in Lambda");
            }
            lambda::run(&services).await
        }
        Command::Serve(args) => {
            init_logs();
            serve(&services, args).await
        }
        Command::Migrate => {
            init_logs();
            migrate().await
        }
        Command::Db(DbCommand::Bootstrap {
            admin_url,
            database,
            migrate,
        }) => {
            init_logs();
            db_bootstrap(&admin_url, &database, migrate).await
        }
        Command::Tenant(TenantCommand::Create {
            slug,
            name,
            locale,
            currency,
        }) => {
            init_logs();
            with_state(|state| async move {
                let (id, created) =
                    seed::ensure_tenant(&state, &slug, &name, &locale, &currency).await?;
                let host = format!("{slug}.{}", state.config.platform_domain);
                if created {
                    println!("created marketplace {slug} ({name}) id {id}, host {host}");
                } else {
                    println!("marketplace {slug} already exists: id {id}, host {host}");
                }
                Ok(())
            })
            .await
        }
        Command::PlatformAdmin(PlatformAdminCommand::Create {
            email,
            password,
            name,
        }) => {
            init_logs();
            with_state(|state| async move {
                let generated = password.is_none();
                let password = password.unwrap_or_else(seed::generate_password);
                let (id, created) =
                    seed::ensure_user(&state.db, PLATFORM_TENANT_ID, &email, &password, &name, &["platform_admin"]).await?;
                let host = &state.config.platform_domain;
                if !created {
                    println!("platform admin {email} already exists (id {id}); password unchanged");
                } else if generated {
                    println!("created platform admin {email} (id {id}) on host {host}\npassword: {password}");
                } else {
                    println!("created platform admin {email} (id {id}) on host {host}");
                }
                Ok(())
            })
            .await
        }
        Command::Seed => {
            init_logs();
            with_state(|state| async move {
                let report = seed::seed(&state).await?;
                print!(
                    "{}",
                    seed::render(&report, &seed::base_url(state.config.bind))
                );
                Ok(())
            })
            .await
        }
        Command::ExpireOrders if lambda::in_lambda() => {
            init_logs();
            lambda::run_job(|state| async move {
                let expired = orders::api::expire_all(&state).await?;
                Ok(serde_json::json!({ "expired": expired }))
            })
            .await
        }
        Command::Worker { once: true } if lambda::in_lambda() => {
            init_logs();
            lambda::run_job(|state| async move {
                let handled = crate::outbox_worker(&state).drain().await?;
                Ok(serde_json::json!({ "handled": handled }))
            })
            .await
        }
        Command::ExpireOrders => {
            init_logs();
            with_state(|state| async move {
                let n = orders::api::expire_all(&state).await?;
                println!("expired {n} unpaid orders");
                Ok(())
            })
            .await
        }
        Command::Worker { once } => {
            init_logs();
            with_state(|state| async move {
                if once {
                    let n = crate::outbox_worker(&state).drain().await?;
                    println!("handled {n} events");
                    Ok(())
                } else {
                    crate::outbox_worker(&state).run(shutdown_signal()).await;
                    Ok(())
                }
            })
            .await
        }
    }
}

/// JSON logs, unless on a terminal or `LOG_FORMAT=pretty` (`LOG_FORMAT=json` forces JSON).
fn init_logs() {
    let json = match std::env::var("LOG_FORMAT").ok().as_deref() {
        Some("pretty") | Some("text") => false,
        Some("json") => true,
        _ => !std::io::stdout().is_terminal(),
    };
    kernel::telemetry::init(json);
}

/// The database of a command: with `DATABASE_URL` unset, starts (or reuses) the embedded cluster,
/// bootstraps and migrates it, and points `config` at it as the runtime role.
pub async fn prepare_database(config: &mut Config) -> anyhow::Result<Option<EmbeddedPg>> {
    if config.database_url.is_some() {
        return Ok(None);
    }
    let pg = EmbeddedPg::start(&config.data_dir).await?;
    if let Err(e) = pg.bootstrap().await {
        pg.stop().await.ok();
        return Err(e);
    }
    config.database_url = Some(SecretString::from(pg.app_url()));
    config.database_owner_url = Some(SecretString::from(pg.owner_url()));
    Ok(Some(pg))
}

/// Runs `f` with a state on the configured (or embedded) database, then closes everything.
async fn with_state<F, Fut>(f: F) -> anyhow::Result<()>
where
    F: FnOnce(AppState) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut config = Config::from_env()?;
    let embedded = prepare_database(&mut config).await?;
    let result = async {
        let state = app::build_state(config).await?;
        let db = state.db.clone();
        let r = f(state).await;
        db.close().await;
        r
    }
    .await;
    finish(embedded, result).await
}

/// Stops the embedded cluster when this process started it, keeping the first error.
async fn finish(embedded: Option<EmbeddedPg>, result: anyhow::Result<()>) -> anyhow::Result<()> {
    let stopped = match embedded {
        Some(pg) => pg.stop().await,
        None => Ok(()),
    };
    result.and(stopped)
}

async fn serve(services: &Services, args: ServeArgs) -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    let embedded = prepare_database(&mut config).await?;
    if embedded.is_none() && args.migrate {
        migrate_url(owner_url(&config)?).await?;
    }
    let result = async {
        let bind = config.bind;
        let state = app::build_state(config).await?;
        if args.seed {
            let report = seed::seed(&state).await?;
            print!("{}", seed::render(&report, &seed::base_url(bind)));
        }
        if services.has(app::Service::Orders) {
            tokio::spawn(orders::api::run_expiry(
                state.clone(),
                state.config.order_expiry_interval,
            ));
        }
        let (stop_worker, worker) =
            if services.has(app::Service::Notifications) && state.config.outbox_worker {
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                let handle = tokio::spawn(crate::outbox_worker(&state).run(async {
                    stopped.await.ok();
                }));
                (Some(stop), Some(handle))
            } else {
                (None, None)
            };
        let router = app::router(state.clone(), services);
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .with_context(|| format!("binding {bind} (set BIND)"))?;
        let url = seed::base_url(listener.local_addr()?);
        tracing::info!(
            services = ?services.enabled(),
            cache = if state.cache.is_redis() { "redis" } else { "memory" },
            "listening on {url} (docs: {url}/docs; tenants answer on Host {{slug}}.{})",
            state.config.platform_domain
        );
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
        tracing::info!("shutting down");
        if let (Some(stop), Some(worker)) = (stop_worker, worker) {
            // The worker finishes the batch in hand; each handler is bounded by its timeout.
            stop.send(()).ok();
            if let Err(e) = worker.await {
                tracing::error!(error = %e, "outbox worker panicked");
            }
        }
        state.db.close().await;
        Ok(())
    }
    .await;
    finish(embedded, result).await
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

fn owner_url(config: &Config) -> anyhow::Result<SecretString> {
    config
        .database_owner_url
        .clone()
        .or_else(|| config.database_url.clone())
        .context("set DATABASE_OWNER_URL (the owner role) to migrate an external database")
}

async fn migrate_url(url: SecretString) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(url.expose_secret())
        .await
        .context("connecting as the owner role")?;
    let before = applied(&mut conn).await;
    MIGRATOR
        .run(&mut conn)
        .await
        .context("running migrations")?;
    let after = applied(&mut conn).await;
    conn.close().await.ok();
    println!(
        "migrations: {} applied now, {after} in total",
        after - before
    );
    Ok(())
}

async fn applied(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
        .fetch_one(conn)
        .await
        .unwrap_or(0)
}

async fn migrate() -> anyhow::Result<()> {
    let mut config = Config::from_env()?;
    if config.database_url.is_none() && config.database_owner_url.is_none() {
        // The embedded cluster migrates as part of its bootstrap.
        let embedded = prepare_database(&mut config).await?;
        let url = owner_url(&config)?;
        let result = migrate_url(url).await;
        return finish(embedded, result).await;
    }
    migrate_url(owner_url(&config)?).await
}

async fn db_bootstrap(
    admin_url: &SecretString,
    database: &str,
    migrate: bool,
) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(admin_url.expose_secret())
        .await
        .context("connecting with --admin-url")?;
    let created = embedded_pg::create_roles_and_database(&mut admin, database).await?;
    admin.close().await.ok();
    let verb = if created {
        "created"
    } else {
        "already existed"
    };
    println!("roles gamarriando_owner, gamarriando_app ready; database {database} {verb}");
    if migrate {
        let opts: sqlx::postgres::PgConnectOptions = admin_url.expose_secret().parse()?;
        let owner = opts.username(kernel::db::OWNER_ROLE).database(database);
        let mut conn = PgConnection::connect_with(&owner)
            .await
            .context("connecting as gamarriando_owner")?;
        MIGRATOR
            .run(&mut conn)
            .await
            .context("running migrations")?;
        conn.close().await.ok();
        println!("migrations applied");
    } else {
        println!(
            "next: give the roles passwords (alter role gamarriando_owner password '…'; alter role gamarriando_app password '…'),\n\
             then DATABASE_OWNER_URL=postgres://gamarriando_owner:…@HOST/{database} gamarriando migrate\n\
             and run the app with DATABASE_URL=postgres://gamarriando_app:…@HOST/{database}"
        );
    }
    Ok(())
}
