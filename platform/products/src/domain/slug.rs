use kernel::error::FieldError;

/// A URL slug: 1–`max` of `a-z`, `0-9` and single `-`, not starting or ending with `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, raw: &str, max: usize) -> Result<Slug, FieldError> {
        let ok = (1..=max).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if raw.is_empty() {
            Err(FieldError::new(field, "required"))
        } else if ok {
            Ok(Slug(raw.to_string()))
        } else {
            Err(FieldError::new(field, "slug_invalid").with("max", max))
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A slug made from a title: accents dropped (`Polo Algodón Niño` → `polo-algodon-nino`),
/// anything else that is not a letter or digit becomes a single `-`, cut at `max` bytes.
pub fn slugify(title: &str, max: usize) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'õ' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= max {
            break;
        }
    }
    let out = out.trim_end_matches('-');
    if out.is_empty() {
        "item".into()
    } else {
        out.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Polo Algodón Niño", 160), "polo-algodon-nino");
        assert_eq!(slugify("  ¡Oferta!  50% ", 160), "oferta-50");
        assert_eq!(slugify("***", 160), "item");
        assert_eq!(slugify("abcdef", 3), "abc");
        assert!(Slug::parse("s", "polo-azul", 60).is_ok());
        for bad in ["Polo", "-a", "a-", "a--b", "a b", "ñ"] {
            assert_eq!(
                Slug::parse("s", bad, 60).unwrap_err().code,
                "slug_invalid",
                "{bad}"
            );
        }
        assert_eq!(Slug::parse("s", "", 60).unwrap_err().code, "required");
    }
}
