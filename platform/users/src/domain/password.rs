use kernel::error::FieldError;

/// A new password: 10 to 128 characters. The upper bound keeps argon2 work per request bounded.
/// Debug never prints the value.
#[derive(Clone)]
pub struct Password(String);

pub const MIN: usize = 10;
pub const MAX: usize = 128;

impl Password {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n == 0 {
            Err(FieldError::new(field, "required"))
        } else if n < MIN {
            Err(FieldError::new(field, "too_short").with("min", MIN))
        } else if n > MAX {
            Err(FieldError::new(field, "too_long").with("max", MAX))
        } else {
            Ok(Self(raw.to_string()))
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(Password::parse("p", "short").unwrap_err().code, "too_short");
        assert_eq!(
            Password::parse("p", &"x".repeat(129)).unwrap_err().code,
            "too_long"
        );
        assert!(Password::parse("p", "long enough!").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("p", "long enough!").unwrap()),
            "Password(***)"
        );
    }
}
