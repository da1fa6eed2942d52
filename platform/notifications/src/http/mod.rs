//! Handlers by resource. Each names its permission (`Can<…>`), reaches rows only through a
//! tenant transaction (RLS adds who may see which rows) and documents itself for OpenAPI.

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;

mod channels;
mod inbox;
mod messages;
mod preferences;
mod public;
mod templates;
mod webhooks;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(inbox::routes())
        .merge(preferences::routes())
        .merge(channels::routes())
        .merge(webhooks::routes())
        .merge(templates::routes())
        .merge(messages::routes())
        .merge(public::routes())
}

#[cfg(test)]
mod tests {
    use kernel::i18n::Locale;

    use crate::domain::topics;

    #[test]
    fn every_code_and_template_has_messages_in_every_locale() {
        for code in [
            "notification_not_scheduled",
            "notification_not_dead",
            "unsubscribe_invalid",
            "channel_test_failed",
        ] {
            for l in Locale::ALL {
                assert!(l.has(&format!("problem-{code}-title")), "{l}: {code}");
                assert!(l.has(&format!("problem-{code}-detail")), "{l}: {code}");
            }
        }
        let args: Vec<(&str, String)> = crate::domain::render::ARGUMENTS
            .iter()
            .map(|a| (*a, "x".to_string()))
            .collect();
        for template in topics::templates() {
            for l in Locale::ALL {
                for part in ["subject", "body"] {
                    let id = format!("notify-{template}-{part}");
                    assert!(l.lookup(&id, &args).is_some(), "{l}: {id}");
                }
            }
        }
        for field in [
            "unknown_provider",
            "template_invalid",
            "topic_unknown",
            "provider_settings",
        ] {
            for l in Locale::ALL {
                let id = format!("field-{field}");
                assert_ne!(
                    l.text_with(&id, &[("field", "f".into()), ("reason", "r".into())]),
                    id,
                    "{l}: {field}"
                );
            }
        }
    }
}
