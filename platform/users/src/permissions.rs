//! The Casbin objects and actions the user service checks (see policies/policy.csv).

use kernel::permission;

permission!(
    /// Guests create accounts and verify their email.
    Register, "account", "register");
permission!(
    /// Guests sign in and refresh tokens.
    Login, "account", "login");
permission!(
    /// Guests ask for and confirm password resets.
    Recover, "account", "recover");
permission!(ReadProfile, "profile", "read");
permission!(WriteProfile, "profile", "write");
permission!(ReadSessions, "sessions", "read");
permission!(WriteSessions, "sessions", "write");
permission!(ReadAddresses, "addresses", "read");
permission!(WriteAddresses, "addresses", "write");
permission!(
    /// Tenant admins (and platform admins on the platform) list accounts.
    ReadUsers, "users", "read");
permission!(ManageRoles, "roles", "manage");
