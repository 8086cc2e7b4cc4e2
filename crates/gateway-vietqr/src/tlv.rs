//! EMVCo TLV ("data object") reading and writing.
//!
//! A data object is a 2-digit id (`"00"`..=`"99"`), a 2-digit length (`"00"`..=`"99"`) and then
//! exactly that many bytes of value. Templates (tags `38`, `62`, ...) hold further data objects in
//! their value. Lengths count **bytes** of the UTF-8 encoding (the project's VietQR reference), so
//! a value can hold at most 99 bytes.
//!
//! Reading never slices on an unchecked offset: every cut is made with `str::get`/`<[u8]>::get`,
//! and a declared length that ends inside a multi-byte UTF-8 character is an error, not a panic.
//!
//! ```
//! use gateway_vietqr::tlv::{self, Reader};
//!
//! let mut out = String::new();
//! tlv::write(&mut out, 0, "01").unwrap();
//! tlv::write(&mut out, 58, "VN").unwrap();
//! assert_eq!(out, "0002015802VN");
//!
//! let fields: Vec<_> = Reader::new(&out).collect::<Result<_, _>>().unwrap();
//! assert_eq!((fields[1].id, fields[1].value, fields[1].offset), (58, "VN", 6));
//! ```

/// The largest value a data object can hold, in bytes (its length field has two digits).
pub const MAX_VALUE_LEN: usize = 99;

/// The largest data-object id.
pub const MAX_ID: u8 = 99;

/// Bytes taken by a data object's id and length fields.
pub const HEADER_LEN: usize = 4;

/// A TLV string could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// Fewer than the 4 bytes of an id and a length were left where a data object should start.
    #[error("data object at byte {offset} is cut short: {available} byte(s) left, 4 needed for its id and length")]
    TruncatedHeader {
        /// Byte offset (in the whole payload) where the data object starts.
        offset: usize,
        /// Bytes left from `offset` to the end of the enclosing value.
        available: usize,
    },
    /// The id is not two ASCII digits.
    #[error("data object at byte {offset}: id {found:?} is not two ASCII digits")]
    NonDigitId {
        /// Byte offset (in the whole payload) where the data object starts.
        offset: usize,
        /// The two bytes found (lossily decoded for display).
        found: String,
    },
    /// The length is not two ASCII digits.
    #[error("data object {id:02} at byte {offset}: length {found:?} is not two ASCII digits")]
    NonDigitLength {
        /// Byte offset (in the whole payload) where the data object starts.
        offset: usize,
        /// The data object's id.
        id: u8,
        /// The two bytes found (lossily decoded for display).
        found: String,
    },
    /// The declared length runs past the end of the string (or of the enclosing template).
    #[error("data object {id:02} at byte {offset} declares {length} byte(s) of value but only {available} remain")]
    LengthPastEnd {
        /// Byte offset (in the whole payload) where the data object starts.
        offset: usize,
        /// The data object's id.
        id: u8,
        /// The declared value length, in bytes.
        length: usize,
        /// Bytes actually left after the header.
        available: usize,
    },
    /// The declared length ends inside a multi-byte UTF-8 character (lengths count bytes).
    #[error("data object {id:02} at byte {offset}: its {length}-byte value ends inside a multi-byte UTF-8 character")]
    SplitsCharacter {
        /// Byte offset (in the whole payload) where the data object starts.
        offset: usize,
        /// The data object's id.
        id: u8,
        /// The declared value length, in bytes.
        length: usize,
    },
    /// Writing: the id is above 99.
    #[error("data object id {id} is above 99")]
    IdOutOfRange {
        /// The rejected id.
        id: u8,
    },
    /// Writing: the value is longer than 99 bytes.
    #[error("data object {id:02}: value is {length} bytes, at most 99 fit")]
    ValueTooLong {
        /// The data object's id.
        id: u8,
        /// The value's length in bytes.
        length: usize,
    },
}

/// One data object read from a TLV string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The id, `0..=99`.
    pub id: u8,
    /// The value: exactly the declared number of bytes, on UTF-8 character boundaries.
    pub value: &'a str,
    /// Byte offset of the data object's first id digit in the whole payload (not just in the
    /// enclosing template), for error messages.
    pub offset: usize,
}

impl<'a> Field<'a> {
    /// Byte offset of the value's first byte in the whole payload (`offset + 4`).
    pub fn value_offset(&self) -> usize {
        self.offset + HEADER_LEN
    }

    /// A reader over the data objects nested in this one's value (for templates such as `38` or
    /// `62`), reporting offsets in the whole payload.
    pub fn nested(&self) -> Reader<'a> {
        Reader::with_base(self.value, self.value_offset())
    }
}

/// Reads consecutive data objects from a string: an iterator of `Result<Field, TlvError>` that
/// stops after the first error.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a str,
    pos: usize,
    base: usize,
    failed: bool,
}

impl<'a> Reader<'a> {
    /// Reads `input` from its start; offsets are counted from the start of `input`.
    pub fn new(input: &'a str) -> Self {
        Self::with_base(input, 0)
    }

    /// Reads `input`, which begins at byte `base` of a larger payload; reported offsets are
    /// `base + position in input`.
    pub fn with_base(input: &'a str, base: usize) -> Self {
        Reader {
            input,
            pos: 0,
            base,
            failed: false,
        }
    }

    fn read_one(&mut self) -> Result<Field<'a>, TlvError> {
        let bytes = self.input.as_bytes();
        let start = self.pos;
        let offset = self.base + start;
        let available = bytes.len().saturating_sub(start);
        let header = bytes
            .get(start..start + HEADER_LEN)
            .ok_or(TlvError::TruncatedHeader { offset, available })?;
        let id = two_digits(&header[..2]).ok_or_else(|| TlvError::NonDigitId {
            offset,
            found: lossy(&header[..2]),
        })?;
        let length = two_digits(&header[2..]).ok_or_else(|| TlvError::NonDigitLength {
            offset,
            id,
            found: lossy(&header[2..]),
        })?;
        let length = usize::from(length);
        let value_start = start + HEADER_LEN;
        let value_end = value_start + length;
        if value_end > bytes.len() {
            let available = bytes.len() - value_start;
            return Err(TlvError::LengthPastEnd {
                offset,
                id,
                length,
                available,
            });
        }
        // The header is four ASCII bytes, so `value_start` is a character boundary; `get` returns
        // `None` exactly when `value_end` is not.
        let value = self
            .input
            .get(value_start..value_end)
            .ok_or(TlvError::SplitsCharacter { offset, id, length })?;
        self.pos = value_end;
        Ok(Field { id, value, offset })
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Field<'a>, TlvError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.input.len() {
            return None;
        }
        let item = self.read_one();
        self.failed = item.is_err();
        Some(item)
    }
}

impl std::iter::FusedIterator for Reader<'_> {}

/// Reads every data object of `input` (offsets counted from its start).
pub fn read_all(input: &str) -> Result<Vec<Field<'_>>, TlvError> {
    Reader::new(input).collect()
}

/// Appends the data object `id`/`value` to `out`: two id digits, two length digits (the value's
/// length in bytes), then the value.
///
/// Fails when `id > 99` or `value` is longer than 99 bytes; `out` is unchanged then.
pub fn write(out: &mut String, id: u8, value: &str) -> Result<(), TlvError> {
    if id > MAX_ID {
        return Err(TlvError::IdOutOfRange { id });
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(TlvError::ValueTooLong {
            id,
            length: value.len(),
        });
    }
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "{id:02}{:02}{value}", value.len());
    Ok(())
}

/// The data object `id`/`value` as a new string (see [`write()`]).
pub fn field(id: u8, value: &str) -> Result<String, TlvError> {
    let mut out = String::with_capacity(HEADER_LEN + value.len());
    write(&mut out, id, value)?;
    Ok(out)
}

fn two_digits(bytes: &[u8]) -> Option<u8> {
    match bytes {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back() {
        let mut out = String::new();
        write(&mut out, 1, "12").unwrap();
        write(&mut out, 62, "").unwrap();
        write(&mut out, 8, "abc").unwrap();
        assert_eq!(out, "01021262000803abc");
        let fields = read_all(&out).unwrap();
        assert_eq!(
            fields,
            vec![
                Field {
                    id: 1,
                    value: "12",
                    offset: 0
                },
                Field {
                    id: 62,
                    value: "",
                    offset: 6
                },
                Field {
                    id: 8,
                    value: "abc",
                    offset: 10
                },
            ]
        );
    }

    #[test]
    fn writer_limits() {
        assert_eq!(field(100, "x"), Err(TlvError::IdOutOfRange { id: 100 }));
        assert_eq!(
            field(8, &"x".repeat(100)),
            Err(TlvError::ValueTooLong { id: 8, length: 100 })
        );
        assert_eq!(field(8, &"x".repeat(99)).unwrap().len(), 103);
        // Lengths are bytes: "đ" is two.
        assert_eq!(field(8, "đ").unwrap(), "0802đ");
    }

    #[test]
    fn nested_offsets_are_absolute() {
        let s = "38080002ab01";
        let outer = read_all(s).unwrap();
        assert_eq!(
            outer,
            vec![Field {
                id: 38,
                value: "0002ab01",
                offset: 0
            }]
        );
        let mut inner = outer[0].nested();
        assert_eq!(
            inner.next(),
            Some(Ok(Field {
                id: 0,
                value: "ab",
                offset: 4
            }))
        );
        assert_eq!(
            inner.next(),
            Some(Err(TlvError::TruncatedHeader {
                offset: 10,
                available: 2
            }))
        );
        assert_eq!(inner.next(), None);
    }

    #[test]
    fn errors() {
        assert_eq!(
            read_all("0"),
            Err(TlvError::TruncatedHeader {
                offset: 0,
                available: 1
            })
        );
        assert_eq!(
            read_all("a102xx"),
            Err(TlvError::NonDigitId {
                offset: 0,
                found: "a1".into()
            })
        );
        assert_eq!(
            read_all("01x2xx"),
            Err(TlvError::NonDigitLength {
                offset: 0,
                id: 1,
                found: "x2".into()
            })
        );
        assert_eq!(
            read_all("0105abc"),
            Err(TlvError::LengthPastEnd {
                offset: 0,
                id: 1,
                length: 5,
                available: 3
            })
        );
        // "đ" is 0xC4 0x91: a length of 1 would cut it in half.
        assert_eq!(
            read_all("0801đ"),
            Err(TlvError::SplitsCharacter {
                offset: 0,
                id: 8,
                length: 1
            })
        );
        // A header that straddles a multi-byte character is not two digits, and does not panic.
        assert!(matches!(read_all("0đ01"), Err(TlvError::NonDigitId { .. })));
        assert!(matches!(read_all("01đ1"), Err(TlvError::NonDigitLength { .. })));
    }

    #[test]
    fn stops_after_first_error() {
        let mut reader = Reader::new("01x2");
        assert!(reader.next().unwrap().is_err());
        assert!(reader.next().is_none());
    }
}
