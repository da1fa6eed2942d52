//! User service: accounts, sessions (rotating refresh tokens), profiles, preferences, addresses
//! and per-tenant role grants, under `/api/v1/users`.

use std::sync::Arc;

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

mod accounts;
pub mod api;
mod domain;
mod http;
mod permissions;
mod repo;

pub use http::Mailer;

/// Every user route. `notifier` delivers verification and reset messages inside the request's
/// transaction.
pub fn router(notifier: Arc<dyn notify::Notifier>) -> OpenApiRouter<AppState> {
    http::router(Mailer(notifier))
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
            for t in ["verify_email", "reset_password"] {
                // Messages with variables only resolve when given their arguments.
                let args = [
                    ("url", "https://x".to_string()),
                    ("marketplace", "Gamarra".to_string()),
                ];
                for part in ["subject", "body"] {
                    let id = format!("users-{t}-{part}");
                    assert_ne!(l.text_with(&id, &args), id, "{l}");
                }
            }
        }
        assert_ne!(
            Locale::Es.text("problem-email_taken-title"),
            Locale::En.text("problem-email_taken-title")
        );
    }
}
