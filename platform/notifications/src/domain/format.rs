//! Money and dates as a reader of each locale expects them. Amounts are integer minor units
//! everywhere else; only here do they become text.

use kernel::i18n::Locale;
use time::OffsetDateTime;

/// Minor units per major unit of `currency` (ISO 4217 exponent).
fn exponent(currency: &str) -> u32 {
    match currency {
        "CLP" | "JPY" | "KRW" | "PYG" | "VND" | "ISK" | "UGX" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

fn symbol(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "PEN" => "S/",
        "USD" => "US$",
        "EUR" => "€",
        "MXN" => "MX$",
        "COP" => "COL$",
        "CLP" => "CLP$",
        "ARS" => "AR$",
        "BRL" => "R$",
        "GBP" => "£",
        _ => return None,
    })
}

/// `S/ 1,234.50` in English, `S/ 1.234,50` in Spanish; unknown currencies by their code.
pub fn money(minor: i64, currency: &str, locale: Locale) -> String {
    let exp = exponent(currency);
    let unit = 10u64.pow(exp);
    let abs = minor.unsigned_abs();
    let (major, fraction) = (abs / unit, abs % unit);
    let (group, decimal) = match locale {
        Locale::En => (',', '.'),
        Locale::Es => ('.', ','),
    };
    let digits = major.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let mut number = grouped;
    if exp > 0 {
        number.push(decimal);
        number.push_str(&format!("{fraction:0width$}", width = exp as usize));
    }
    let sign = if minor < 0 { "-" } else { "" };
    match symbol(currency) {
        Some(sym) => format!("{sign}{sym} {number}"),
        None => format!("{sign}{number} {currency}"),
    }
}

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `26 de noviembre de 2026` / `November 26, 2026` (the date in UTC).
pub fn date(at: OffsetDateTime, locale: Locale) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let m = usize::from(u8::from(at.month())) - 1;
    match locale {
        Locale::Es => format!("{} de {} de {}", at.day(), MONTHS_ES[m], at.year()),
        Locale::En => format!("{} {}, {}", MONTHS_EN[m], at.day(), at.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn money_by_locale() {
        assert_eq!(money(123_450, "PEN", Locale::En), "S/ 1,234.50");
        assert_eq!(money(123_450, "PEN", Locale::Es), "S/ 1.234,50");
        assert_eq!(money(5, "USD", Locale::En), "US$ 0.05");
        assert_eq!(money(1_000_000, "CLP", Locale::Es), "CLP$ 1.000.000");
        assert_eq!(money(-250, "XYZ", Locale::En), "-2.50 XYZ");
        assert_eq!(money(999, "EUR", Locale::Es), "€ 9,99");
    }

    #[test]
    fn dates_by_locale() {
        let at = datetime!(2026-11-26 23:30 -5);
        assert_eq!(date(at, Locale::Es), "27 de noviembre de 2026");
        assert_eq!(date(at, Locale::En), "November 27, 2026");
    }
}
