//! The `t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` webhook signature that
//! Stripe uses (`Stripe-Signature`) and the sandbox imitates.

use std::time::Duration;

use aws_lc_rs::hmac;

fn signed_payload(t: i64, body: &[u8]) -> Vec<u8> {
    let mut data = format!("{t}.").into_bytes();
    data.extend_from_slice(body);
    data
}

/// The header value for `body` signed at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, &signed_payload(t, body));
    format!("t={t},v1={}", hex::encode(tag.as_ref()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed signature header")]
    Malformed,
    #[error("no v1 signature")]
    NoSignature,
    #[error("timestamp outside the tolerance")]
    OutsideTolerance,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a header against any of `secrets` (a rotation keeps two): its timestamp must be within
/// `tolerance` of `now` (unix seconds) and one of its `v1` values must match one secret, compared
/// in constant time. Other schemes (`v0`) are ignored, as Stripe documents.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &[&[u8]],
    tolerance: Duration,
    now: i64,
) -> Result<(), VerifyError> {
    let mut t = None;
    let mut sigs = Vec::new();
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or(VerifyError::Malformed)?;
        match k {
            "t" => t = Some(v.parse::<i64>().map_err(|_| VerifyError::Malformed)?),
            "v1" => sigs.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(VerifyError::Malformed)?;
    if sigs.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    if now.abs_diff(t) > tolerance.as_secs() {
        return Err(VerifyError::OutsideTolerance);
    }
    let payload = signed_payload(t, body);
    let matched = secrets.iter().any(|secret| {
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        sigs.iter()
            .any(|s| hex::decode(s).is_ok_and(|tag| hmac::verify(&key, &payload, &tag).is_ok()))
    });
    if matched {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOL: Duration = Duration::from_secs(300);

    #[test]
    fn round_trip_and_refusals() {
        let body = br#"{"id":"evt_1"}"#;
        let h = sign(b"whsec_a", 1_700_000_000, body);
        assert_eq!(verify(&h, body, &[b"whsec_a"], TOL, 1_700_000_100), Ok(()));
        // a rotation: either secret verifies
        assert_eq!(
            verify(&h, body, &[b"whsec_b", b"whsec_a"], TOL, 1_700_000_000),
            Ok(())
        );
        assert_eq!(
            verify(&h, body, &[b"whsec_b"], TOL, 1_700_000_000),
            Err(VerifyError::Mismatch)
        );
        let mut flipped = body.to_vec();
        flipped[3] ^= 1;
        assert_eq!(
            verify(&h, &flipped, &[b"whsec_a"], TOL, 1_700_000_000),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&h, body, &[b"whsec_a"], TOL, 1_700_000_301),
            Err(VerifyError::OutsideTolerance)
        );
        assert_eq!(
            verify("t=1", body, &[b"whsec_a"], TOL, 1),
            Err(VerifyError::NoSignature)
        );
        assert_eq!(
            verify("garbage", body, &[b"whsec_a"], TOL, 1),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn any_of_several_v1_values_matches() {
        let body = b"{}";
        let good = sign(b"s", 10, body);
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t=10,v1={},v1={v1},v0=abc", "00".repeat(32));
        assert_eq!(verify(&header, body, &[b"s"], TOL, 10), Ok(()));
    }
}
