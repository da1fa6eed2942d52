//! What the HTTP providers share: one client setup and one failure classification.

use std::time::Duration;

use reqwest::StatusCode;

use crate::SendError;

/// A client with a whole-request timeout that never follows redirects (a redirect is a
/// misconfiguration we want to see, and following one would resend credentials elsewhere).
pub(crate) fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gamarriando-notify/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// 408, 429 and 5xx are worth retrying; every other failure status is final.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

/// A failure answer, classified by its status.
pub(crate) fn status_error(status: StatusCode, message: String) -> SendError {
    let err = anyhow::anyhow!("HTTP {status}: {message}");
    if is_retryable_status(status) {
        SendError::Retryable(err)
    } else {
        SendError::Permanent(err)
    }
}

/// A request that got no answer: retryable, unless the request itself could not be built. The
/// URL is dropped from the message (webhook URLs may carry tokens).
pub(crate) fn transport_error(err: reqwest::Error) -> SendError {
    let builder = err.is_builder();
    let err = anyhow::Error::new(err.without_url());
    if builder {
        SendError::Permanent(err)
    } else {
        SendError::Retryable(err)
    }
}

/// At most 300 printable characters of a response body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        for s in [408, 429, 500, 502, 503] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [300, 301, 400, 401, 403, 404, 410, 422] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }

    #[test]
    fn snippet_is_short_and_printable() {
        assert_eq!(snippet(b"a\r\nb"), "a  b");
        let long = "x".repeat(1000);
        assert_eq!(snippet(long.as_bytes()).chars().count(), 301);
    }
}
