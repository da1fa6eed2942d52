//! The order workflow as an explicit state machine.
//!
//! Each vendor order moves on its own (a vendor ships its part):
//!
//! ```text
//! pending_payment ──paid──▶ paid ──▶ processing ──▶ shipped ──▶ delivered
//!        │                   │           │             │            │
//!        └──▶ cancelled ◀────┴───────────┘             └──▶ refunded ◀┘ (also from paid, processing)
//! ```
//!
//! The order's status is derived from its parts ([`Status::derive`]). Who may make which move is
//! [`Status::allows`]; what the move does to stock is [`Status::stock_move`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    PendingPayment,
    Paid,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
    /// Orders only: some parts refunded, others not.
    PartiallyRefunded,
}

/// Who asks for a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The order's customer.
    Customer,
    /// The vendor of the vendor order.
    Vendor,
    /// A tenant admin.
    Admin,
    /// The platform itself: payment confirmations, the expiry sweep.
    System,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Vendor => "vendor",
            Actor::Admin => "admin",
            Actor::System => "system",
        }
    }
}

/// What a move does to the units of the vendor order's items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StockMove {
    /// Paid: the reservation becomes a sale.
    Commit,
    /// Cancelled unpaid: the reservation is given back.
    Release,
    /// Cancelled after payment, before shipping: the sold units go back on hand.
    Restock,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::PendingPayment,
        Status::Paid,
        Status::Processing,
        Status::Shipped,
        Status::Delivered,
        Status::Cancelled,
        Status::Refunded,
        Status::PartiallyRefunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingPayment => "pending_payment",
            Status::Paid => "paid",
            Status::Processing => "processing",
            Status::Shipped => "shipped",
            Status::Delivered => "delivered",
            Status::Cancelled => "cancelled",
            Status::Refunded => "refunded",
            Status::PartiallyRefunded => "partially_refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a vendor order may move from `self` to `to` at all.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (PendingPayment, Paid | Cancelled)
                | (Paid, Processing | Cancelled | Refunded)
                | (Processing, Shipped | Cancelled | Refunded)
                | (Shipped, Delivered | Refunded)
                | (Delivered, Refunded)
        )
    }

    /// Whether `actor` may move a vendor order from `self` to `to`. Payment moves (paid,
    /// refunded) belong to the payment service (`System`) and, by hand, to admins; fulfilment
    /// to the vendor and admins; a customer may only cancel before the vendor starts work.
    pub fn allows(self, to: Status, actor: Actor) -> bool {
        use Status::*;
        if !self.can_become(to) {
            return false;
        }
        match (to, actor) {
            (_, Actor::Admin) => true,
            (Paid | Refunded, Actor::System) => true,
            (Cancelled, Actor::System) => self == PendingPayment,
            (Processing | Shipped | Delivered | Cancelled, Actor::Vendor) => true,
            (Cancelled, Actor::Customer) => matches!(self, PendingPayment | Paid),
            _ => false,
        }
    }

    /// The stock effect of moving a vendor order from `self` to `to`.
    pub fn stock_move(self, to: Status) -> Option<StockMove> {
        use Status::*;
        match (self, to) {
            (PendingPayment, Paid) => Some(StockMove::Commit),
            (PendingPayment, Cancelled) => Some(StockMove::Release),
            (Paid | Processing, Cancelled) => Some(StockMove::Restock),
            _ => None,
        }
    }

    /// The order's status from its vendor orders': cancelled when every part is; refunded when
    /// every part still standing is, partially refunded when some are or when money was
    /// refunded (`money_refunded`) without a whole part; otherwise the least advanced part (an
    /// order is shipped when all its parts are).
    pub fn derive(parts: &[Status], money_refunded: bool) -> Status {
        let live: Vec<Status> = parts
            .iter()
            .copied()
            .filter(|s| *s != Status::Cancelled)
            .collect();
        if live.is_empty() {
            return Status::Cancelled;
        }
        let refunded = live.iter().filter(|s| **s == Status::Refunded).count();
        if refunded == live.len() {
            return Status::Refunded;
        }
        if refunded > 0 || money_refunded {
            return Status::PartiallyRefunded;
        }
        live.into_iter()
            .min_by_key(|s| Status::ALL.iter().position(|x| x == s))
            .unwrap_or(Status::Cancelled)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{Actor::*, Status::*, *};

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(Status::parse("lost"), None);
    }

    #[test]
    fn only_the_documented_moves_exist() {
        let legal = [
            (PendingPayment, Paid),
            (PendingPayment, Cancelled),
            (Paid, Processing),
            (Paid, Cancelled),
            (Paid, Refunded),
            (Processing, Shipped),
            (Processing, Cancelled),
            (Processing, Refunded),
            (Shipped, Delivered),
            (Shipped, Refunded),
            (Delivered, Refunded),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                assert_eq!(
                    from.can_become(to),
                    legal.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn who_may_move_what() {
        assert!(PendingPayment.allows(Cancelled, Customer));
        assert!(Paid.allows(Cancelled, Customer));
        assert!(!Processing.allows(Cancelled, Customer));
        assert!(!PendingPayment.allows(Paid, Customer));
        assert!(!PendingPayment.allows(Paid, Vendor));
        assert!(PendingPayment.allows(Paid, Admin));
        assert!(PendingPayment.allows(Paid, System));
        assert!(Paid.allows(Processing, Vendor));
        assert!(Processing.allows(Shipped, Vendor));
        assert!(!Shipped.allows(Cancelled, Vendor));
        assert!(!Shipped.allows(Cancelled, Admin));
        assert!(!Paid.allows(Refunded, Vendor));
        assert!(PendingPayment.allows(Cancelled, System));
        assert!(!Paid.allows(Cancelled, System));
        assert!(!Cancelled.allows(Paid, Admin));
    }

    #[test]
    fn stock_moves_once_per_path() {
        assert_eq!(PendingPayment.stock_move(Paid), Some(StockMove::Commit));
        assert_eq!(
            PendingPayment.stock_move(Cancelled),
            Some(StockMove::Release)
        );
        assert_eq!(Paid.stock_move(Cancelled), Some(StockMove::Restock));
        assert_eq!(Processing.stock_move(Cancelled), Some(StockMove::Restock));
        assert_eq!(Paid.stock_move(Processing), None);
        assert_eq!(Shipped.stock_move(Delivered), None);
    }

    #[test]
    fn order_status_is_derived_from_its_parts() {
        assert_eq!(
            Status::derive(&[PendingPayment, PendingPayment], false),
            PendingPayment
        );
        assert_eq!(Status::derive(&[Shipped, Processing], false), Processing);
        assert_eq!(Status::derive(&[Shipped, Delivered], false), Shipped);
        assert_eq!(Status::derive(&[Delivered, Cancelled], false), Delivered);
        assert_eq!(Status::derive(&[Cancelled, Cancelled], false), Cancelled);
        assert_eq!(Status::derive(&[Refunded, Cancelled], false), Refunded);
        assert_eq!(
            Status::derive(&[Refunded, Shipped], false),
            PartiallyRefunded
        );
        assert_eq!(Status::derive(&[Shipped, Paid], true), PartiallyRefunded);
        assert_eq!(Status::derive(&[Refunded, Refunded], true), Refunded);
        assert_eq!(Status::derive(&[Cancelled], true), Cancelled);
    }
}
