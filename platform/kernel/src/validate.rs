//! Small checks that collect every field error of a request before answering once.

use crate::error::{ApiError, FieldError};

#[derive(Default)]
pub struct Validator(Vec<FieldError>);

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Length in characters, inclusive bounds. Empty strings count as missing when `min > 0`.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) -> &mut Self {
        let n = value.trim().chars().count();
        if min > 0 && n == 0 {
            self.0.push(FieldError::new(field, "required"));
        } else if n < min {
            self.0
                .push(FieldError::new(field, "too_short").with("min", min));
        } else if value.chars().count() > max {
            self.0
                .push(FieldError::new(field, "too_long").with("max", max));
        }
        self
    }

    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> &mut Self {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.0
                .push(FieldError::new(field, "too_long").with("max", max));
        }
        self
    }

    /// Records `code` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, code: &'static str) -> &mut Self {
        if !ok {
            self.0.push(FieldError::new(field, code));
        }
        self
    }

    /// Keeps the value of a domain parse, or records its error and gives `None`; `finish` then
    /// answers with every error of the request at once.
    pub fn parse<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        parsed.map_err(|e| self.0.push(e)).ok()
    }

    pub fn push(&mut self, e: FieldError) -> &mut Self {
        self.0.push(e);
        self
    }

    pub fn finish(&mut self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(std::mem::take(&mut self.0)))
        }
    }
}

/// A plausible email: one `@`, a dot in the domain, no spaces, at most 254 characters.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_all_errors() {
        let err = Validator::new()
            .text("name", "", 1, 10)
            .text("bio", &"x".repeat(11), 0, 10)
            .finish()
            .unwrap_err();
        match err {
            ApiError::Validation(f) => assert_eq!(f.len(), 2),
            _ => panic!(),
        }
    }

    #[test]
    fn emails() {
        assert!(is_email("ana@gamarra.pe"));
        assert!(!is_email("ana@gamarra"));
        assert!(!is_email("ana gamarra@x.pe"));
        assert!(!is_email("@x.pe"));
    }
}
