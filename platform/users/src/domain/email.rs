use kernel::{error::FieldError, validate::is_email};

/// An email address, trimmed and lowercased. Lowercasing keeps rate-limit keys and lookups
/// consistent; the column is `citext` anyway, so case never made two accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let v = raw.trim().to_lowercase();
        if v.is_empty() {
            Err(FieldError::new(field, "required"))
        } else if v.chars().count() > 254 {
            Err(FieldError::new(field, "too_long").with("max", 254))
        } else if !is_email(&v) {
            Err(FieldError::new(field, "invalid"))
        } else {
            Ok(Self(v))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        assert_eq!(
            Email::parse("email", " Ana@Gamarra.PE ").unwrap().as_str(),
            "ana@gamarra.pe"
        );
        assert_eq!(Email::parse("email", "").unwrap_err().code, "required");
        assert_eq!(Email::parse("email", "nope").unwrap_err().code, "invalid");
        let long = format!("{}@x.pe", "a".repeat(260));
        assert_eq!(Email::parse("email", &long).unwrap_err().code, "too_long");
    }
}
