//! Integrators' webhook endpoints (admins). The signing secret is shown once, when the endpoint
//! is made; deliveries carry `Gamarriando-Signature: t=…,v1=…` (HMAC-SHA256 over `t.body`).

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use axum::{Json, extract::State, http::StatusCode};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath},
    rbac::Can,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{domain::topics::WEBHOOK_TOPICS, permissions as perm, repo};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(update_webhook, delete_webhook))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// The events delivered to it.
    pub topics: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<repo::endpoints::Endpoint> for Webhook {
    fn from(e: repo::endpoints::Endpoint) -> Self {
        Webhook {
            id: e.id,
            url: e.url,
            topics: e.topics,
            description: e.description,
            enabled: e.enabled,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new endpoint and its signing secret, which is never shown again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: verify `Gamarriando-Signature` with it. Store it now.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Webhooks {
    pub items: Vec<Webhook>,
    /// The events an endpoint may subscribe to.
    pub topics: Vec<String>,
}

/// The tenant's webhook endpoints.
#[utoipa::path(get, path = "/api/v1/notifications/webhooks", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = Webhooks),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_webhooks(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Webhooks>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::endpoints::list(tx.conn()).await?;
    tx.commit().await?;
    Ok(Json(Webhooks {
        items: rows.into_iter().map(Webhook::from).collect(),
        topics: WEBHOOK_TOPICS.iter().map(|t| t.to_string()).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://…` (or `http://` for local development).
    #[schema(max_length = 2048)]
    pub url: String,
    pub topics: Vec<String>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

fn check(
    url: Option<&str>,
    topics: Option<&[String]>,
    description: Option<&str>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(url) = url
        && (url.len() > 2048
            || !(url.starts_with("https://") || url.starts_with("http://"))
            || url.contains(char::is_whitespace))
    {
        errors.push(FieldError::new("url", "invalid"));
    }
    if let Some(topics) = topics {
        if topics.is_empty() || topics.len() > 50 {
            errors.push(
                FieldError::new("topics", "out_of_range")
                    .with("min", 1)
                    .with("max", 50),
            );
        }
        for (i, t) in topics.iter().enumerate() {
            if !WEBHOOK_TOPICS.contains(&t.as_str()) {
                errors.push(FieldError::new(format!("topics[{i}]"), "topic_unknown"));
            }
        }
    }
    if description.is_some_and(|d| d.chars().count() > 200) {
        errors.push(FieldError::new("description", "too_long").with("max", 200));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Registers an endpoint. The answer holds its signing secret, once.
#[utoipa::path(post, path = "/api/v1/notifications/webhooks", tag = "notifications", security(("bearer" = [])),
    request_body = NewWebhook,
    responses(
        (status = 201, body = CreatedWebhook),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_webhook(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<NewWebhook>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    check(
        Some(&body.url),
        Some(&body.topics),
        body.description.as_deref(),
    )?;
    let mut topics = body.topics.clone();
    topics.sort();
    topics.dedup();
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ApiError::internal(anyhow::anyhow!("random source failed")))?;
    let secret = format!("whsec_{}", URL_SAFE_NO_PAD.encode(bytes));
    let id = Uuid::now_v7();
    let sealed = state
        .secrets
        .seal_str(
            &repo::endpoints::secret_context(ctx.tenant.id, id),
            &SecretString::from(secret.clone()),
        )
        .map_err(ApiError::internal)?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::endpoints::insert(
        tx.conn(),
        ctx.tenant.id,
        &repo::endpoints::NewEndpoint {
            id,
            url: &body.url,
            topics: &topics,
            description: body.description.as_deref(),
            secret_sealed: &sealed,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedWebhook {
            webhook: row.into(),
            secret,
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub topics: Option<Vec<String>>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Changes an endpoint (its secret stays).
#[utoipa::path(patch, path = "/api/v1/notifications/webhooks/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = WebhookChanges,
    responses(
        (status = 200, body = Webhook),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_webhook(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
    AppJson(body): AppJson<WebhookChanges>,
) -> Result<Json<Webhook>, ApiError> {
    check(
        body.url.as_deref(),
        body.topics.as_deref(),
        body.description.as_deref(),
    )?;
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::endpoints::update(
        tx.conn(),
        id,
        &repo::endpoints::Changes {
            url: body.url.as_deref(),
            topics: body.topics.as_deref(),
            description: body.description.as_deref(),
            enabled: body.enabled,
        },
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Removes an endpoint and its pending deliveries.
#[utoipa::path(delete, path = "/api/v1/notifications/webhooks/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_webhook(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(id): AppPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::endpoints::delete(tx.conn(), id).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
