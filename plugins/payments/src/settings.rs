//! Reading a provider's settings, with errors that name the field.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::ProviderConfig;

/// Deserializes `config.settings` (`null` reads as `{}`); errors name the offending field.
pub(crate) fn parse<T: DeserializeOwned>(
    provider: &str,
    config: &ProviderConfig,
) -> anyhow::Result<T> {
    let empty = serde_json::Value::Object(Default::default());
    let value = if config.settings.is_null() {
        &empty
    } else {
        &config.settings
    };
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            anyhow::anyhow!("{provider} settings: {}", e.inner())
        } else {
            anyhow::anyhow!("{provider} settings: `{path}`: {}", e.inner())
        }
    })
}

/// `timeout_secs`: 20 s unless set, between 1 and 120.
pub(crate) fn timeout(provider: &str, secs: Option<u64>) -> anyhow::Result<Duration> {
    match secs {
        None => Ok(Duration::from_secs(20)),
        Some(s @ 1..=120) => Ok(Duration::from_secs(s)),
        Some(_) => anyhow::bail!("{provider} settings: `timeout_secs` must be between 1 and 120"),
    }
}

/// A base URL setting (`api_base`): an http(s) URL, returned without its trailing slash.
pub(crate) fn base_url(
    provider: &str,
    field: &str,
    value: Option<String>,
    default: &str,
) -> anyhow::Result<String> {
    let raw = value.unwrap_or_else(|| default.to_owned());
    let url = reqwest::Url::parse(&raw)
        .map_err(|e| anyhow::anyhow!("{provider} settings: `{field}` {raw:?} is not a URL: {e}"))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https") && url.host().is_some(),
        "{provider} settings: `{field}` {raw:?} must be an http(s) URL"
    );
    Ok(raw.trim_end_matches('/').to_owned())
}
