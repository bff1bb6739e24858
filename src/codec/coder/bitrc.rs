//! A binary arithmetic coder for the context-mixing exact coder: 32-bit interval,
//! 12-bit probabilities, bytes out as soon as the interval's top byte is settled
//! (no carries). Kept apart from the models, which only hand it P(bit = 1).

/// Encoder side.
pub struct BitEnc {
    x1: u32,
    x2: u32,
    out: Vec<u8>,
}

impl BitEnc {
    /// A fresh encoder writing into `out` (appended to).
    pub fn new(out: Vec<u8>) -> Self {
        BitEnc {
            x1: 0,
            x2: u32::MAX,
            out,
        }
    }

    /// Codes `bit` with P(1) = p / 4096, 1 <= p <= 4095.
    #[inline]
    pub fn code(&mut self, bit: u32, p: u32) {
        let xmid = self.x1 + ((self.x2 - self.x1) >> 12) * p;
        if bit == 1 {
            self.x2 = xmid;
        } else {
            self.x1 = xmid + 1;
        }
        while (self.x1 ^ self.x2) & 0xff00_0000 == 0 {
            self.out.push((self.x2 >> 24) as u8);
            self.x1 <<= 8;
            self.x2 = (self.x2 << 8) | 255;
        }
    }

    /// The coded bytes; the decoder reads missing bytes as zeros, so trailing zero
    /// bytes are dropped.
    pub fn finish(mut self) -> Vec<u8> {
        // One byte suffices: the top bytes of x1 and x2 differ, so the next value
        // above x1's top byte, padded with zeros, lies in [x1, x2].
        let top = self.x1 >> 24;
        if self.x1 & 0x00ff_ffff == 0 {
            self.out.push(top as u8);
        } else {
            self.out.push((top + 1) as u8);
        }
        while self.out.last() == Some(&0) {
            self.out.pop();
        }
        self.out
    }
}

/// Decoder side, mirroring [`BitEnc`].
pub struct BitDec<'a> {
    x1: u32,
    x2: u32,
    x: u32,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BitDec<'a> {
    /// A decoder over coded bytes (missing bytes read as zeros).
    pub fn new(bytes: &'a [u8]) -> Self {
        let mut d = BitDec {
            x1: 0,
            x2: u32::MAX,
            x: 0,
            bytes,
            pos: 0,
        };
        for _ in 0..4 {
            d.x = (d.x << 8) | d.next() as u32;
        }
        d
    }

    #[inline]
    fn next(&mut self) -> u8 {
        let b = self.bytes.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// Decodes a bit coded with P(1) = p / 4096.
    #[inline]
    pub fn decode(&mut self, p: u32) -> u32 {
        let xmid = self.x1 + ((self.x2 - self.x1) >> 12) * p;
        let bit = if self.x <= xmid {
            self.x2 = xmid;
            1
        } else {
            self.x1 = xmid + 1;
            0
        };
        while (self.x1 ^ self.x2) & 0xff00_0000 == 0 {
            self.x1 <<= 8;
            self.x2 = (self.x2 << 8) | 255;
            self.x = (self.x << 8) | self.next() as u32;
        }
        bit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_at_every_probability() {
        let mut bits = Vec::new();
        let mut probs = Vec::new();
        let mut s: u32 = 12345;
        for _ in 0..20000 {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let p = 1 + (s >> 8) % 4095;
            let bit = u32::from((s >> 3) % 4096 < p);
            bits.push(bit);
            probs.push(p);
        }
        let mut e = BitEnc::new(Vec::new());
        for (&b, &p) in bits.iter().zip(&probs) {
            e.code(b, p);
        }
        let out = e.finish();
        let mut d = BitDec::new(&out);
        for (&b, &p) in bits.iter().zip(&probs) {
            assert_eq!(d.decode(p), b);
        }
    }
}
