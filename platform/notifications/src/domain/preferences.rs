//! What a person receives when they said nothing, and what they cannot switch off.

use super::{Category, Channel};

/// The default for a channel and category: transactional messages in the inbox, by email and by
/// push; SMS costs money and interrupts, so it is opt-in; marketing is opt-in everywhere.
pub fn default_enabled(channel: Channel, category: Category) -> bool {
    match category {
        Category::Marketing => false,
        Category::Transactional => !matches!(channel, Channel::Sms),
    }
}

/// Whether a message goes out. Mandatory messages (account verification, password reset: the
/// person asked for them, and without them they cannot get into their account) go by email and
/// in-app whatever the preferences say; they never go by SMS or push.
pub fn allows(channel: Channel, category: Category, mandatory: bool, stored: Option<bool>) -> bool {
    if mandatory {
        return matches!(channel, Channel::Email | Channel::InApp);
    }
    stored.unwrap_or_else(|| default_enabled(channel, category))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        assert!(allows(Channel::Email, Category::Transactional, false, None));
        assert!(!allows(Channel::Sms, Category::Transactional, false, None));
        assert!(!allows(Channel::Email, Category::Marketing, false, None));
        assert!(allows(
            Channel::Email,
            Category::Marketing,
            false,
            Some(true)
        ));
        assert!(!allows(
            Channel::Email,
            Category::Transactional,
            false,
            Some(false)
        ));
    }

    #[test]
    fn mandatory_ignores_preferences_but_not_channels() {
        assert!(allows(
            Channel::Email,
            Category::Transactional,
            true,
            Some(false)
        ));
        assert!(allows(
            Channel::InApp,
            Category::Transactional,
            true,
            Some(false)
        ));
        assert!(!allows(
            Channel::Sms,
            Category::Transactional,
            true,
            Some(true)
        ));
        assert!(!allows(Channel::Push, Category::Transactional, true, None));
    }
}
