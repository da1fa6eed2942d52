//! What the HTTP providers share: one client setup and one failure classification.

use std::time::Duration;

use reqwest::StatusCode;

use crate::PaymentError;

/// A client with a whole-request timeout that never follows redirects (following one would
/// resend credentials elsewhere).
pub(crate) fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(builder(timeout).build()?)
}

pub(crate) fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gamarriando-gateways/", env!("CARGO_PKG_VERSION")))
}

/// A failure answer that is not a decline, classified by its status: 408, 429 and 5xx may
/// succeed later, 401/403 are the credentials, anything else is our request.
pub(crate) fn status_error(status: StatusCode, message: String) -> PaymentError {
    let err = anyhow::anyhow!("HTTP {status}: {message}");
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        PaymentError::Unavailable(err)
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        PaymentError::Unauthorized(err)
    } else {
        PaymentError::Rejected(err)
    }
}

/// A request that got no answer. The URL is dropped from the message.
pub(crate) fn transport_error(err: reqwest::Error) -> PaymentError {
    let builder = err.is_builder();
    let err = anyhow::Error::new(err.without_url());
    if builder {
        PaymentError::Rejected(err)
    } else {
        PaymentError::Unavailable(err)
    }
}

/// `text` with every occurrence of `secret` replaced, for messages that quote a provider's
/// answer (a provider or a proxy might echo a credential back).
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "[redacted]")
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
            let e = status_error(StatusCode::from_u16(s).unwrap(), String::new());
            assert!(matches!(e, PaymentError::Unavailable(_)), "{s}");
        }
        for s in [401, 403] {
            let e = status_error(StatusCode::from_u16(s).unwrap(), String::new());
            assert!(matches!(e, PaymentError::Unauthorized(_)), "{s}");
        }
        for s in [400, 404, 409, 422] {
            let e = status_error(StatusCode::from_u16(s).unwrap(), String::new());
            assert!(matches!(e, PaymentError::Rejected(_)), "{s}");
        }
    }

    #[test]
    fn redact_hides_the_secret() {
        assert_eq!(
            redact("bad key sk_1 (sk_1)", "sk_1"),
            "bad key [redacted] ([redacted])"
        );
        assert_eq!(redact("text", ""), "text");
    }

    #[test]
    fn snippet_is_short_and_printable() {
        assert_eq!(snippet(b"a\r\nb"), "a  b");
        assert_eq!(snippet("x".repeat(1000).as_bytes()).chars().count(), 301);
    }
}
