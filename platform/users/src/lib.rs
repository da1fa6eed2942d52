//! User service: accounts, sessions (rotating refresh tokens), profiles, preferences, addresses
//! and per-tenant role grants, under `/api/v1/users`.

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

mod accounts;
pub mod api;
mod domain;
mod http;
mod permissions;
mod repo;

/// Every user route. Verification and reset links go out through the outbox and the
/// notification service.
pub fn router() -> OpenApiRouter<AppState> {
    http::router()
}

#[cfg(test)]
mod tests {
    use kernel::i18n::Locale;

    /// Every domain error code and message template of this crate exists in every locale.
    #[test]
    fn messages_exist_in_every_locale() {
        let codes = [
            "email_taken",
            "invalid_token",
            "invalid_credentials",
            "invalid_refresh_token",
            "registration_closed",
            "cannot_revoke_own_admin",
        ];
        for l in Locale::ALL {
            for c in codes {
                assert!(l.has(&format!("problem-{c}-title")), "{l}: {c}");
                assert!(l.has(&format!("problem-{c}-detail")), "{l}: {c}");
            }
        }
        assert_ne!(
            Locale::Es.text("problem-email_taken-title"),
            Locale::En.text("problem-email_taken-title")
        );
    }
}
