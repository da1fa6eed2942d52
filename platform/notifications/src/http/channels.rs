//! A tenant's providers per channel (admins). Credentials go in sealed and never come back: the
//! answer shows a masked hint.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath},
    rbac::Can,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{permissions as perm, repo};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels))
        .routes(routes!(put_channel, delete_channel))
        .routes(routes!(test_channel))
}

/// The channels a tenant configures (in-app needs no provider; webhooks are endpoints).
const CHANNELS: [&str; 3] = ["email", "sms", "push"];

fn channel_param(channel: &str) -> Result<(), ApiError> {
    if CHANNELS.contains(&channel) {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// A configured channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelConfig {
    pub channel: String,
    pub provider: String,
    /// The provider's non-secret settings (host, sender, account id, …).
    pub settings: Value,
    /// The credential, masked (`••••abcd`), or null when none is stored.
    pub secret_hint: Option<String>,
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<repo::channels::ChannelRow> for ChannelConfig {
    fn from(r: repo::channels::ChannelRow) -> Self {
        ChannelConfig {
            channel: r.channel,
            provider: r.provider,
            settings: r.settings,
            secret_hint: r.secret_hint,
            enabled: r.enabled,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Channels {
    pub items: Vec<ChannelConfig>,
    /// Providers available per channel.
    pub providers: Vec<ProviderInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderInfo {
    pub name: String,
    pub channel: String,
}

/// The tenant's channel configuration.
#[utoipa::path(get, path = "/api/v1/notifications/channels", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = Channels),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_channels(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Channels>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::channels::list(tx.conn()).await?;
    tx.commit().await?;
    let registry = notify::Registry::builtin();
    let providers = registry
        .names()
        .filter_map(|name| {
            let channel = registry.channel_of(name)?;
            CHANNELS.contains(&channel.as_str()).then(|| ProviderInfo {
                name: name.to_string(),
                channel: channel.as_str().to_string(),
            })
        })
        .collect();
    Ok(Json(Channels {
        items: rows.into_iter().map(ChannelConfig::from).collect(),
        providers,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutChannel {
    /// A provider of this channel (see `providers` of the list).
    pub provider: String,
    /// The provider's settings (a JSON object).
    #[serde(default = "empty_object")]
    pub settings: Value,
    /// The credential (password, API key, auth token, service-account JSON). Omit to keep the
    /// stored one.
    #[schema(value_type = Option<String>)]
    pub secret: Option<SecretString>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

fn yes() -> bool {
    true
}

/// Sets the channel's provider and credentials. The provider is built from them before they are
/// stored, so a bad configuration is refused now rather than failing the first message.
#[utoipa::path(put, path = "/api/v1/notifications/channels/{channel}", tag = "notifications", security(("bearer" = [])),
    params(("channel" = String, Path, description = "`email`, `sms` or `push`")),
    request_body = PutChannel,
    responses(
        (status = 200, body = ChannelConfig),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_channel(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(channel): AppPath<String>,
    AppJson(body): AppJson<PutChannel>,
) -> Result<Json<ChannelConfig>, ApiError> {
    channel_param(&channel)?;
    let registry = notify::Registry::builtin();
    if registry.channel_of(&body.provider).map(|c| c.as_str()) != Some(channel.as_str()) {
        return Err(ApiError::Validation(vec![
            FieldError::new("provider", "unknown_provider").with("channel", &channel),
        ]));
    }
    if !body.settings.is_object() {
        return Err(ApiError::field("settings", "invalid_type"));
    }
    let context = repo::channels::secret_context(ctx.tenant.id, &channel);
    let mut tx = state.db.begin_for(&ctx).await?;
    // The secret to check the settings with: the new one, else the stored one.
    let secret = match &body.secret {
        Some(s) => Some(s.clone()),
        None => match repo::channels::get(tx.conn(), &channel).await? {
            Some(row) => row
                .secret_sealed
                .map(|s| state.secrets.open_str(&context, &s))
                .transpose()
                .map_err(ApiError::internal)?,
            None => None,
        },
    };
    let config = notify::ProviderConfig {
        settings: body.settings.clone(),
        secret,
    };
    if let Err(e) = registry.build(&body.provider, &config) {
        return Err(ApiError::Validation(vec![
            FieldError::new("settings", "provider_settings").with("reason", format!("{e:#}")),
        ]));
    }
    let sealed = body
        .secret
        .as_ref()
        .map(|s| {
            let sealed = state
                .secrets
                .seal_str(&context, s)
                .map_err(ApiError::internal)?;
            Ok::<_, ApiError>((sealed, kernel::secrets::mask(s.expose_secret())))
        })
        .transpose()?;
    let row = repo::channels::upsert(
        tx.conn(),
        ctx.tenant.id,
        &repo::channels::Upsert {
            channel: &channel,
            provider: &body.provider,
            settings: &body.settings,
            secret: sealed,
            enabled: body.enabled,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Removes the channel's configuration: its messages stop (in-app ones continue).
#[utoipa::path(delete, path = "/api/v1/notifications/channels/{channel}", tag = "notifications", security(("bearer" = [])),
    params(("channel" = String, Path, description = "`email`, `sms` or `push`")),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_channel(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(channel): AppPath<String>,
) -> Result<StatusCode, ApiError> {
    channel_param(&channel)?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::channels::delete(tx.conn(), &channel).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestChannel {
    /// Where to send the test message: an email address, a phone number (E.164) or a device
    /// token.
    #[schema(max_length = 4096)]
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    pub provider: String,
    pub provider_message_id: Option<String>,
}

/// Sends a test message through the stored configuration, now. A refusal is a 422
/// `channel_test_failed` with the provider's reason (never the credential).
#[utoipa::path(post, path = "/api/v1/notifications/channels/{channel}/test", tag = "notifications", security(("bearer" = [])),
    params(("channel" = String, Path, description = "`email`, `sms` or `push`")),
    request_body = TestChannel,
    responses(
        (status = 200, body = TestResult),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn test_channel(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(channel): AppPath<String>,
    AppJson(body): AppJson<TestChannel>,
) -> Result<Json<TestResult>, ApiError> {
    channel_param(&channel)?;
    if body.to.trim().is_empty() || body.to.len() > 4096 {
        return Err(ApiError::field("to", "invalid"));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::channels::get(tx.conn(), &channel)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let secret = row
        .secret_sealed
        .map(|s| {
            state
                .secrets
                .open_str(&repo::channels::secret_context(ctx.tenant.id, &channel), &s)
        })
        .transpose()
        .map_err(ApiError::internal)?;
    let provider = notify::Registry::builtin()
        .build(
            &row.provider,
            &notify::ProviderConfig {
                settings: row.settings,
                secret,
            },
        )
        .map_err(ApiError::internal)?;
    let text = ctx.locale.text_with(
        "notify-test-body",
        &[("marketplace", ctx.tenant.name.clone())],
    );
    let msg = notify::Outgoing {
        id: Uuid::now_v7(),
        tenant_id: ctx.tenant.id,
        topic: "notification.test".into(),
        to: body.to.trim().to_string(),
        subject: ctx.locale.text("notify-test-subject"),
        text: text.clone(),
        html: (channel == "email")
            .then(|| format!("<p>{}</p>", crate::domain::render::escape(&text))),
        data: serde_json::json!({}),
        unsubscribe_url: None,
        created_at: OffsetDateTime::now_utc(),
    };
    match provider.send(&msg).await {
        Ok(receipt) => Ok(Json(TestResult {
            provider: row.provider,
            provider_message_id: receipt.provider_message_id,
        })),
        Err(e) => Err(ApiError::RejectedWith {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "channel_test_failed",
            errors: vec![FieldError::new("to", "provider_refused").with("reason", e.to_string())],
        }),
    }
}
