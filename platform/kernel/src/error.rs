//! One error type for every handler, rendered as RFC 9457 `application/problem+json`.
//!
//! Each variant maps to a status and a slug (`code()`); the slug is the tail of the problem `type`,
//! the Fluent message id (`problem-{slug}-title` / `-detail`) and the code SDKs switch on. Causes
//! of 5xx errors are logged with the request id and never returned.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{i18n::Locale, request::RequestScope};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field in a request: what is wrong, with Fluent arguments for the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    /// `required`, `too_long`, `too_short`, `invalid`, `unknown_field`, `invalid_type`, …
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or query could not be read at all (not JSON, wrong content type).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The request was readable but some fields are wrong.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden")]
    Forbidden,
    /// Also what another tenant's or another user's row looks like: never 403.
    #[error("not found")]
    NotFound,
    #[error("no tenant for this host")]
    TenantNotFound,
    #[error("tenant suspended")]
    TenantSuspended,
    /// A domain rule refused the request; `code` names the Fluent messages.
    #[error("rejected: {code}")]
    Rejected {
        status: StatusCode,
        code: &'static str,
    },
    /// Like `Rejected`, naming what caused it (the out-of-stock lines of a checkout) as the
    /// problem's `errors`.
    #[error("rejected: {code} {errors:?}")]
    RejectedWith {
        status: StatusCode,
        code: &'static str,
        errors: Vec<FieldError>,
    },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal: {0:#}")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(err.into())
    }

    pub fn field(field: impl Into<String>, code: &'static str) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code)])
    }

    pub const fn conflict(code: &'static str) -> Self {
        ApiError::Rejected {
            status: StatusCode::CONFLICT,
            code,
        }
    }

    pub const fn bad_request(code: &'static str) -> Self {
        ApiError::Rejected {
            status: StatusCode::BAD_REQUEST,
            code,
        }
    }

    pub fn code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request"),
            ApiError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::TenantNotFound => (StatusCode::NOT_FOUND, "tenant_not_found"),
            ApiError::TenantSuspended => (StatusCode::FORBIDDEN, "tenant_suspended"),
            ApiError::Rejected { status, code } | ApiError::RejectedWith { status, code, .. } => {
                (*status, code)
            }
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The problem document in `locale`.
    pub fn to_problem(&self, locale: Locale, request_id: Option<&str>) -> Problem {
        let (status, code) = self.code();
        let errors = match self {
            ApiError::Validation(fields) | ApiError::RejectedWith { errors: fields, .. } => fields
                .iter()
                .map(|f| {
                    let mut args: Vec<(&str, String)> = f.args.clone();
                    args.push(("field", f.field.clone()));
                    ProblemField {
                        field: f.field.clone(),
                        code: f.code.to_string(),
                        message: locale.text_with(&format!("field-{}", f.code), &args),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        Problem {
            r#type: format!("https://gamarriando.pe/problems/{code}"),
            title: locale.text(&format!("problem-{code}-title")),
            status: status.as_u16(),
            detail: locale.text(&format!("problem-{code}-detail")),
            code: code.to_string(),
            request_id: request_id.map(str::to_string),
            errors,
        }
    }
}

/// RFC 9457 problem details, with the error `code` and field errors as extensions.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    #[schema(example = "https://gamarriando.pe/problems/validation_failed")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code (the tail of `type`).
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ProblemField {
    /// JSON path of the field (`email`, `addresses[0].city`).
    pub field: String,
    pub code: String,
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let scope = RequestScope::current();
        let (status, _) = self.code();
        match &self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(request_id = scope.request_id.as_deref(), error = %format!("{cause:#}"), "request failed");
            }
            ApiError::Unauthorized(reason) => tracing::debug!(reason, "unauthorized"),
            _ => {}
        }
        let problem = self.to_problem(scope.locale, scope.request_id.as_deref());
        let mut res = (status, axum::Json(problem)).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let ApiError::RateLimited { retry_after_secs } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => ApiError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => ApiError::Unavailable(err.into()),
            _ => ApiError::Internal(err.into()),
        }
    }
}

/// Turns a unique/check violation on `constraint` into a domain error; anything else stays internal.
/// `repo::users::insert(...).await.map_err(on_constraint("users_tenant_id_email_key", ApiError::conflict("email_taken")))`
pub fn on_constraint(
    constraint: &'static str,
    err: ApiError,
) -> impl FnOnce(sqlx::Error) -> ApiError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.constraint() == Some(constraint) => err,
        _ => ApiError::from(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_messages_in_every_locale() {
        let errors = [
            ApiError::Malformed(String::new()),
            ApiError::Validation(vec![]),
            ApiError::Unauthorized(""),
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::TenantNotFound,
            ApiError::TenantSuspended,
            ApiError::RateLimited {
                retry_after_secs: 1,
            },
            ApiError::PayloadTooLarge,
            ApiError::Unavailable(anyhow::anyhow!("x")),
            ApiError::Internal(anyhow::anyhow!("x")),
        ];
        for e in errors {
            let (_, code) = e.code();
            for l in Locale::ALL {
                assert!(l.has(&format!("problem-{code}-title")), "{l}: {code} title");
                assert!(
                    l.has(&format!("problem-{code}-detail")),
                    "{l}: {code} detail"
                );
            }
        }
    }

    #[test]
    fn internal_cause_is_not_rendered() {
        let p =
            ApiError::internal(anyhow::anyhow!("password=hunter2")).to_problem(Locale::En, None);
        let body = serde_json::to_string(&p).unwrap();
        assert!(!body.contains("hunter2"));
        assert_eq!(p.status, 500);
    }

    #[test]
    fn field_errors_are_localized() {
        let e = ApiError::Validation(vec![FieldError::new("email", "too_long").with("max", 254)]);
        let es = e.to_problem(Locale::Es, None);
        let en = e.to_problem(Locale::En, None);
        assert_eq!(es.errors[0].field, "email");
        assert_ne!(es.errors[0].message, en.errors[0].message);
        assert!(en.errors[0].message.contains("254"));
    }
}
