//! Extractors that turn every malformed body, query or path into our problem format.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::{header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// JSON body. Unknown fields are refused by the request types (`deny_unknown_fields`), so a
/// client cannot mass-assign `tenant_id` or `role`.
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&req) {
            return Err(unsupported_media_type());
        }
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(AppJson)
    }
}

/// A JSON body that may be left out entirely (`POST …/suspend` with no body). A body that is
/// present gets exactly the treatment of [`AppJson`].
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(&req);
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        if !json {
            return Err(unsupported_media_type());
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

fn is_json(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim();
            mime == "application/json" || mime.ends_with("+json")
        })
}

fn unsupported_media_type() -> ApiError {
    ApiError::Rejected {
        status: http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
    }
}

/// The body, within the router's `DefaultBodyLimit`.
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::Malformed(e.body_text())
        }
    })
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::Validation(vec![serde_field_error(&path, &inner.to_string())])
            }
            _ => ApiError::Malformed(inner.to_string()),
        }
    })
}

/// Maps serde's message to a field and a stable code. serde's words never reach the caller; only
/// the code does, with a message in the caller's language.
fn serde_field_error(path: &str, msg: &str) -> FieldError {
    let quoted = msg.split('`').nth(1).unwrap_or_default();
    let join = |name: &str| match path {
        "." | "" => name.to_string(),
        p => format!("{p}.{name}"),
    };
    let at = if path == "." {
        String::new()
    } else {
        path.to_string()
    };
    if msg.starts_with("missing field") {
        FieldError::new(join(quoted), "required")
    } else if msg.starts_with("unknown field") {
        // serde_path_to_error already ends the path with the unknown key.
        FieldError::new(
            if at.is_empty() {
                quoted.to_string()
            } else {
                at
            },
            "unknown_field",
        )
    } else if msg.starts_with("invalid type") {
        FieldError::new(at, "invalid_type")
    } else if msg.starts_with("unknown variant") {
        FieldError::new(at, "invalid_choice")
    } else {
        FieldError::new(at, "invalid")
    }
}

/// Query string, with the same error mapping as bodies.
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(AppQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError::Validation(vec![serde_field_error(&path, &e.into_inner().to_string())])
            })
    }
}

/// Path parameters. A malformed id names no resource: 404, like any id the caller cannot see.
pub struct AppPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AppPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| AppPath(v))
            .map_err(|_| ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        email: String,
        age: u8,
    }

    fn fields(r: Result<Body, ApiError>) -> Vec<(String, &'static str)> {
        match r {
            Err(ApiError::Validation(f)) => f.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn serde_errors_become_field_errors() {
        assert_eq!(
            fields(parse_json(br#"{"age": 3}"#)),
            vec![("email".into(), "required")]
        );
        assert_eq!(
            fields(parse_json(br#"{"email":"a","age":3,"tenant_id":"x"}"#)),
            vec![("tenant_id".into(), "unknown_field")]
        );
        assert_eq!(
            fields(parse_json(br#"{"email":1,"age":3}"#)),
            vec![("email".into(), "invalid_type")]
        );
        assert!(matches!(
            parse_json::<Body>(b"{not json"),
            Err(ApiError::Malformed(_))
        ));
    }
}
