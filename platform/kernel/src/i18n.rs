//! Fluent messages and locale negotiation.
//!
//! Messages live in `platform/locales/{es,en}/*.ftl` and are compiled into the binary. The locale
//! of a request is, in order: the first supported language of `Accept-Language`, the user's
//! preference (carried in the access token), the tenant's default, then Spanish.

use std::{borrow::Cow, collections::HashMap};

use fluent_templates::{Loader, fluent_bundle::FluentValue, static_loader};
use unic_langid::{LanguageIdentifier, langid};

static_loader! {
    static LOCALES = {
        locales: "../locales",
        fallback_language: "es",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A supported locale. Spanish is the fallback.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Es,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Es, Locale::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Es => "es",
            Locale::En => "en",
        }
    }

    /// Parses a language tag by its primary language (`es-PE` → `es`).
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        match primary.as_str() {
            "es" => Some(Locale::Es),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Locale::Es => langid!("es"),
            Locale::En => langid!("en"),
        }
    }

    /// Negotiates: Accept-Language (by q order), then the user's preference, then the tenant
    /// default, then Spanish.
    pub fn negotiate(
        accept_language: Option<&str>,
        user_preference: Option<&str>,
        tenant_default: Option<&str>,
    ) -> Locale {
        accept_language
            .into_iter()
            .flat_map(fluent_langneg::accepted_languages::parse)
            .find_map(|id| Locale::parse(id.language.as_str()))
            .or_else(|| user_preference.and_then(Locale::parse))
            .or_else(|| tenant_default.and_then(Locale::parse))
            .unwrap_or_default()
    }

    /// The message `id`, or the id itself when it is missing (a test checks that every id used
    /// exists in every locale).
    pub fn text(self, id: &str) -> String {
        LOCALES
            .try_lookup(&self.langid(), id)
            .unwrap_or_else(|| id.to_string())
    }

    /// The message `id` with named arguments.
    pub fn text_with(self, id: &str, args: &[(&str, String)]) -> String {
        self.lookup(id, args).unwrap_or_else(|| id.to_string())
    }

    /// The message `id` with named arguments, or `None` when this locale has no such message.
    pub fn lookup(self, id: &str, args: &[(&str, String)]) -> Option<String> {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.clone())))
            .collect();
        LOCALES.try_lookup_with_args(&self.langid(), id, &args)
    }

    /// Whether `id` exists in this locale (used by tests that check translations are complete).
    /// Only for messages without variables: fluent-templates answers `None` for a message whose
    /// variables are not given, so check those with `text_with` instead.
    pub fn has(self, id: &str) -> bool {
        LOCALES.try_lookup(&self.langid(), id).is_some()
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_order() {
        assert_eq!(
            Locale::negotiate(Some("en-US,en;q=0.9"), Some("es"), Some("es")),
            Locale::En
        );
        assert_eq!(
            Locale::negotiate(Some("fr;q=1, es-PE;q=0.5"), None, Some("en")),
            Locale::Es
        );
        assert_eq!(
            Locale::negotiate(Some("fr, de"), Some("en"), Some("es")),
            Locale::En
        );
        assert_eq!(Locale::negotiate(None, None, Some("en")), Locale::En);
        assert_eq!(Locale::negotiate(Some("*"), None, None), Locale::Es);
    }

    #[test]
    fn messages_differ_by_locale() {
        let es = Locale::Es.text("problem-not_found-title");
        let en = Locale::En.text("problem-not_found-title");
        assert_ne!(es, en);
        assert!(!es.starts_with("problem-"));
    }
}
