//! The byte-level building blocks of the snapshot format: a [`Writer`] and a bounds-checked
//! [`Reader`] for little-endian scalars, length-prefixed arrays and tagged sections, and the
//! CRC-32 that guards the payload.
//!
//! Arrays are written as one `u64` element count followed by the raw little-endian elements, so
//! that a 40 MB weight matrix is one tight copy loop each way rather than a per-value encoder.
//! The reader checks every declared length against the bytes that are actually left *before*
//! allocating, so a corrupt count fails with [`SnapshotError::Truncated`] instead of asking the
//! allocator for terabytes.

use super::SnapshotError;

/// A fixed-size little-endian value that arrays are made of.
pub(super) trait Le: Copy {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Writes `self` into `dst`, which is exactly `SIZE` bytes long.
    fn put(self, dst: &mut [u8]);
    /// Reads a value from `src`, which is exactly `SIZE` bytes long.
    fn get(src: &[u8]) -> Self;
}

/// The same three lines for every primitive: `to_le_bytes` / `from_le_bytes` with the right size.
macro_rules! impl_le {
    ($($t:ty),*) => {$(
        impl Le for $t {
            const SIZE: usize = size_of::<$t>();
            fn put(self, dst: &mut [u8]) {
                dst.copy_from_slice(&self.to_le_bytes());
            }
            fn get(src: &[u8]) -> Self {
                let mut raw = [0u8; size_of::<$t>()];
                raw.copy_from_slice(src);
                <$t>::from_le_bytes(raw)
            }
        }
    )*};
}

impl_le!(u8, u32, u64, i64, f32, f64);

/// Appends values to a growing byte buffer.
pub(super) struct Writer {
    pub(super) out: Vec<u8>,
}

impl Writer {
    pub(super) fn new(out: Vec<u8>) -> Self {
        Self { out }
    }

    pub(super) fn put<T: Le>(&mut self, value: T) {
        let start = self.out.len();
        self.out.resize(start + T::SIZE, 0);
        value.put(&mut self.out[start..]);
    }

    /// `usize` is written as `u64` so that a snapshot does not depend on the platform word size.
    pub(super) fn put_usize(&mut self, value: usize) {
        self.put(value as u64);
    }

    /// Element count, then the elements. Resizing once and filling fixed-size chunks lets the
    /// compiler turn the loop into a plain copy on little-endian machines.
    pub(super) fn array<T: Le>(&mut self, values: &[T]) {
        self.put_usize(values.len());
        let start = self.out.len();
        self.out.resize(start + values.len() * T::SIZE, 0);
        for (dst, &v) in self.out[start..].chunks_exact_mut(T::SIZE).zip(values) {
            v.put(dst);
        }
    }

    /// A `usize` array (CSR row pointers), as `u64` elements.
    pub(super) fn usize_array(&mut self, values: &[usize]) {
        self.put_usize(values.len());
        let start = self.out.len();
        self.out.resize(start + values.len() * 8, 0);
        for (dst, &v) in self.out[start..].chunks_exact_mut(8).zip(values) {
            (v as u64).put(dst);
        }
    }

    /// A UTF-8 string: byte length, then the bytes.
    pub(super) fn str(&mut self, s: &str) {
        self.array(s.as_bytes());
    }

    /// A tagged section: 4-byte tag, `u64` body length, body. The length is patched in after the
    /// body is written, so section writers need not know their size in advance.
    pub(super) fn section(&mut self, tag: [u8; 4], body: impl FnOnce(&mut Self)) {
        self.out.extend_from_slice(&tag);
        let len_at = self.out.len();
        self.put(0u64);
        body(self);
        let len = (self.out.len() - len_at - 8) as u64;
        len.put(&mut self.out[len_at..len_at + 8]);
    }
}

/// Reads values from a byte slice; every read checks the remaining length first.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Bytes not read yet.
    pub(super) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The next `n` bytes, or [`SnapshotError::Truncated`] if there are fewer.
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if n > self.rest.len() {
            return Err(SnapshotError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(super) fn get<T: Le>(&mut self) -> Result<T, SnapshotError> {
        Ok(T::get(self.take(T::SIZE)?))
    }

    /// A `u64` that must fit a `usize` (it always does on 64-bit targets).
    pub(super) fn get_usize(&mut self) -> Result<usize, SnapshotError> {
        let v: u64 = self.get()?;
        usize::try_from(v).map_err(|_| SnapshotError::inconsistent("a size does not fit in usize"))
    }

    /// The bytes of an array of `count` elements of `size` bytes each. Checking the byte count
    /// against what is left before anything is allocated is what keeps a corrupt count harmless.
    fn array_bytes(&mut self, size: usize) -> Result<(usize, &'a [u8]), SnapshotError> {
        let count = self.get_usize()?;
        let bytes = count
            .checked_mul(size)
            .ok_or(SnapshotError::Truncated)
            .and_then(|n| self.take(n))?;
        Ok((count, bytes))
    }

    pub(super) fn array<T: Le>(&mut self) -> Result<Vec<T>, SnapshotError> {
        let (_, bytes) = self.array_bytes(T::SIZE)?;
        Ok(bytes.chunks_exact(T::SIZE).map(T::get).collect())
    }

    pub(super) fn usize_array(&mut self) -> Result<Vec<usize>, SnapshotError> {
        let (_, bytes) = self.array_bytes(8)?;
        bytes
            .chunks_exact(8)
            .map(|c| {
                usize::try_from(u64::get(c))
                    .map_err(|_| SnapshotError::inconsistent("an offset does not fit in usize"))
            })
            .collect()
    }

    pub(super) fn str(&mut self) -> Result<&'a str, SnapshotError> {
        let (_, bytes) = self.array_bytes(1)?;
        std::str::from_utf8(bytes).map_err(|_| SnapshotError::inconsistent("a name is not UTF-8"))
    }

    /// Reads the section tagged `tag` with `body`, which must consume the section exactly: a
    /// section of the wrong kind, or with bytes left over, means writer and reader disagree.
    pub(super) fn section<T>(
        &mut self,
        tag: [u8; 4],
        body: impl FnOnce(&mut Reader<'a>) -> Result<T, SnapshotError>,
    ) -> Result<T, SnapshotError> {
        let found = self.take(4)?;
        if found != tag {
            return Err(SnapshotError::Inconsistent(format!(
                "expected section {:?}, found {:?}",
                String::from_utf8_lossy(&tag),
                String::from_utf8_lossy(found)
            )));
        }
        let len = self.get_usize()?;
        let mut inner = Reader::new(self.take(len)?);
        let value = body(&mut inner)?;
        if inner.remaining() != 0 {
            return Err(SnapshotError::Inconsistent(format!(
                "section {:?} has {} unread bytes",
                String::from_utf8_lossy(&tag),
                inner.remaining()
            )));
        }
        Ok(value)
    }
}

/// Lookup tables for CRC-32 "slicing by 8": table `k` gives the CRC contribution of a byte
/// followed by `k` zero bytes, so eight input bytes are folded in per step instead of one
/// (about 8× the byte-at-a-time speed, which matters for snapshots of hundreds of MB).
const CRC_TABLES: [[u32; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u32; 256]; 8] {
    // The reflected IEEE 802.3 polynomial, as used by zlib, PNG and gzip.
    const POLY: u32 = 0xEDB8_8320;
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 != 0 { POLY ^ (c >> 1) } else { c >> 1 };
            bit += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut k = 1;
        while k < 8 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            k += 1;
        }
        i += 1;
    }
    t
}

/// CRC-32 (IEEE, as in zlib's `crc32`). It detects every error burst up to 32 bits long, so
/// any single flipped byte is caught, which a plain sum or FNV hash does not guarantee.
pub(super) fn crc32(bytes: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut crc = !0u32;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        let hi = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
        crc = t[7][(lo & 0xFF) as usize]
            ^ t[6][((lo >> 8) & 0xFF) as usize]
            ^ t[5][((lo >> 16) & 0xFF) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xFF) as usize]
            ^ t[2][((hi >> 8) & 0xFF) as usize]
            ^ t[1][((hi >> 16) & 0xFF) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook one-byte-at-a-time CRC-32, to check the sliced version against.
    fn crc32_bitwise(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The check value every CRC-32/ISO-HDLC implementation publishes.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn sliced_crc32_equals_the_bitwise_one_at_every_length() {
        let bytes: Vec<u8> = (0..100u32).map(|i| (i * 37 + 11) as u8).collect();
        for n in 0..bytes.len() {
            assert_eq!(crc32(&bytes[..n]), crc32_bitwise(&bytes[..n]), "length {n}");
        }
    }

    #[test]
    fn arrays_and_sections_round_trip() {
        let mut w = Writer::new(Vec::new());
        w.section(*b"TEST", |w| {
            w.array(&[1.5f32, -0.0, f32::INFINITY]);
            w.usize_array(&[0, 3, 7]);
            w.str("ease");
            w.put(-5i64);
        });
        let mut r = Reader::new(&w.out);
        let (floats, ptr, name, last) = r
            .section(*b"TEST", |r| {
                Ok((
                    r.array::<f32>()?,
                    r.usize_array()?,
                    r.str()?,
                    r.get::<i64>()?,
                ))
            })
            .unwrap();
        assert_eq!(floats.len(), 3);
        assert_eq!(floats[1].to_bits(), (-0.0f32).to_bits(), "bits are kept");
        assert_eq!((ptr, name, last), (vec![0, 3, 7], "ease", -5));
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn a_huge_declared_count_is_truncation_not_an_allocation() {
        let mut w = Writer::new(Vec::new());
        w.put(u64::MAX / 2);
        w.put(1.0f32);
        assert_eq!(
            Reader::new(&w.out).array::<f32>(),
            Err(SnapshotError::Truncated)
        );
        assert_eq!(
            Reader::new(&w.out).array::<u8>(),
            Err(SnapshotError::Truncated)
        );
    }

    #[test]
    fn a_section_must_be_the_expected_one_and_read_exactly() {
        let mut w = Writer::new(Vec::new());
        w.section(*b"AAAA", |w| w.put(1u32));
        let other = Reader::new(&w.out).section(*b"BBBB", |r| r.get::<u32>());
        assert!(matches!(other, Err(SnapshotError::Inconsistent(_))));
        let short = Reader::new(&w.out).section(*b"AAAA", |r| r.get::<u8>());
        assert!(matches!(short, Err(SnapshotError::Inconsistent(_))));
        let long = Reader::new(&w.out).section(*b"AAAA", |r| r.get::<u64>());
        assert_eq!(long, Err(SnapshotError::Truncated));
    }
}
