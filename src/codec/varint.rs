//! The one LEB128 varint of the `.sz` format, used by the container framing and by
//! every payload coder alike (docs/FORMAT.md, "Conventions").
//!
//! One strictness everywhere: at most 10 bytes, shortest form only (an overlong
//! encoding such as `80 00` is refused, so each number has exactly one encoding),
//! no overflow past 64 bits.

/// Longest varint: 10 bytes hold 64 bits.
pub const MAX_VARINT_BYTES: usize = 10;

/// Why a varint does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarintError {
    /// The input ends inside the number.
    Truncated,
    /// A longer encoding than needed (a last byte of 0 after other bytes).
    Overlong,
    /// More than 64 bits.
    Overflow,
}

impl VarintError {
    /// A short description, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            VarintError::Truncated => "truncated number",
            VarintError::Overlong => "overlong number",
            VarintError::Overflow => "number too large",
        }
    }
}

/// Appends `v` as an unsigned LEB128 varint (7 bits a byte, low group first).
pub fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Decodes the varint at the start of `b`: its value and the bytes it used.
pub fn get(b: &[u8]) -> Result<(u64, usize), VarintError> {
    let mut v = 0u64;
    for (i, &x) in b.iter().enumerate().take(MAX_VARINT_BYTES) {
        if i == MAX_VARINT_BYTES - 1 && x > 1 {
            return Err(VarintError::Overflow);
        }
        v |= u64::from(x & 0x7f) << (7 * i);
        if x & 0x80 == 0 {
            if i > 0 && x == 0 {
                return Err(VarintError::Overlong);
            }
            return Ok((v, i + 1));
        }
    }
    if b.len() >= MAX_VARINT_BYTES {
        Err(VarintError::Overflow)
    } else {
        Err(VarintError::Truncated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_overlong_overflowing_and_truncated_numbers() {
        assert_eq!(get(&[0x80, 0x00]), Err(VarintError::Overlong));
        assert_eq!(get(&[0xff, 0x80, 0x00]), Err(VarintError::Overlong));
        assert_eq!(get(&[0x80]), Err(VarintError::Truncated));
        assert_eq!(get(&[]), Err(VarintError::Truncated));
        let mut max = Vec::new();
        put(&mut max, u64::MAX);
        assert_eq!(max.len(), MAX_VARINT_BYTES);
        assert_eq!(get(&max), Ok((u64::MAX, 10)));
        let mut over = max.clone();
        over[9] = 2;
        assert_eq!(get(&over), Err(VarintError::Overflow));
        assert_eq!(get(&[0xff; 11]), Err(VarintError::Overflow));
        assert_eq!(get(&[0x00, 0x05]), Ok((0, 1)));
    }

    proptest! {
        #[test]
        fn round_trips_and_uses_the_shortest_form(v in any::<u64>(), tail in prop::collection::vec(any::<u8>(), 0..4)) {
            let mut b = Vec::new();
            put(&mut b, v);
            let n = b.len();
            prop_assert_eq!(n, (64 - v.leading_zeros() as usize).div_ceil(7).max(1));
            b.extend_from_slice(&tail);
            prop_assert_eq!(get(&b), Ok((v, n)));
        }

        #[test]
        fn every_decoded_number_re_encodes_to_the_same_bytes(b in prop::collection::vec(any::<u8>(), 0..12)) {
            if let Ok((v, n)) = get(&b) {
                let mut again = Vec::new();
                put(&mut again, v);
                prop_assert_eq!(&again[..], &b[..n]);
            }
        }
    }
}
