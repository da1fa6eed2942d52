//! Who hears of which event, with which template. Adding a message for an event is one line
//! here and its texts in `platform/locales/*/notifications.ftl`.

use super::Category;

/// The people an event's payload names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// `payload.user_id`: the account the event is about.
    Subject,
    /// `payload.customer_id`: the customer of an order.
    Customer,
    /// `payload.vendor_ids`: the owner of each vendor with a part in the order.
    Vendors,
    /// Every admin of the tenant.
    Admins,
}

/// One message an event makes.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub audience: Audience,
    /// Template name: `notify-<template>-subject` etc. in the locale files.
    pub template: &'static str,
    pub category: Category,
    /// Goes out whatever the preferences say (see `preferences::allows`).
    pub mandatory: bool,
}

const fn to(audience: Audience, template: &'static str) -> Rule {
    Rule {
        audience,
        template,
        category: Category::Transactional,
        mandatory: false,
    }
}

const fn mandatory(template: &'static str) -> Rule {
    Rule {
        audience: Audience::Subject,
        template,
        category: Category::Transactional,
        mandatory: true,
    }
}

const VERIFY_EMAIL: &[Rule] = &[mandatory("verify_email")];
const RESET_PASSWORD: &[Rule] = &[mandatory("reset_password")];
const ORDER_PLACED: &[Rule] = &[
    to(Audience::Customer, "order_placed"),
    to(Audience::Vendors, "vendor_order_placed"),
];
const ORDER_PAID: &[Rule] = &[
    to(Audience::Customer, "order_paid"),
    to(Audience::Vendors, "vendor_order_paid"),
];
const ORDER_SHIPPED: &[Rule] = &[to(Audience::Customer, "order_shipped")];
const ORDER_DELIVERED: &[Rule] = &[to(Audience::Customer, "order_delivered")];
const ORDER_CANCELLED: &[Rule] = &[
    to(Audience::Customer, "order_cancelled"),
    to(Audience::Vendors, "vendor_order_cancelled"),
];
const ORDER_TRACKING: &[Rule] = &[to(Audience::Customer, "order_tracking_added")];
const PAYMENT_REFUNDED: &[Rule] = &[
    to(Audience::Customer, "payment_refunded"),
    to(Audience::Admins, "admin_payment_refunded"),
];

/// The messages `topic` makes; none for topics nobody is told about.
pub fn rules(topic: &str) -> &'static [Rule] {
    match topic {
        "user.email_verification_requested" => VERIFY_EMAIL,
        "user.password_reset_requested" => RESET_PASSWORD,
        "order.placed" => ORDER_PLACED,
        "order.paid" => ORDER_PAID,
        "order.shipped" => ORDER_SHIPPED,
        "order.delivered" => ORDER_DELIVERED,
        "order.cancelled" => ORDER_CANCELLED,
        "order.tracking_added" => ORDER_TRACKING,
        "payment.refunded" => PAYMENT_REFUNDED,
        _ => &[],
    }
}

/// Events integrators may subscribe webhooks to. Account events are not among them: their
/// payloads carry sealed links meant for one person.
pub const WEBHOOK_TOPICS: &[&str] = &[
    "order.placed",
    "order.paid",
    "order.processing",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "order.tracking_added",
    "payment.captured",
    "payment.refunded",
];

/// Every template the shipped locale files must hold (a test checks them).
pub fn templates() -> impl Iterator<Item = &'static str> {
    [
        "user.email_verification_requested",
        "user.password_reset_requested",
        "order.placed",
        "order.paid",
        "order.shipped",
        "order.delivered",
        "order.cancelled",
        "order.tracking_added",
        "payment.refunded",
    ]
    .into_iter()
    .flat_map(rules)
    .map(|r| r.template)
    .chain(["announcement"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_events_reach_customer_and_vendors() {
        let placed = rules("order.placed");
        assert!(placed.iter().any(|r| r.audience == Audience::Customer));
        assert!(placed.iter().any(|r| r.audience == Audience::Vendors));
        assert!(rules("order.processing").is_empty());
        assert!(rules("user.password_reset_requested")[0].mandatory);
    }
}
