use kernel::error::FieldError;

/// An ISO 3166-1 alpha-2 country code that is officially assigned (so `XX` or `ZZ` is refused).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country(String);

const ASSIGNED: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR \
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI \
FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS \
IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO \
MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT \
TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

impl Country {
    /// Accepts any case (`pe` → `PE`).
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let v = raw.trim().to_ascii_uppercase();
        if v.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        let ok = v.len() == 2
            && v.bytes().all(|b| b.is_ascii_uppercase())
            && ASSIGNED.split(' ').any(|c| c == v);
        if ok {
            Ok(Self(v))
        } else {
            Err(FieldError::new(field, "invalid"))
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
    fn codes() {
        assert_eq!(Country::parse("c", "pe").unwrap().as_str(), "PE");
        assert_eq!(ASSIGNED.split(' ').count(), 249);
        assert!(Country::parse("c", "XX").is_err());
        assert!(Country::parse("c", "PER").is_err());
        assert_eq!(Country::parse("c", "").unwrap_err().code, "required");
    }
}
