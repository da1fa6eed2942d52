//! What Stripe sends and how we read it, with no IO: PaymentIntent statuses, API errors, refund
//! statuses and webhook events. API answers arrive as async-stripe's types and are narrowed to
//! [`Intent`] and [`ApiError`] here; webhook bodies are read with our own serde types into the
//! same shapes, so one mapping serves both.

use serde::Deserialize;

use crate::{
    Failure, NextAction, PaymentError, PaymentStatus, ProviderPayment, RefundStatus, WebhookError,
    WebhookEvent, WebhookKind, http,
};

/// The part of a PaymentIntent we act on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Intent {
    pub id: String,
    pub status: String,
    pub client_secret: Option<String>,
    /// `next_action.redirect_to_url.url`, when Stripe wants the customer sent somewhere.
    pub redirect_url: Option<String>,
    pub amount_received: i64,
    pub last_payment_error: Option<ApiError>,
}

impl Intent {
    pub fn from_api(pi: &stripe_core::PaymentIntent) -> Self {
        Self {
            id: pi.id.as_str().to_owned(),
            status: pi.status.as_str().to_owned(),
            client_secret: pi.client_secret.clone(),
            redirect_url: pi
                .next_action
                .as_ref()
                .and_then(|n| n.redirect_to_url.as_ref())
                .and_then(|r| r.url.clone()),
            amount_received: pi.amount_received,
            last_payment_error: pi.last_payment_error.as_deref().map(ApiError::from_api),
        }
    }
}

/// Stripe's `error` object (also a PaymentIntent's `last_payment_error`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub(super) struct ApiError {
    #[serde(rename = "type", default)]
    pub kind: String,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
}

impl ApiError {
    pub fn from_api(e: &stripe::ApiErrors) -> Self {
        Self {
            kind: e.type_.as_str().to_owned(),
            code: e.code.as_ref().map(|c| c.as_str().to_owned()),
            decline_code: e.decline_code.clone(),
            message: e.message.clone(),
        }
    }

    /// The decline code when there is one (`insufficient_funds`), else the error code.
    pub fn failure(&self) -> Failure {
        Failure {
            code: self
                .decline_code
                .clone()
                .or_else(|| self.code.clone())
                .unwrap_or_else(|| "card_declined".into()),
            message: self
                .message
                .clone()
                .unwrap_or_else(|| "The payment was declined.".into()),
        }
    }

    /// A failure answer as our error: a `card_error` is a decline (Stripe answers 402), anything
    /// else is classified by its HTTP status.
    pub fn into_payment_error(self, status: u16) -> PaymentError {
        if self.kind == "card_error" {
            return PaymentError::Declined(self.failure());
        }
        let status =
            reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
        let mut what = self.kind.clone();
        if let Some(code) = &self.code {
            what = format!("{what}/{code}");
        }
        let message = self.message.as_deref().unwrap_or("no message");
        http::status_error(status, format!("stripe {what}: {message}"))
    }
}

/// A PaymentIntent status as ours. Unknown statuses read as processing: the outcome comes by
/// webhook.
pub(super) fn payment_status(status: &str) -> PaymentStatus {
    match status {
        "requires_payment_method" | "requires_confirmation" | "requires_action" => {
            PaymentStatus::RequiresAction
        }
        "requires_capture" => PaymentStatus::Authorized,
        "succeeded" => PaymentStatus::Captured,
        "canceled" => PaymentStatus::Cancelled,
        _ => PaymentStatus::Processing,
    }
}

/// Our view of an intent. The client confirms with the client secret unless Stripe asks for a
/// redirect; a previous attempt's error travels along so the client can say why.
pub(super) fn payment(intent: &Intent) -> ProviderPayment {
    let status = payment_status(&intent.status);
    let next_action = match (status, &intent.redirect_url, &intent.client_secret) {
        (PaymentStatus::RequiresAction, Some(url), _) => NextAction::Redirect { url: url.clone() },
        (PaymentStatus::RequiresAction, None, Some(secret)) => {
            NextAction::ConfirmWithClientSecret {
                client_secret: secret.clone(),
            }
        }
        _ => NextAction::None,
    };
    ProviderPayment {
        reference: intent.id.clone(),
        status,
        next_action,
        captured_minor: (status == PaymentStatus::Captured).then_some(intent.amount_received),
        failure: match status {
            PaymentStatus::RequiresAction | PaymentStatus::Failed => {
                intent.last_payment_error.as_ref().map(ApiError::failure)
            }
            _ => None,
        },
    }
}

/// A Refund's status (`pending`, `requires_action`, `succeeded`, `failed`, `canceled`).
pub(super) fn refund_status(status: Option<&str>) -> RefundStatus {
    match status {
        Some("succeeded") => RefundStatus::Succeeded,
        Some("failed" | "canceled") => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    }
}

/// The refund reasons Stripe accepts as `reason`; any other text goes to the metadata.
pub(super) fn refund_reason(reason: &str) -> Option<&'static str> {
    ["duplicate", "fraudulent", "requested_by_customer"]
        .into_iter()
        .find(|r| *r == reason)
}

/// Stripe ids (`pi_…`) are letters, digits and underscores: anything else never reaches a URL
/// path.
pub(super) fn check_id(id: &str) -> Result<&str, PaymentError> {
    if !id.is_empty()
        && id.len() <= 255
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(id)
    } else {
        Err(PaymentError::rejected("not a Stripe object id"))
    }
}

/// `webhook_secret` may hold several secrets (a rotation), separated by commas or whitespace.
pub(super) fn split_secrets(raw: &str) -> Vec<&str> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct EventIntent {
    id: String,
    #[serde(default)]
    amount_received: i64,
    last_payment_error: Option<ApiError>,
}

#[derive(Deserialize)]
struct EventRefund {
    id: String,
    amount: i64,
    status: Option<String>,
    payment_intent: Option<IdOrObject>,
}

#[derive(Deserialize)]
struct EventCharge {
    payment_intent: Option<IdOrObject>,
    refunds: Option<List<EventRefund>>,
}

#[derive(Deserialize)]
struct List<T> {
    data: Vec<T>,
}

/// An expandable field: an id, or the object with its id.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdOrObject {
    Id(String),
    Object { id: String },
}

impl IdOrObject {
    fn into_id(self) -> String {
        match self {
            IdOrObject::Id(id) | IdOrObject::Object { id } => id,
        }
    }
}

fn object<T: serde::de::DeserializeOwned>(
    kind: &str,
    value: serde_json::Value,
) -> Result<T, WebhookError> {
    serde_json::from_value(value).map_err(|e| WebhookError::Malformed(format!("{kind}: {e}")))
}

/// Reads a verified Stripe event.
///
/// `charge.refunded` carries its refunds only when the account's API version still embeds them
/// (before 2022-11-15); without them it reads as [`WebhookKind::Other`] and the refund arrives
/// with `refund.created`/`refund.updated`. A refund without a PaymentIntent is not one of ours.
pub(super) fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let e: Event =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let other = WebhookKind::Other(e.kind.clone());
    let intent_status = match e.kind.as_str() {
        "payment_intent.succeeded" => Some(PaymentStatus::Captured),
        "payment_intent.payment_failed" => Some(PaymentStatus::Failed),
        "payment_intent.processing" => Some(PaymentStatus::Processing),
        "payment_intent.canceled" => Some(PaymentStatus::Cancelled),
        "payment_intent.amount_capturable_updated" => Some(PaymentStatus::Authorized),
        _ => None,
    };
    let kind = if let Some(status) = intent_status {
        let pi: EventIntent = object(&e.kind, e.data.object)?;
        WebhookKind::Payment {
            reference: pi.id,
            status,
            captured_minor: (status == PaymentStatus::Captured).then_some(pi.amount_received),
            failure: if status == PaymentStatus::Failed {
                Some(pi.last_payment_error.unwrap_or_default().failure())
            } else {
                None
            },
        }
    } else {
        match e.kind.as_str() {
            "refund.created" | "refund.updated" => {
                refund_kind(object(&e.kind, e.data.object)?, None).unwrap_or(other)
            }
            "charge.refunded" => {
                let charge: EventCharge = object(&e.kind, e.data.object)?;
                let fallback = charge.payment_intent.map(IdOrObject::into_id);
                match charge.refunds.and_then(|l| l.data.into_iter().next()) {
                    Some(refund) => refund_kind(refund, fallback).unwrap_or(other),
                    None => other,
                }
            }
            _ => other,
        }
    };
    Ok(WebhookEvent { id: e.id, kind })
}

fn refund_kind(r: EventRefund, payment_intent: Option<String>) -> Option<WebhookKind> {
    Some(WebhookKind::Refund {
        payment_reference: r
            .payment_intent
            .map(IdOrObject::into_id)
            .or(payment_intent)?,
        reference: r.id,
        status: refund_status(r.status.as_deref()),
        amount_minor: r.amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn intent(status: &str) -> Intent {
        Intent {
            id: "pi_1".into(),
            status: status.into(),
            client_secret: Some("pi_1_secret_x".into()),
            amount_received: 0,
            ..Default::default()
        }
    }

    #[test]
    fn intent_statuses() {
        for (s, want) in [
            ("requires_payment_method", PaymentStatus::RequiresAction),
            ("requires_confirmation", PaymentStatus::RequiresAction),
            ("requires_action", PaymentStatus::RequiresAction),
            ("processing", PaymentStatus::Processing),
            ("requires_capture", PaymentStatus::Authorized),
            ("succeeded", PaymentStatus::Captured),
            ("canceled", PaymentStatus::Cancelled),
            ("something_new", PaymentStatus::Processing),
        ] {
            assert_eq!(payment_status(s), want, "{s}");
        }
    }

    #[test]
    fn next_action_and_amounts() {
        let p = payment(&intent("requires_action"));
        assert_eq!(
            p.next_action,
            NextAction::ConfirmWithClientSecret {
                client_secret: "pi_1_secret_x".into()
            }
        );
        let mut redirect = intent("requires_action");
        redirect.redirect_url = Some("https://hooks.stripe.com/3d".into());
        assert_eq!(
            payment(&redirect).next_action,
            NextAction::Redirect {
                url: "https://hooks.stripe.com/3d".into()
            }
        );
        let mut done = intent("succeeded");
        done.amount_received = 5000;
        let p = payment(&done);
        assert_eq!(
            (p.status, p.captured_minor, p.next_action),
            (PaymentStatus::Captured, Some(5000), NextAction::None)
        );
        let mut retry = intent("requires_payment_method");
        retry.last_payment_error = Some(ApiError {
            kind: "card_error".into(),
            code: Some("card_declined".into()),
            decline_code: Some("insufficient_funds".into()),
            message: Some("Your card has insufficient funds.".into()),
        });
        assert_eq!(payment(&retry).failure.unwrap().code, "insufficient_funds");
    }

    #[test]
    fn errors_by_type_and_status() {
        let decline: ApiError = serde_json::from_value(json!({
            "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined."
        }))
        .unwrap();
        match decline.into_payment_error(402) {
            PaymentError::Declined(f) => {
                assert_eq!(f.code, "generic_decline");
                assert_eq!(f.message, "Your card was declined.");
            }
            other => panic!("{other:?}"),
        }
        let no_decline_code = ApiError {
            kind: "card_error".into(),
            code: Some("expired_card".into()),
            ..Default::default()
        };
        assert!(
            matches!(no_decline_code.into_payment_error(402), PaymentError::Declined(f) if f.code == "expired_card")
        );
        let invalid = ApiError {
            kind: "invalid_request_error".into(),
            code: Some("resource_missing".into()),
            message: Some("No such payment_intent".into()),
            ..Default::default()
        };
        for (status, check) in [
            (400, "rejected"),
            (404, "rejected"),
            (401, "unauthorized"),
            (429, "unavailable"),
            (500, "unavailable"),
        ] {
            let e = invalid.clone().into_payment_error(status);
            let got = match &e {
                PaymentError::Rejected(_) => "rejected",
                PaymentError::Unauthorized(_) => "unauthorized",
                PaymentError::Unavailable(_) => "unavailable",
                PaymentError::Declined(_) => "declined",
            };
            assert_eq!(got, check, "{status}");
            assert!(e.to_string().contains("resource_missing"), "{e}");
        }
    }

    #[test]
    fn refund_statuses_and_reasons() {
        assert_eq!(refund_status(Some("succeeded")), RefundStatus::Succeeded);
        assert_eq!(refund_status(Some("pending")), RefundStatus::Pending);
        assert_eq!(
            refund_status(Some("requires_action")),
            RefundStatus::Pending
        );
        assert_eq!(refund_status(Some("failed")), RefundStatus::Failed);
        assert_eq!(refund_status(Some("canceled")), RefundStatus::Failed);
        assert_eq!(refund_status(None), RefundStatus::Pending);
        assert_eq!(refund_reason("duplicate"), Some("duplicate"));
        assert_eq!(refund_reason("the shoes did not fit"), None);
    }

    #[test]
    fn ids_and_secrets() {
        assert!(check_id("pi_3Mtw").is_ok());
        for bad in ["", "pi_1/capture", "pi_1?x=1", "../balance", "pi 1"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert_eq!(
            split_secrets(" whsec_a, whsec_b\nwhsec_c ,"),
            ["whsec_a", "whsec_b", "whsec_c"]
        );
    }

    #[test]
    fn payment_intent_events() {
        let body = json!({
            "id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_1", "object": "payment_intent", "amount": 5000,
                "amount_received": 5000, "status": "succeeded", "currency": "pen"}}
        });
        let ev = parse_event(body.to_string().as_bytes()).unwrap();
        assert_eq!(ev.id, "evt_1");
        assert_eq!(
            ev.kind,
            WebhookKind::Payment {
                reference: "pi_1".into(),
                status: PaymentStatus::Captured,
                captured_minor: Some(5000),
                failure: None
            }
        );

        let body = json!({
            "id": "evt_2", "type": "payment_intent.payment_failed",
            "data": {"object": {"id": "pi_2", "status": "requires_payment_method",
                "last_payment_error": {"type": "card_error", "code": "card_declined",
                    "decline_code": "insufficient_funds", "message": "Insufficient funds."}}}
        });
        match parse_event(body.to_string().as_bytes()).unwrap().kind {
            WebhookKind::Payment {
                status: PaymentStatus::Failed,
                failure: Some(f),
                ..
            } => assert_eq!(f.code, "insufficient_funds"),
            other => panic!("{other:?}"),
        }

        for (kind, want) in [
            ("payment_intent.processing", PaymentStatus::Processing),
            ("payment_intent.canceled", PaymentStatus::Cancelled),
            (
                "payment_intent.amount_capturable_updated",
                PaymentStatus::Authorized,
            ),
        ] {
            let body = json!({"id": "evt_3", "type": kind,
                "data": {"object": {"id": "pi_3", "status": "processing"}}});
            match parse_event(body.to_string().as_bytes()).unwrap().kind {
                WebhookKind::Payment {
                    status,
                    captured_minor: None,
                    ..
                } => assert_eq!(status, want, "{kind}"),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn refund_events() {
        let refund = json!({"id": "re_1", "object": "refund", "amount": 1500,
            "status": "succeeded", "payment_intent": "pi_1", "charge": "ch_1"});
        for kind in ["refund.created", "refund.updated"] {
            let body = json!({"id": "evt_r", "type": kind, "data": {"object": refund}});
            assert_eq!(
                parse_event(body.to_string().as_bytes()).unwrap().kind,
                WebhookKind::Refund {
                    payment_reference: "pi_1".into(),
                    reference: "re_1".into(),
                    status: RefundStatus::Succeeded,
                    amount_minor: 1500
                }
            );
        }
        let charge = json!({"id": "evt_c", "type": "charge.refunded", "data": {"object": {
            "id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": 1500,
            "refunds": {"object": "list", "data": [{"id": "re_1", "amount": 1500,
                "status": "pending", "payment_intent": null}]}}}});
        assert_eq!(
            parse_event(charge.to_string().as_bytes()).unwrap().kind,
            WebhookKind::Refund {
                payment_reference: "pi_1".into(),
                reference: "re_1".into(),
                status: RefundStatus::Pending,
                amount_minor: 1500
            }
        );
        let bare = json!({"id": "evt_c2", "type": "charge.refunded",
            "data": {"object": {"id": "ch_1", "payment_intent": "pi_1"}}});
        assert_eq!(
            parse_event(bare.to_string().as_bytes()).unwrap().kind,
            WebhookKind::Other("charge.refunded".into())
        );
    }

    #[test]
    fn other_and_malformed_events() {
        let body = json!({"id": "evt_o", "type": "customer.created", "data": {"object": {}}});
        assert_eq!(
            parse_event(body.to_string().as_bytes()).unwrap().kind,
            WebhookKind::Other("customer.created".into())
        );
        assert!(matches!(
            parse_event(b"not json"),
            Err(WebhookError::Malformed(_))
        ));
        let no_id = json!({"id": "evt_m", "type": "payment_intent.succeeded",
            "data": {"object": {"status": "succeeded"}}});
        assert!(matches!(
            parse_event(no_id.to_string().as_bytes()),
            Err(WebhookError::Malformed(_))
        ));
    }
}
