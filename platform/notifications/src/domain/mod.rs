//! Pure rules: channels and categories, who hears of which event, what preferences allow, how
//! money and dates read in each locale, and how a template becomes text.

pub mod format;
pub mod preferences;
pub mod render;
pub mod topics;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a message goes. `in_app` is the inbox this service keeps; the others go through a
/// provider of the `notify` plugin family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InApp,
    Email,
    Sms,
    Push,
    Webhook,
}

impl Channel {
    /// The channels a person can receive, in the order they are planned.
    pub const PERSONAL: [Channel; 4] =
        [Channel::InApp, Channel::Email, Channel::Sms, Channel::Push];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::InApp => "in_app",
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        [
            Channel::InApp,
            Channel::Email,
            Channel::Sms,
            Channel::Push,
            Channel::Webhook,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Why a message is sent. Transactional messages follow something the person did (an order, a
/// password reset); marketing ones need their consent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Transactional,
    Marketing,
}

impl Category {
    pub const ALL: [Category; 2] = [Category::Transactional, Category::Marketing];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Transactional => "transactional",
            Category::Marketing => "marketing",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}
