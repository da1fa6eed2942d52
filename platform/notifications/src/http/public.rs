//! Endpoints reached without a session, each authenticated by what it carries: the unsubscribe
//! link's sealed token, and the provider's signature on a delivery report.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use kernel::{ApiError, AppState, RequestCtx, error::Problem, extract::AppQuery};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    dispatch::open_unsubscribe_token,
    domain::{Category, Channel},
    repo::{self, logs::NewLog},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(unsubscribe))
        .routes(routes!(twilio_status))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The token of the email's unsubscribe link.
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unsubscribed {
    pub channel: Channel,
    pub category: Category,
    pub enabled: bool,
}

/// Stops one category of email for the person the link was sent to (RFC 8058 one-click: the
/// link of `List-Unsubscribe`, POSTed). Messages the person asked for (password reset) still
/// come.
#[utoipa::path(post, path = "/api/v1/notifications/unsubscribe", tag = "notifications",
    params(UnsubscribeQuery),
    responses(
        (status = 200, body = Unsubscribed),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unsubscribe(
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppQuery(q): AppQuery<UnsubscribeQuery>,
) -> Result<Json<Unsubscribed>, ApiError> {
    let (user, category) = open_unsubscribe_token(&state.secrets, ctx.tenant.id, &q.token)
        .ok_or(ApiError::bad_request("unsubscribe_invalid"))?;
    // The token speaks for its user.
    let mut tx = state.db.begin_scoped(ctx.tenant.id, Some(user)).await?;
    repo::preferences::set(
        tx.conn(),
        ctx.tenant.id,
        user,
        &[(Channel::Email.as_str(), category.as_str(), false)],
    )
    .await
    .map_err(|e| match e {
        // The account is gone: the foreign key refuses its preferences.
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            ApiError::bad_request("unsubscribe_invalid")
        }
        e => e.into(),
    })?;
    tx.commit().await?;
    Ok(Json(Unsubscribed {
        channel: Channel::Email,
        category,
        enabled: false,
    }))
}

/// Twilio's message status callback (`StatusCallback`), signed with `X-Twilio-Signature` by the
/// tenant's auth token over the callback URL (the channel's `status_callback_url` setting) and
/// the form fields. `delivered` and `undelivered`/`failed` reports update the message; others
/// are acknowledged and ignored. A report that does not verify changes nothing (403).
#[utoipa::path(post, path = "/api/v1/notifications/callbacks/twilio", tag = "notifications",
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn twilio_status(
    ctx: RequestCtx,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Forbidden)?;
    let mut tx = state
        .db
        .begin_scoped_with(ctx.tenant.id, None, &[("app.worker", "on")])
        .await?;
    let channel = repo::channels::get(tx.conn(), "sms")
        .await?
        .filter(|c| c.provider == notify::twilio::NAME)
        .ok_or(ApiError::Forbidden)?;
    let token = channel
        .secret_sealed
        .as_deref()
        .map(|s| {
            state
                .secrets
                .open_str(&repo::channels::secret_context(ctx.tenant.id, "sms"), s)
        })
        .transpose()
        .map_err(ApiError::internal)?
        .ok_or(ApiError::Forbidden)?;
    let url = channel
        .settings
        .get("status_callback_url")
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            state
                .config
                .public_url(&ctx.host, "/api/v1/notifications/callbacks/twilio")
        });
    if !notify::twilio::verify_signature(token.expose_secret(), &url, &params, signature) {
        return Err(ApiError::Forbidden);
    }
    let field = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (Some(sid), Some(status)) = (field("MessageSid"), field("MessageStatus")) else {
        return Err(ApiError::field("MessageSid", "required"));
    };
    let delivered = match status {
        "delivered" => true,
        "undelivered" | "failed" => false,
        _ => return Ok(StatusCode::NO_CONTENT),
    };
    if let Some((id, channel, attempts)) =
        repo::notifications::delivery_report(tx.conn(), notify::twilio::NAME, sid, delivered)
            .await?
    {
        let error = field("ErrorCode").map(|c| format!("Twilio error {c}"));
        repo::logs::insert(
            tx.conn(),
            ctx.tenant.id,
            &NewLog {
                notification_id: id,
                attempt: attempts,
                channel: &channel,
                provider: notify::twilio::NAME,
                status: if delivered {
                    "delivered"
                } else {
                    "undelivered"
                },
                provider_message_id: Some(sid),
                error: error.as_deref(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
