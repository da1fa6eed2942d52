/// Crockford's base32: no I, L, O or U, so a number read over the phone is unambiguous.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The customer-facing number of order `id`: `XXXX-XXXX-XXXX`, 60 random bits of its UUIDv7.
/// Derived rather than counted, so no per-tenant counter row serializes checkouts and nothing
/// hints at how many orders a marketplace takes.
pub fn order_number(id: uuid::Uuid) -> String {
    let mut bits = id.as_u128() & ((1u128 << 60) - 1);
    let mut chars = [0u8; 12];
    for c in chars.iter_mut().rev() {
        *c = ALPHABET[(bits & 31) as usize];
        bits >>= 5;
    }
    let s = std::str::from_utf8(&chars).unwrap_or_default();
    format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_three_groups_of_crockford_base32() {
        let n = order_number(uuid::Uuid::from_u128(
            0x0123_4567_89ab_cdef_0123_4567_89ab_cdef,
        ));
        assert_eq!(n.len(), 14);
        assert!(n.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        assert_ne!(
            order_number(uuid::Uuid::now_v7()),
            order_number(uuid::Uuid::now_v7())
        );
        assert_eq!(order_number(uuid::Uuid::from_u128(0)), "0000-0000-0000");
        assert_eq!(order_number(uuid::Uuid::from_u128(31)), "0000-0000-000Z");
    }
}
