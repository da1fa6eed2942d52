//! A marketplace's gateways and payment settings (admins), and which gateways shoppers may use.
//! Credentials go in sealed and never come back: answers show masked hints.

use std::collections::BTreeMap;

use axum::{Json, extract::State, http::StatusCode};
use gateways::ProviderConfig;
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

use crate::{
    gateways::{self as gw, REGISTRY},
    permissions as perm,
    repo::{self, gateways::GatewayRow},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_gateways))
        .routes(routes!(available_gateways))
        .routes(routes!(put_gateway, delete_gateway))
        .routes(routes!(test_gateway))
        .routes(routes!(get_settings, put_settings))
}

/// A configured gateway.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayView {
    pub provider: String,
    pub enabled: bool,
    pub is_default: bool,
    /// Non-secret settings (`api_base`, PayPal's `client_id` and `webhook_id`, …).
    pub settings: Value,
    /// Each stored credential, masked (`••••abcd`).
    #[schema(value_type = Object)]
    pub credentials: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<GatewayRow> for GatewayView {
    fn from(r: GatewayRow) -> Self {
        GatewayView {
            provider: r.provider,
            enabled: r.enabled,
            is_default: r.is_default,
            settings: r.settings,
            credentials: r.credentials_hint,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayProvider {
    pub name: String,
    /// The credentials it needs.
    pub credentials: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Gateways {
    pub items: Vec<GatewayView>,
    /// Every provider this deployment offers.
    pub providers: Vec<GatewayProvider>,
}

#[utoipa::path(get, path = "/api/v1/payments/gateways", tag = "payments", security(("bearer" = [])),
    responses(
        (status = 200, body = Gateways),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_gateways(
    _: Can<perm::ManagePayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Gateways>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::gateways::list(tx.conn()).await?;
    tx.commit().await?;
    let providers = REGISTRY
        .names()
        .filter_map(|n| REGISTRY.get(n))
        .map(|d| GatewayProvider {
            name: d.name.to_string(),
            credentials: d.credentials.iter().map(|c| c.to_string()).collect(),
        })
        .collect();
    Ok(Json(Gateways {
        items: rows.into_iter().map(GatewayView::from).collect(),
        providers,
    }))
}

/// A gateway shoppers may pay through.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AvailableGateway {
    pub provider: String,
    pub is_default: bool,
}

/// The marketplace's enabled gateways, for the checkout page.
#[utoipa::path(get, path = "/api/v1/payments/gateways/available", tag = "payments",
    responses(
        (status = 200, body = Vec<AvailableGateway>),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn available_gateways(
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Vec<AvailableGateway>>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::gateways::enabled(tx.conn(), None).await?;
    tx.commit().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AvailableGateway {
                provider: r.provider,
                is_default: r.is_default,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutGateway {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Make it the marketplace's default gateway.
    #[serde(default)]
    pub is_default: bool,
    /// The provider's settings (a JSON object).
    #[serde(default = "empty_object")]
    pub settings: Value,
    /// Credentials by name (see `providers[].credentials`). Names left out keep their stored
    /// value.
    #[schema(value_type = Option<Object>)]
    pub credentials: Option<BTreeMap<String, SecretString>>,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

fn yes() -> bool {
    true
}

/// Configures a gateway. The provider is built from the settings and credentials before they
/// are stored, so a bad configuration is refused now (422 naming the problem, never a secret).
#[utoipa::path(put, path = "/api/v1/payments/gateways/{provider}", tag = "payments", security(("bearer" = [])),
    params(("provider" = String, Path, description = "`sandbox`, `stripe`, `paypal`")),
    request_body = PutGateway,
    responses(
        (status = 200, body = GatewayView),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_gateway(
    _: Can<perm::ManagePayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(provider): AppPath<String>,
    AppJson(body): AppJson<PutGateway>,
) -> Result<Json<GatewayView>, ApiError> {
    let Some(descriptor) = REGISTRY.get(&provider) else {
        return Err(ApiError::NotFound);
    };
    if !body.settings.is_object() {
        return Err(ApiError::field("settings", "invalid_type"));
    }
    if body.is_default && !body.enabled {
        return Err(ApiError::field("is_default", "disabled_default"));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let stored = repo::gateways::get(tx.conn(), &provider).await?;
    let mut credentials = gw::open(
        &state,
        ctx.tenant.id,
        &provider,
        stored
            .as_ref()
            .and_then(|r| r.credentials_sealed.as_deref()),
    )?;
    for (name, value) in body.credentials.unwrap_or_default() {
        if !descriptor.credentials.contains(&name.as_str()) {
            return Err(ApiError::Validation(vec![
                FieldError::new(format!("credentials.{name}"), "unknown_credential")
                    .with("known", descriptor.credentials.join(", ")),
            ]));
        }
        if value.expose_secret().trim().is_empty() {
            credentials.remove(&name);
        } else {
            credentials.insert(name, value);
        }
    }
    let config = ProviderConfig {
        settings: body.settings.clone(),
        credentials,
    };
    if let Err(e) = REGISTRY.build(&provider, &config) {
        return Err(ApiError::Validation(vec![
            FieldError::new("settings", "provider_settings").with("reason", format!("{e:#}")),
        ]));
    }
    let (sealed, hint) = gw::seal(&state, ctx.tenant.id, &provider, &config.credentials)?;
    let row = repo::gateways::upsert(
        tx.conn(),
        ctx.tenant.id,
        &repo::gateways::Upsert {
            provider: &provider,
            enabled: body.enabled,
            is_default: body.is_default,
            settings: &body.settings,
            sealed: &sealed,
            hint: &hint,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Removes a gateway. Its payments stay in the history; new ones cannot use it.
#[utoipa::path(delete, path = "/api/v1/payments/gateways/{provider}", tag = "payments", security(("bearer" = [])),
    params(("provider" = String, Path)),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_gateway(
    _: Can<perm::ManagePayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(provider): AppPath<String>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::gateways::delete(tx.conn(), &provider).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GatewayCheck {
    pub provider: String,
    pub ok: bool,
}

/// Checks the stored credentials with the provider. A refusal is a 422 `gateway_test_failed`
/// with the provider's reason (never the credential).
#[utoipa::path(post, path = "/api/v1/payments/gateways/{provider}/test", tag = "payments", security(("bearer" = [])),
    params(("provider" = String, Path)),
    responses(
        (status = 200, body = GatewayCheck),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn test_gateway(
    _: Can<perm::ManagePayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath(provider): AppPath<String>,
) -> Result<Json<GatewayCheck>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::gateways::get(tx.conn(), &provider)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let gateway = gw::build(&state, ctx.tenant.id, &row)?;
    match gateway.client.check().await {
        Ok(()) => Ok(Json(GatewayCheck { provider, ok: true })),
        Err(e) => Err(ApiError::RejectedWith {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "gateway_test_failed",
            errors: vec![
                FieldError::new("credentials", "provider_refused").with("reason", e.to_string()),
            ],
        }),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// Whether vendors may refund their own part of an order (off by default).
    pub vendor_refunds: bool,
}

#[utoipa::path(get, path = "/api/v1/payments/settings", tag = "payments", security(("bearer" = [])),
    responses(
        (status = 200, body = PaymentSettings),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_settings(
    _: Can<perm::ManagePayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<PaymentSettings>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let vendor_refunds = repo::gateways::vendor_refunds(tx.conn()).await?;
    tx.commit().await?;
    Ok(Json(PaymentSettings { vendor_refunds }))
}

#[utoipa::path(put, path = "/api/v1/payments/settings", tag = "payments", security(("bearer" = [])),
    request_body = PaymentSettings,
    responses(
        (status = 200, body = PaymentSettings),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_settings(
    _: Can<perm::ManagePayments>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppJson(body): AppJson<PaymentSettings>,
) -> Result<Json<PaymentSettings>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    repo::gateways::set_vendor_refunds(tx.conn(), ctx.tenant.id, body.vendor_refunds).await?;
    tx.commit().await?;
    Ok(Json(body))
}
