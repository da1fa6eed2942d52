//! What PayPal's Orders v2, Payments v2 and webhook APIs send and expect, with no IO: money as
//! decimal strings, order and capture statuses, error bodies, webhook headers and events.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::{
    Failure, NewPayment, NewRefund, NextAction, PaymentError, PaymentStatus, ProviderPayment,
    RefundStatus, WEBHOOK_TOLERANCE, WebhookError, WebhookEvent, WebhookKind, http,
};

/// Digits after the decimal point of `currency` (ISO 4217).
pub(super) fn exponent(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// Minor units as PayPal's decimal `value`: 5000 PEN → `"50.00"`, 5000 JPY → `"5000"`.
/// Integer arithmetic only.
pub(super) fn format_amount(minor: i64, currency: &str) -> Result<String, PaymentError> {
    if minor < 0 {
        return Err(PaymentError::rejected("the amount must not be negative"));
    }
    let exp = exponent(currency);
    if exp == 0 {
        return Ok(minor.to_string());
    }
    let unit = 10i64.pow(exp);
    Ok(format!(
        "{}.{:0width$}",
        minor / unit,
        minor % unit,
        width = exp as usize
    ))
}

/// PayPal's decimal `value` back to minor units; `None` for anything that is not a plain
/// non-negative decimal with at most the currency's digits.
pub(super) fn parse_amount(value: &str, currency: &str) -> Option<i64> {
    let exp = exponent(currency) as usize;
    let (whole, frac) = value.split_once('.').unwrap_or((value, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > exp {
        return None;
    }
    if value.contains('.') && frac.is_empty() {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<exp$}").parse().ok()?
    };
    whole.checked_mul(10i64.pow(exp as u32))?.checked_add(frac)
}

/// PayPal ids (orders, captures) are letters and digits: anything else never reaches a URL path.
pub(super) fn check_id(id: &str) -> Result<&str, PaymentError> {
    if !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        Ok(id)
    } else {
        Err(PaymentError::rejected("not a PayPal id"))
    }
}

/// `PayPal-Request-Id`: PayPal keeps at most 108 characters.
pub(super) fn request_id(key: &str) -> Result<&str, PaymentError> {
    if !key.is_empty() && key.len() <= 108 && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(key)
    } else {
        Err(PaymentError::rejected(
            "the idempotency key must be 1 to 108 visible ASCII characters for PayPal",
        ))
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The body of `POST /v2/checkout/orders`. With return or cancel URLs the payer is sent back
/// through `payment_source.paypal.experience_context` (the order then answers
/// `PAYER_ACTION_REQUIRED` with a `payer-action` link); without them the order is `CREATED` with
/// an `approve` link.
pub(super) fn create_order_body(p: &NewPayment) -> Result<serde_json::Value, PaymentError> {
    if p.amount_minor <= 0 {
        return Err(PaymentError::rejected("the amount must be positive"));
    }
    let currency = p.currency.to_ascii_uppercase();
    let mut body = json!({
        "intent": "CAPTURE",
        "purchase_units": [{
            "reference_id": p.order_id.to_string(),
            "custom_id": p.payment_id.to_string(),
            "invoice_id": truncate(&p.order_number, 127),
            "description": truncate(&p.description, 127),
            "amount": {
                "currency_code": currency,
                "value": format_amount(p.amount_minor, &currency)?,
            },
        }],
    });
    if p.return_url.is_some() || p.cancel_url.is_some() {
        let mut ctx = json!({"user_action": "PAY_NOW", "shipping_preference": "NO_SHIPPING"});
        if let Some(url) = &p.return_url {
            ctx["return_url"] = json!(url);
        }
        if let Some(url) = &p.cancel_url {
            ctx["cancel_url"] = json!(url);
        }
        body["payment_source"] = json!({"paypal": {"experience_context": ctx}});
    }
    Ok(body)
}

/// The body of `POST /v2/payments/captures/{id}/refund`.
pub(super) fn refund_body(r: &NewRefund) -> Result<serde_json::Value, PaymentError> {
    if r.amount_minor <= 0 {
        return Err(PaymentError::rejected("the amount must be positive"));
    }
    let currency = r.currency.to_ascii_uppercase();
    let mut body = json!({
        "amount": {"currency_code": currency, "value": format_amount(r.amount_minor, &currency)?},
        "custom_id": r.refund_id.to_string(),
    });
    if let Some(reason) = &r.reason {
        body["note_to_payer"] = json!(truncate(reason, 255));
    }
    Ok(body)
}

#[derive(Debug, Deserialize)]
pub(super) struct TokenAnswer {
    pub access_token: String,
    pub expires_in: u64,
}

/// How long to use a token that PayPal says lasts `expires_in` seconds: until a minute before
/// (half the time for short-lived ones), so a request never carries one about to expire.
pub(super) fn token_lifetime(expires_in: u64) -> Duration {
    Duration::from_secs(expires_in - (expires_in / 2).min(60))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenError {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Money {
    pub currency_code: String,
    pub value: String,
}

impl Money {
    pub fn minor(&self) -> Option<i64> {
        parse_amount(&self.value, &self.currency_code)
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct Link {
    pub href: String,
    pub rel: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Order {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub purchase_units: Vec<PurchaseUnit>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PurchaseUnit {
    pub payments: Option<Payments>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Payments {
    #[serde(default)]
    pub captures: Vec<Capture>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Capture {
    pub id: String,
    pub status: String,
    pub amount: Option<Money>,
    pub status_details: Option<StatusDetails>,
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusDetails {
    pub reason: Option<String>,
}

impl Order {
    pub fn capture(&self) -> Option<&Capture> {
        self.purchase_units
            .first()
            .and_then(|u| u.payments.as_ref())
            .and_then(|p| p.captures.first())
    }

    /// Where the payer approves: `payer-action` (with a payment source) or `approve`.
    fn approve_url(&self) -> Option<&str> {
        self.links
            .iter()
            .find(|l| l.rel == "payer-action" || l.rel == "approve")
            .map(|l| l.href.as_str())
    }
}

/// Our view of an order. The reference is the order id; a completed order stands where its
/// first capture stands.
pub(super) fn order_payment(order: &Order) -> ProviderPayment {
    let mut payment = ProviderPayment {
        reference: order.id.clone(),
        status: PaymentStatus::Processing,
        next_action: NextAction::None,
        captured_minor: None,
        failure: None,
    };
    match order.status.as_str() {
        // APPROVED waits for our capture (`confirm`), not for the payer.
        "CREATED" | "SAVED" | "PAYER_ACTION_REQUIRED" | "APPROVED" => {
            payment.status = PaymentStatus::RequiresAction;
            if let Some(url) = order.approve_url() {
                payment.next_action = NextAction::Redirect {
                    url: url.to_owned(),
                };
            }
        }
        "VOIDED" => payment.status = PaymentStatus::Cancelled,
        "COMPLETED" => match order.capture() {
            Some(c) => {
                payment.status = capture_status(&c.status);
                match payment.status {
                    PaymentStatus::Captured => {
                        payment.captured_minor = c.amount.as_ref().and_then(Money::minor);
                    }
                    PaymentStatus::Failed => payment.failure = Some(capture_failure(c)),
                    _ => {}
                }
            }
            None => payment.status = PaymentStatus::Captured,
        },
        _ => {}
    }
    payment
}

/// A capture's status (`COMPLETED`, `PENDING`, `DECLINED`, `FAILED`, `REFUNDED`, …).
pub(super) fn capture_status(status: &str) -> PaymentStatus {
    match status {
        "COMPLETED" | "REFUNDED" | "PARTIALLY_REFUNDED" => PaymentStatus::Captured,
        "DECLINED" | "FAILED" => PaymentStatus::Failed,
        _ => PaymentStatus::Processing,
    }
}

fn capture_failure(c: &Capture) -> Failure {
    Failure {
        code: c
            .status_details
            .as_ref()
            .and_then(|d| d.reason.clone())
            .unwrap_or_else(|| c.status.clone()),
        message: "PayPal did not complete the capture.".into(),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct RefundAnswer {
    pub id: String,
    pub status: String,
    pub amount: Option<Money>,
}

/// A refund's status (`COMPLETED`, `PENDING`, `FAILED`, `CANCELLED`).
pub(super) fn refund_status(status: &str) -> RefundStatus {
    match status {
        "COMPLETED" => RefundStatus::Succeeded,
        "FAILED" | "CANCELLED" => RefundStatus::Failed,
        _ => RefundStatus::Pending,
    }
}

/// PayPal's error body: `{name, message, debug_id, details: [{issue, description}]}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ApiError {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub debug_id: String,
    #[serde(default)]
    pub details: Vec<Detail>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Detail {
    pub issue: String,
    #[serde(default)]
    pub description: String,
}

/// Issues that mean the payer's instrument said no.
const DECLINES: [&str; 3] = [
    "INSTRUMENT_DECLINED",
    "TRANSACTION_REFUSED",
    "PAYER_CANNOT_PAY",
];

impl ApiError {
    pub fn parse(body: &[u8]) -> Self {
        serde_json::from_slice(body).unwrap_or_else(|_| ApiError {
            message: http::snippet(body),
            ..Default::default()
        })
    }

    pub fn has_issue(&self, issue: &str) -> bool {
        self.details.iter().any(|d| d.issue == issue)
    }

    /// A failure answer as our error: a declined instrument is a decline, anything else is
    /// classified by its status. `secret` is scrubbed from the message.
    pub fn into_payment_error(self, status: reqwest::StatusCode, secret: &str) -> PaymentError {
        if let Some(d) = self
            .details
            .iter()
            .find(|d| DECLINES.contains(&d.issue.as_str()))
        {
            return PaymentError::Declined(Failure {
                code: d.issue.clone(),
                message: http::redact(&d.description, secret),
            });
        }
        let mut text = format!("paypal {}: {}", self.name, self.message);
        for d in &self.details {
            text.push_str(&format!(" [{}: {}]", d.issue, d.description));
        }
        if !self.debug_id.is_empty() {
            text.push_str(&format!(" (debug_id {})", self.debug_id));
        }
        http::status_error(status, http::redact(&text, secret))
    }
}

/// The transmission headers PayPal signs a webhook with.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Transmission<'a> {
    pub auth_algo: &'a str,
    pub cert_url: &'a str,
    pub transmission_id: &'a str,
    pub transmission_sig: &'a str,
    pub transmission_time: &'a str,
}

/// Reads the `PAYPAL-*` headers and refuses a transmission older (or later) than
/// [`WEBHOOK_TOLERANCE`] before anyone is asked about its signature.
pub(super) fn transmission(
    headers: &::http::HeaderMap,
    received_at: OffsetDateTime,
) -> Result<Transmission<'_>, WebhookError> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| WebhookError::Signature(format!("no {name} header")))
    };
    let t = Transmission {
        auth_algo: get("paypal-auth-algo")?,
        cert_url: get("paypal-cert-url")?,
        transmission_id: get("paypal-transmission-id")?,
        transmission_sig: get("paypal-transmission-sig")?,
        transmission_time: get("paypal-transmission-time")?,
    };
    let sent = OffsetDateTime::parse(
        t.transmission_time,
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| WebhookError::Signature("PAYPAL-TRANSMISSION-TIME is not a time".into()))?;
    if (received_at - sent).unsigned_abs() > WEBHOOK_TOLERANCE {
        return Err(WebhookError::Stale);
    }
    Ok(t)
}

#[derive(Debug, Deserialize)]
pub(super) struct VerifyAnswer {
    pub verification_status: String,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    event_type: String,
    resource: serde_json::Value,
}

#[derive(Deserialize)]
struct EventResource {
    id: String,
    status: Option<String>,
    amount: Option<Money>,
    status_details: Option<StatusDetails>,
    supplementary_data: Option<Supplementary>,
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct Supplementary {
    related_ids: Option<RelatedIds>,
}

#[derive(Deserialize)]
struct RelatedIds {
    order_id: Option<String>,
    capture_id: Option<String>,
}

impl EventResource {
    fn related(&self) -> Option<&RelatedIds> {
        self.supplementary_data.as_ref()?.related_ids.as_ref()
    }

    fn order_id(&self) -> Option<String> {
        self.related()?.order_id.clone()
    }

    /// A refund's capture: `related_ids.capture_id`, else the last segment of its `up` link
    /// (`…/v2/payments/captures/{id}`).
    fn capture_id(&self) -> Option<String> {
        if let Some(id) = self.related().and_then(|r| r.capture_id.clone()) {
            return Some(id);
        }
        let up = self.links.iter().find(|l| l.rel == "up")?;
        let (_, id) = up.href.trim_end_matches('/').rsplit_once('/')?;
        (!id.is_empty()).then(|| id.to_owned())
    }

    fn minor(&self, what: &str) -> Result<i64, WebhookError> {
        let amount = self
            .amount
            .as_ref()
            .ok_or_else(|| WebhookError::Malformed(format!("{what} without an amount")))?;
        amount
            .minor()
            .ok_or_else(|| WebhookError::Malformed(format!("{what}: unreadable amount")))
    }
}

/// Reads a verified PayPal event. Captures name their order in
/// `supplementary_data.related_ids.order_id` (our reference); one without it is not from an
/// order of ours and reads as [`WebhookKind::Other`]. A refund names the order when PayPal
/// includes it, else its capture.
pub(super) fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let e: Event =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let other = WebhookKind::Other(e.event_type.clone());
    let status = match e.event_type.as_str() {
        "PAYMENT.CAPTURE.COMPLETED" => Some(PaymentStatus::Captured),
        "PAYMENT.CAPTURE.DENIED" | "PAYMENT.CAPTURE.DECLINED" => Some(PaymentStatus::Failed),
        "PAYMENT.CAPTURE.PENDING" => Some(PaymentStatus::Processing),
        _ => None,
    };
    let resource = || -> Result<EventResource, WebhookError> {
        serde_json::from_value(e.resource.clone())
            .map_err(|err| WebhookError::Malformed(format!("{}: {err}", e.event_type)))
    };
    let kind = if let Some(status) = status {
        let r = resource()?;
        match r.order_id() {
            None => other,
            Some(reference) => WebhookKind::Payment {
                reference,
                status,
                captured_minor: match status {
                    PaymentStatus::Captured => Some(r.minor("a capture")?),
                    _ => None,
                },
                failure: (status == PaymentStatus::Failed).then(|| Failure {
                    code: r
                        .status_details
                        .as_ref()
                        .and_then(|d| d.reason.clone())
                        .or_else(|| r.status.clone())
                        .unwrap_or_else(|| "DENIED".into()),
                    message: "PayPal did not complete the capture.".into(),
                }),
            },
        }
    } else if e.event_type == "PAYMENT.CAPTURE.REFUNDED" {
        let r = resource()?;
        match r.order_id().or_else(|| r.capture_id()) {
            None => other,
            Some(payment_reference) => WebhookKind::Refund {
                payment_reference,
                amount_minor: r.minor("a refund")?,
                status: refund_status(r.status.as_deref().unwrap_or("COMPLETED")),
                reference: r.id,
            },
        }
    } else {
        // CHECKOUT.ORDER.APPROVED among them: the client confirms, which captures.
        other
    };
    Ok(WebhookEvent { id: e.id, kind })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn money_by_exponent() {
        assert_eq!(format_amount(5000, "PEN").unwrap(), "50.00");
        assert_eq!(format_amount(5005, "USD").unwrap(), "50.05");
        assert_eq!(format_amount(7, "USD").unwrap(), "0.07");
        assert_eq!(format_amount(0, "USD").unwrap(), "0.00");
        assert_eq!(format_amount(5000, "JPY").unwrap(), "5000");
        assert_eq!(format_amount(1234, "KWD").unwrap(), "1.234");
        assert_eq!(
            format_amount(i64::MAX, "USD").unwrap(),
            "92233720368547758.07"
        );
        assert!(format_amount(-1, "USD").is_err());
    }

    #[test]
    fn money_parses_back() {
        for (v, c, want) in [
            ("50.00", "PEN", Some(5000)),
            ("50.5", "USD", Some(5050)),
            ("50", "USD", Some(5000)),
            ("0.07", "USD", Some(7)),
            ("5000", "JPY", Some(5000)),
            ("1.234", "KWD", Some(1234)),
            ("50.001", "USD", None),
            ("5.5", "JPY", None),
            ("-1.00", "USD", None),
            ("1e3", "USD", None),
            ("", "USD", None),
            (".50", "USD", None),
            ("50.", "USD", None),
            ("1 000.00", "USD", None),
            ("99999999999999999999.00", "USD", None),
        ] {
            assert_eq!(parse_amount(v, c), want, "{v} {c}");
        }
        for minor in [0, 1, 99, 100, 123_456_789] {
            for c in ["USD", "JPY", "KWD"] {
                let s = format_amount(minor, c).unwrap();
                assert_eq!(parse_amount(&s, c), Some(minor), "{s}");
            }
        }
    }

    #[test]
    fn ids_and_request_ids() {
        assert!(check_id("5O190127TN364715T").is_ok());
        for bad in ["", "5O19/capture", "a?b", "a b"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
        assert!(request_id("gmr-abc").is_ok());
        assert!(request_id(&"k".repeat(109)).is_err());
        assert!(request_id("a b").is_err());
    }

    #[test]
    fn token_lifetimes_leave_a_margin() {
        assert_eq!(token_lifetime(32_400), Duration::from_secs(32_340));
        assert_eq!(token_lifetime(60), Duration::from_secs(30));
        assert_eq!(token_lifetime(1), Duration::from_secs(1));
        assert_eq!(token_lifetime(0), Duration::ZERO);
    }

    fn payment() -> NewPayment {
        NewPayment {
            payment_id: Uuid::from_u128(1),
            order_id: Uuid::from_u128(2),
            order_number: "A-1".into(),
            amount_minor: 5000,
            currency: "PEN".into(),
            idempotency_key: "k".into(),
            method: None,
            return_url: Some("https://shop.example/return".into()),
            cancel_url: Some("https://shop.example/cancel".into()),
            webhook_url: None,
            description: "order A-1".into(),
        }
    }

    #[test]
    fn order_body() {
        let body = create_order_body(&payment()).unwrap();
        assert_eq!(body["intent"], "CAPTURE");
        let unit = &body["purchase_units"][0];
        assert_eq!(unit["reference_id"], Uuid::from_u128(2).to_string());
        assert_eq!(unit["custom_id"], Uuid::from_u128(1).to_string());
        assert_eq!(unit["invoice_id"], "A-1");
        assert_eq!(
            unit["amount"],
            json!({"currency_code": "PEN", "value": "50.00"})
        );
        let ctx = &body["payment_source"]["paypal"]["experience_context"];
        assert_eq!(ctx["return_url"], "https://shop.example/return");
        assert_eq!(ctx["cancel_url"], "https://shop.example/cancel");

        let mut bare = payment();
        bare.return_url = None;
        bare.cancel_url = None;
        bare.currency = "jpy".into();
        let body = create_order_body(&bare).unwrap();
        assert!(body.get("payment_source").is_none());
        assert_eq!(body["purchase_units"][0]["amount"]["value"], "5000");
        assert_eq!(body["purchase_units"][0]["amount"]["currency_code"], "JPY");

        bare.amount_minor = 0;
        assert!(matches!(
            create_order_body(&bare),
            Err(PaymentError::Rejected(_))
        ));
    }

    fn order(v: serde_json::Value) -> Order {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn order_statuses() {
        let created = order(
            json!({"id": "O1", "status": "PAYER_ACTION_REQUIRED", "links": [
            {"href": "https://api/v2/checkout/orders/O1", "rel": "self", "method": "GET"},
            {"href": "https://www.paypal.com/checkoutnow?token=O1", "rel": "payer-action", "method": "GET"}]}),
        );
        let p = order_payment(&created);
        assert_eq!(p.status, PaymentStatus::RequiresAction);
        assert_eq!(
            p.next_action,
            NextAction::Redirect {
                url: "https://www.paypal.com/checkoutnow?token=O1".into()
            }
        );
        let approve = order(json!({"id": "O1", "status": "CREATED", "links": [
            {"href": "https://www.paypal.com/checkoutnow?token=O1", "rel": "approve"}]}));
        assert!(matches!(
            order_payment(&approve).next_action,
            NextAction::Redirect { .. }
        ));

        let completed = |capture_status: &str| {
            order(
                json!({"id": "O1", "status": "COMPLETED", "purchase_units": [{"payments": {
                "captures": [{"id": "C1", "status": capture_status,
                    "status_details": {"reason": "RISK"},
                    "amount": {"currency_code": "PEN", "value": "50.00"}}]}}]}),
            )
        };
        let p = order_payment(&completed("COMPLETED"));
        assert_eq!(
            (p.status, p.captured_minor, p.next_action),
            (PaymentStatus::Captured, Some(5000), NextAction::None)
        );
        assert_eq!(completed("COMPLETED").capture().unwrap().id, "C1");
        assert_eq!(
            order_payment(&completed("PENDING")).status,
            PaymentStatus::Processing
        );
        let declined = order_payment(&completed("DECLINED"));
        assert_eq!(declined.status, PaymentStatus::Failed);
        assert_eq!(declined.failure.unwrap().code, "RISK");
        assert_eq!(
            order_payment(&order(json!({"id": "O1", "status": "VOIDED"}))).status,
            PaymentStatus::Cancelled
        );
    }

    #[test]
    fn errors_by_issue_and_status() {
        let body = json!({"name": "UNPROCESSABLE_ENTITY", "message": "The requested action could not be performed.",
            "debug_id": "d1", "details": [{"issue": "INSTRUMENT_DECLINED",
            "description": "The instrument presented was either declined by the processor or bank."}]});
        let e = ApiError::parse(body.to_string().as_bytes());
        assert!(e.has_issue("INSTRUMENT_DECLINED"));
        match e.into_payment_error(reqwest::StatusCode::UNPROCESSABLE_ENTITY, "s3cret") {
            PaymentError::Declined(f) => assert_eq!(f.code, "INSTRUMENT_DECLINED"),
            other => panic!("{other:?}"),
        }
        let not_approved =
            json!({"name": "UNPROCESSABLE_ENTITY", "details": [{"issue": "ORDER_NOT_APPROVED"}]});
        let e = ApiError::parse(not_approved.to_string().as_bytes());
        assert!(e.has_issue("ORDER_NOT_APPROVED"));
        let e = e.into_payment_error(reqwest::StatusCode::UNPROCESSABLE_ENTITY, "s3cret");
        assert!(matches!(e, PaymentError::Rejected(_)));
        assert!(e.to_string().contains("ORDER_NOT_APPROVED"), "{e}");

        let limited = ApiError::parse(b"<html>slow down</html>");
        assert!(matches!(
            limited.into_payment_error(reqwest::StatusCode::TOO_MANY_REQUESTS, "s3cret"),
            PaymentError::Unavailable(_)
        ));
        let echo =
            ApiError::parse(br#"{"name": "AUTHENTICATION_FAILURE", "message": "bad s3cret"}"#)
                .into_payment_error(reqwest::StatusCode::UNAUTHORIZED, "s3cret");
        assert!(matches!(echo, PaymentError::Unauthorized(_)));
        assert!(!format!("{echo} {echo:?}").contains("s3cret"));
    }

    #[test]
    fn refund_statuses() {
        assert_eq!(refund_status("COMPLETED"), RefundStatus::Succeeded);
        assert_eq!(refund_status("PENDING"), RefundStatus::Pending);
        assert_eq!(refund_status("FAILED"), RefundStatus::Failed);
        assert_eq!(refund_status("CANCELLED"), RefundStatus::Failed);
    }

    fn headers(time: &str) -> ::http::HeaderMap {
        let mut h = ::http::HeaderMap::new();
        for (k, v) in [
            ("paypal-auth-algo", "SHA256withRSA"),
            (
                "paypal-cert-url",
                "https://api.paypal.com/v1/notifications/certs/CERT-1",
            ),
            ("paypal-transmission-id", "tid-1"),
            ("paypal-transmission-sig", "c2ln"),
            ("paypal-transmission-time", time),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn transmission_headers_and_age() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let h = headers("2023-11-14T22:13:20Z");
        let t = transmission(&h, now).unwrap();
        assert_eq!(t.transmission_id, "tid-1");
        assert!(transmission(&h, now + Duration::from_secs(300)).is_ok());
        assert!(matches!(
            transmission(&h, now + Duration::from_secs(301)),
            Err(WebhookError::Stale)
        ));
        let mut missing = h.clone();
        missing.remove("paypal-transmission-sig");
        assert!(matches!(
            transmission(&missing, now),
            Err(WebhookError::Signature(_))
        ));
        assert!(matches!(
            transmission(&headers("yesterday"), now),
            Err(WebhookError::Signature(_))
        ));
    }

    #[test]
    fn capture_events() {
        let capture = |kind: &str, status: &str| {
            json!({"id": "WH-1", "event_type": kind, "resource_type": "capture", "resource": {
                "id": "C1", "status": status, "amount": {"currency_code": "USD", "value": "50.00"},
                "supplementary_data": {"related_ids": {"order_id": "O1"}}}})
            .to_string()
        };
        let ev = parse_event(capture("PAYMENT.CAPTURE.COMPLETED", "COMPLETED").as_bytes()).unwrap();
        assert_eq!(ev.id, "WH-1");
        assert_eq!(
            ev.kind,
            WebhookKind::Payment {
                reference: "O1".into(),
                status: PaymentStatus::Captured,
                captured_minor: Some(5000),
                failure: None
            }
        );
        for (kind, want) in [
            ("PAYMENT.CAPTURE.DENIED", PaymentStatus::Failed),
            ("PAYMENT.CAPTURE.DECLINED", PaymentStatus::Failed),
            ("PAYMENT.CAPTURE.PENDING", PaymentStatus::Processing),
        ] {
            match parse_event(capture(kind, "X").as_bytes()).unwrap().kind {
                WebhookKind::Payment {
                    status,
                    captured_minor: None,
                    failure,
                    ..
                } => {
                    assert_eq!(status, want);
                    assert_eq!(failure.is_some(), want == PaymentStatus::Failed);
                }
                other => panic!("{other:?}"),
            }
        }
        let approved = json!({"id": "WH-2", "event_type": "CHECKOUT.ORDER.APPROVED",
            "resource": {"id": "O1", "status": "APPROVED"}});
        assert_eq!(
            parse_event(approved.to_string().as_bytes()).unwrap().kind,
            WebhookKind::Other("CHECKOUT.ORDER.APPROVED".into())
        );
        let orphan = json!({"id": "WH-3", "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "resource": {"id": "C9", "status": "COMPLETED"}});
        assert!(matches!(
            parse_event(orphan.to_string().as_bytes()).unwrap().kind,
            WebhookKind::Other(_)
        ));
        assert!(matches!(
            parse_event(b"{}"),
            Err(WebhookError::Malformed(_))
        ));
    }

    #[test]
    fn refund_events() {
        let refund = |extra: serde_json::Value| {
            let mut resource = json!({"id": "R1", "status": "COMPLETED",
                "amount": {"currency_code": "USD", "value": "10.50"},
                "links": [{"href": "https://api.paypal.com/v2/payments/refunds/R1", "rel": "self"},
                          {"href": "https://api.paypal.com/v2/payments/captures/C1", "rel": "up"}]});
            if let Some(extra) = extra.as_object() {
                for (k, v) in extra {
                    resource[k] = v.clone();
                }
            }
            json!({"id": "WH-R", "event_type": "PAYMENT.CAPTURE.REFUNDED", "resource": resource})
                .to_string()
        };
        assert_eq!(
            parse_event(refund(json!({})).as_bytes()).unwrap().kind,
            WebhookKind::Refund {
                payment_reference: "C1".into(),
                reference: "R1".into(),
                status: RefundStatus::Succeeded,
                amount_minor: 1050
            }
        );
        let with_order = refund(json!({"supplementary_data": {"related_ids": {"order_id": "O1"}}}));
        assert!(matches!(
            parse_event(with_order.as_bytes()).unwrap().kind,
            WebhookKind::Refund { payment_reference, .. } if payment_reference == "O1"
        ));
    }
}
