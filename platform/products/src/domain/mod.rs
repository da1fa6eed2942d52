//! Validated values of the catalogue ("parse, don't validate"). No IO.

mod currency;
mod slug;

pub use currency::Currency;
pub use slug::{Slug, slugify};

use std::collections::BTreeMap;

use kernel::{error::FieldError, i18n::Locale, validate::Validator};
use serde_json::{Map, Value};

/// Attribute and option maps: at most 30 entries, names 1–40 characters, values strings of
/// 1–100 characters (they become search filters `name=value`).
pub fn string_map(field: &str, map: &Map<String, Value>) -> Result<(), FieldError> {
    if map.len() > 30 {
        return Err(FieldError::new(field, "too_long").with("max", 30));
    }
    for (k, v) in map {
        let ok_key = (1..=40).contains(&k.trim().chars().count()) && !k.contains('=');
        let ok_value = v
            .as_str()
            .is_some_and(|s| (1..=100).contains(&s.trim().chars().count()));
        if !ok_key || !ok_value {
            return Err(FieldError::new(format!("{field}.{k}"), "invalid"));
        }
    }
    Ok(())
}

/// Content in one locale: the title (a category's name), description and SEO fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    pub title: Option<String>,
    pub description: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

impl Content {
    /// Trims every field (empty becomes absent) and records length errors under `field.`.
    /// `title_field` is what the API calls the title (`name` for categories).
    pub fn clean(
        mut self,
        v: &mut Validator,
        field: &str,
        title_field: &str,
        title_max: usize,
        description_max: usize,
    ) -> Self {
        for f in [
            &mut self.title,
            &mut self.description,
            &mut self.meta_title,
            &mut self.meta_description,
        ] {
            *f = f
                .take()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
        }
        v.opt_text(
            &format!("{field}{title_field}"),
            self.title.as_deref(),
            title_max,
        )
        .opt_text(
            &format!("{field}description"),
            self.description.as_deref(),
            description_max,
        )
        .opt_text(
            &format!("{field}meta_title"),
            self.meta_title.as_deref(),
            120,
        )
        .opt_text(
            &format!("{field}meta_description"),
            self.meta_description.as_deref(),
            320,
        );
        self
    }

    pub fn is_empty(&self) -> bool {
        *self == Content::default()
    }
}

/// Content in the locales other than the marketplace default, by locale, as validated from a
/// request: `None` content removes that locale's translation.
pub type Translations = Vec<(&'static str, Option<Content>)>;

/// Checks a request's `translations` map: known locales only, never the default one (its content
/// lives in the main fields), each field within its limits.
pub fn translations<C: Into<Content>>(
    v: &mut Validator,
    default: Locale,
    map: BTreeMap<String, Option<C>>,
    title_field: &str,
    title_max: usize,
    description_max: usize,
) -> Translations {
    let mut out = Vec::new();
    for (tag, content) in map {
        match Locale::parse(&tag).filter(|l| l.as_str() == tag) {
            None => {
                v.push(FieldError::new(
                    format!("translations.{tag}"),
                    "invalid_choice",
                ));
            }
            Some(l) if l == default => {
                v.push(FieldError::new(
                    format!("translations.{tag}"),
                    "default_locale",
                ));
            }
            Some(l) => {
                let field = format!("translations.{tag}.");
                let content = content
                    .map(|c| {
                        c.into()
                            .clean(v, &field, title_field, title_max, description_max)
                    })
                    .filter(|c| !c.is_empty());
                out.push((l.as_str(), content));
            }
        }
    }
    out
}
