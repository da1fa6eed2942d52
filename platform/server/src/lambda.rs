//! AWS Lambda: the same Router, fed by API Gateway (HTTP API, payload v2) through `lambda_http`.
//! Nothing connects at start-up (the pool is lazy), so a cold start is only process start.

use anyhow::{Context as _, bail};
use axum::Router;
use kernel::{AppState, config::Config};
use lambda_http::{
    Adapter, Context, LambdaEvent, Service as _, request::LambdaRequest, tower::ServiceExt as _,
};

use crate::app::{self, Services};

/// Whether this process runs inside Lambda (the runtime API is announced in the environment).
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some_and(|v| !v.is_empty())
}

/// The configuration of a Lambda process: an external database and a fixed signing key are
/// required (every instance must accept every other's tokens), and the client address comes from
/// `X-Forwarded-For`, which API Gateway sets, unless `TRUST_FORWARDED_FOR` says otherwise.
pub fn lambda_config(mut config: Config) -> anyhow::Result<Config> {
    if config.database_url.is_none() {
        bail!("DATABASE_URL must be set in Lambda (there is no embedded PostgreSQL there)");
    }
    if config.jwt_signing_key.is_none() {
        bail!("JWT_SIGNING_KEY must be set in Lambda (every instance must sign with the same key)");
    }
    if std::env::var_os("TRUST_FORWARDED_FOR").is_none() {
        config.trust_forwarded_for = true;
    }
    Ok(config)
}

/// Serves Lambda invocations until the runtime stops the process.
pub async fn run(services: &Services) -> anyhow::Result<()> {
    let config = lambda_config(Config::from_env()?)?;
    let state = app::build_state(config).await?;
    let router = app::router(state, services);
    tracing::info!(services = ?services.enabled(), "serving Lambda invocations");
    lambda_http::run(router)
        .await
        .map_err(|e| anyhow::anyhow!(e))
        .context("Lambda runtime")
}

/// Serves scheduled invocations (EventBridge) of a job instead of HTTP: each invocation runs
/// `job` once and answers its summary. `gamarriando worker --once` and `expire-orders` run this
/// way in Lambda.
pub async fn run_job<F, Fut>(job: F) -> anyhow::Result<()>
where
    F: Fn(AppState) -> Fut,
    Fut: Future<Output = anyhow::Result<serde_json::Value>>,
{
    let config = lambda_config(Config::from_env()?)?;
    let state = app::build_state(config).await?;
    let job = &job;
    let state = &state;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            job(state.clone()).await.map_err(lambda_http::Error::from)
        },
    ))
    .await
    .map_err(|e| anyhow::anyhow!(e))
    .context("Lambda runtime")
}

/// Handles one raw event exactly as [`lambda_http::run`] does — event JSON to `LambdaRequest`, to
/// an HTTP request, through the router, back to the API Gateway response JSON — without the
/// runtime API. For tests and local invocation.
pub async fn invoke(router: Router, event: serde_json::Value) -> anyhow::Result<serde_json::Value> {
    let request: LambdaRequest =
        serde_json::from_value(event).context("not an API Gateway / ALB event")?;
    let mut adapter = Adapter::from(router);
    let ready = adapter
        .ready()
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let response = ready
        .call(LambdaEvent::new(request, Context::default()))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(serde_json::to_value(response)?)
}
