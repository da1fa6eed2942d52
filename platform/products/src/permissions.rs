//! The Casbin objects and actions the product service checks (see policies/policy.csv).
//! Casbin says who may try; row-level security says which rows they may touch (a vendor writes
//! only its own products, whatever the handler does).

use kernel::permission;

permission!(
    /// Everyone, signed in or not, browses the public catalogue.
    ReadCatalog, "catalog", "read");
permission!(
    /// Signed-in customers apply to become a vendor and read their application.
    ApplyVendor, "vendor_application", "write");
permission!(
    /// Approved vendors edit their shop.
    WriteShop, "shop", "write");
permission!(
    /// Vendors and admins create and edit products, variants, inventory and images.
    WriteProducts, "products", "write");
permission!(
    /// Tenant admins approve, reject and suspend vendors.
    ManageVendors, "vendors", "manage");
permission!(
    /// Tenant admins edit the category tree.
    WriteCategories, "categories", "write");
