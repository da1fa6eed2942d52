use kernel::error::FieldError;

/// An ISO 4217 currency code in active use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Currency(String);

const ACTIVE: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN \
BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD \
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR \
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP \
PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP \
TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

impl Currency {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let v = raw.trim();
        if v.is_empty() {
            return Err(FieldError::new(field, "required"));
        }
        if v.len() == 3 && ACTIVE.split(' ').any(|c| c == v) {
            Ok(Self(v.to_string()))
        } else {
            Err(FieldError::new(field, "currency_unknown"))
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
        assert!(Currency::parse("c", "PEN").is_ok());
        assert!(Currency::parse("c", "USD").is_ok());
        for bad in ["pen", "XXX", "PE", "ABC"] {
            assert_eq!(
                Currency::parse("c", bad).unwrap_err().code,
                "currency_unknown"
            );
        }
    }
}
