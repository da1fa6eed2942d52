//! The Casbin objects and actions the notification service checks (policies/policy.csv). RLS
//! then confines a user to their own inbox, preferences and devices, and an admin to the
//! tenant's channels, templates, webhooks and delivery logs.

use kernel::permission;

permission!(
    /// Signed-in users read their inbox and preferences.
    ReadInbox, "inbox", "read");
permission!(
    /// Signed-in users mark messages read, set preferences, register devices.
    WriteInbox, "inbox", "write");
permission!(
    /// Tenant admins: channels, templates, webhooks, delivery logs, scheduled messages.
    ManageNotifications, "notifications", "manage");
