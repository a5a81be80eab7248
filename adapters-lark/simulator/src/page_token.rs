//! Opaque page tokens. Like Lark's they are standard base64 and always contain `+`, `/` and `=`,
//! so a client that does not percent-encode query parameters breaks (`+` arrives as a space) and
//! gets 40012 instead of silently re-reading a page.

/// Which listing a token belongs to; a token is only valid for the listing that issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    UsersByDepartment = 1,
    DepartmentChildren = 2,
    Scopes = 3,
    Groups = 4,
    GroupMembers = 5,
    Apps = 6,
    AppVisibilityUsers = 7,
}

/// Where the next page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) listing: Listing,
    /// Identifies the listed collection (e.g. the department index) so tokens cannot be mixed.
    pub(crate) key: u32,
    /// Listing-specific position (last user index returned, or an offset).
    pub(crate) position: u64,
}

/// 0xFB 0xFF 0xBF encodes to "+/+/": every token carries both characters.
const MAGIC: [u8; 3] = [0xFB, 0xFF, 0xBF];
/// 3 + 1 + 4 + 8 + 1 = 17 bytes, not a multiple of 3, so the encoding always ends with `=`.
const LEN: usize = 17;

pub(crate) fn encode(cursor: Cursor) -> String {
    let mut bytes = Vec::with_capacity(LEN);
    bytes.extend_from_slice(&MAGIC);
    bytes.push(cursor.listing as u8);
    bytes.extend_from_slice(&cursor.key.to_be_bytes());
    bytes.extend_from_slice(&cursor.position.to_be_bytes());
    bytes.push(checksum(&bytes));
    base64_encode(&bytes)
}

/// `None` for anything this simulator did not issue (including a token whose `+` became a space).
pub(crate) fn decode(token: &str) -> Option<Cursor> {
    let bytes = base64_decode(token)?;
    if bytes.len() != LEN || bytes[..3] != MAGIC || bytes[LEN - 1] != checksum(&bytes[..LEN - 1]) {
        return None;
    }
    let listing = match bytes[3] {
        1 => Listing::UsersByDepartment,
        2 => Listing::DepartmentChildren,
        3 => Listing::Scopes,
        4 => Listing::Groups,
        5 => Listing::GroupMembers,
        6 => Listing::Apps,
        7 => Listing::AppVisibilityUsers,
        _ => return None,
    };
    let key = u32::from_be_bytes(bytes[4..8].try_into().ok()?);
    let position = u64::from_be_bytes(bytes[8..16].try_into().ok()?);
    Some(Cursor {
        listing,
        key,
        position,
    })
}

fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0x5Au8, |acc, &b| acc.rotate_left(3) ^ b)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 0x3F) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let raw = text.as_bytes();
    if raw.is_empty() || !raw.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len() / 4 * 3);
    let last = raw.len() / 4 - 1;
    for (index, quad) in raw.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && index != last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            let v = ALPHABET.iter().position(|&a| a == c)?;
            n = (n << 6) | v as u32;
        }
        n <<= 6 * pad as u32;
        let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&decoded[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_special_characters() {
        for position in [0u64, 1, 49, 50, 99_999, u64::MAX] {
            let cursor = Cursor {
                listing: Listing::UsersByDepartment,
                key: 7,
                position,
            };
            let token = encode(cursor);
            assert!(
                token.contains('+') && token.contains('/') && token.ends_with('='),
                "{token}"
            );
            assert_eq!(decode(&token), Some(cursor));
        }
    }

    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(base64_encode(b"hello world"), "aGVsbG8gd29ybGQ=");
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert_eq!(base64_encode(b"abc"), "YWJj");
        assert_eq!(
            base64_decode("aGVsbG8gd29ybGQ=").as_deref(),
            Some(&b"hello world"[..])
        );
    }

    #[test]
    fn rejects_tampering_and_unencoded_plus() {
        let token = encode(Cursor {
            listing: Listing::Scopes,
            key: 0,
            position: 3,
        });
        assert_eq!(decode(&token.replace('+', " ")), None);
        assert_eq!(decode(""), None);
        assert_eq!(decode("AQD9/Rn9eij9Pm39ED40/RD="), None);
        let mut flipped = token.into_bytes();
        flipped[8] = if flipped[8] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        assert_eq!(decode(&flipped), None);
    }
}
