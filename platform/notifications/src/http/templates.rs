//! A tenant's wording of its messages (admins): Fluent patterns per template, channel and
//! locale, replacing the shipped text.

use axum::{Json, extract::State, http::StatusCode};
use kernel::{
    ApiError, AppState, RequestCtx,
    error::{FieldError, Problem},
    extract::{AppJson, AppPath},
    rbac::Can,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    domain::{Channel, render, topics},
    permissions as perm,
    repo::{self, templates::TemplateRow},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(put_template, delete_template))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Template {
    pub template: String,
    pub channel: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<TemplateRow> for Template {
    fn from(t: TemplateRow) -> Self {
        Template {
            template: t.template,
            channel: t.channel,
            locale: t.locale,
            subject: t.subject,
            body: t.body,
            html: t.html,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Templates {
    /// The tenant's own wordings.
    pub items: Vec<Template>,
    /// Every template name that can be reworded.
    pub templates: Vec<String>,
    /// The arguments a pattern may use (`{ $number }`).
    pub arguments: Vec<String>,
}

/// The tenant's reworded templates.
#[utoipa::path(get, path = "/api/v1/notifications/templates", tag = "notifications", security(("bearer" = [])),
    responses(
        (status = 200, body = Templates),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_templates(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
) -> Result<Json<Templates>, ApiError> {
    let mut tx = state.db.begin_for(&ctx).await?;
    let rows = repo::templates::list(tx.conn()).await?;
    tx.commit().await?;
    let mut names: Vec<String> = topics::templates().map(str::to_string).collect();
    names.sort();
    names.dedup();
    Ok(Json(Templates {
        items: rows.into_iter().map(Template::from).collect(),
        templates: names,
        arguments: render::ARGUMENTS.iter().map(|a| a.to_string()).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutTemplate {
    /// Subject (email), title (push, in-app); a Fluent pattern.
    #[schema(max_length = 300)]
    pub subject: String,
    /// The text; a Fluent pattern.
    #[schema(max_length = 20000)]
    pub body: String,
    /// Email only: the HTML body (arguments are HTML-escaped). Without it, the text is used.
    #[schema(max_length = 100000)]
    pub html: Option<String>,
}

/// Keys of one wording: which template, channel and locale.
fn key(template: &str, channel: &str, locale: &str) -> Result<(), ApiError> {
    let known_template = topics::templates().any(|t| t == template);
    let known_channel = Channel::parse(channel).is_some_and(|c| c != Channel::Webhook);
    if known_template
        && known_channel
        && kernel::i18n::Locale::parse(locale).map(|l| l.as_str()) == Some(locale)
    {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Rewords one template for one channel and locale. Each pattern must parse and use only known
/// arguments (`errors` says which field and why).
#[utoipa::path(put, path = "/api/v1/notifications/templates/{template}/{channel}/{locale}", tag = "notifications", security(("bearer" = [])),
    params(("template" = String, Path), ("channel" = String, Path), ("locale" = String, Path)),
    request_body = PutTemplate,
    responses(
        (status = 200, body = Template),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_template(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((template, channel, locale)): AppPath<(String, String, String)>,
    AppJson(body): AppJson<PutTemplate>,
) -> Result<Json<Template>, ApiError> {
    key(&template, &channel, &locale)?;
    let mut errors = Vec::new();
    for (field, value, max) in [
        ("subject", Some(&body.subject), 300),
        ("body", Some(&body.body), 20_000),
        ("html", body.html.as_ref(), 100_000),
    ] {
        let Some(value) = value else { continue };
        if value.trim().is_empty() {
            errors.push(FieldError::new(field, "required"));
        } else if value.chars().count() > max {
            errors.push(FieldError::new(field, "too_long").with("max", max));
        } else if let Err(reason) = render::check(value) {
            errors.push(FieldError::new(field, "template_invalid").with("reason", reason));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut tx = state.db.begin_for(&ctx).await?;
    let row = repo::templates::upsert(
        tx.conn(),
        ctx.tenant.id,
        &TemplateRow {
            template,
            channel,
            locale,
            subject: body.subject,
            body: body.body,
            html: body.html,
            updated_at: OffsetDateTime::now_utc(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// Goes back to the shipped wording.
#[utoipa::path(delete, path = "/api/v1/notifications/templates/{template}/{channel}/{locale}", tag = "notifications", security(("bearer" = [])),
    params(("template" = String, Path), ("channel" = String, Path), ("locale" = String, Path)),
    responses(
        (status = 204),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_template(
    _: Can<perm::ManageNotifications>,
    ctx: RequestCtx,
    State(state): State<AppState>,
    AppPath((template, channel, locale)): AppPath<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    key(&template, &channel, &locale)?;
    let mut tx = state.db.begin_for(&ctx).await?;
    if !repo::templates::delete(tx.conn(), &template, &channel, &locale).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
