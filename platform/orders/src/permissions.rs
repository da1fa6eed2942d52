//! The Casbin objects and actions the order service checks (see policies/policy.csv). Casbin says
//! who may try; row-level security says whose orders they reach (a customer only their own, a
//! vendor only its part, an admin the tenant's).

use kernel::permission;

permission!(
    /// Everyone, guests included, keeps a cart.
    UseCart, "cart", "write");
permission!(
    /// Signed-in customers place orders and cancel their own.
    PlaceOrders, "orders", "write");
permission!(
    /// Signed-in customers read their own orders.
    ReadOrders, "orders", "read");
permission!(
    /// Vendors (and admins) work their vendor orders: status, tracking.
    FulfilOrders, "vendor_orders", "manage");
permission!(
    /// Tenant admins see every order and may mark one paid by hand.
    ManageOrders, "orders", "manage");
