//! The Casbin objects and actions the payment service checks (policies/policy.csv). RLS then
//! confines a customer to their own payments and methods, a vendor to the payments of orders it
//! has a part in, and an admin to the tenant.

use kernel::permission;

permission!(
    /// Customers pay for their orders and keep payment methods.
    Pay, "payments", "write");
permission!(
    /// Customers and vendors read their payment history (admins read everything).
    ReadPayments, "payments", "read");
permission!(
    /// Admins and, where the marketplace allows, vendors refund.
    Refund, "refunds", "write");
permission!(
    /// Tenant admins: gateways, payment settings.
    ManagePayments, "payments", "manage");
