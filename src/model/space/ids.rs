//! Ids of list entries: 32 lowercase hex characters, unique across the whole file.
//!
//! The research found two uniqueness rules in use (one namespace for sample questions, examples
//! and text instructions; or two pools, questions and instructions). We apply the strictest one
//! that no real export breaks: **every id in the file is unique**, whatever list it is in. Server
//! ids are time-ordered UUIDs, so a live export always satisfies it, and a collision between lists
//! is almost always a copy-paste mistake.

use sha2::{Digest, Sha256};

/// Whether `id` is 32 lowercase hex characters, as the API requires.
pub fn is_valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A deterministic id for a new list entry: the first 32 hex characters of SHA-256(`seed`).
/// Use a seed that names what the entry is (`"join:bookings.property_id=properties.id"`), so the
/// same patch always adds the same id.
pub fn new_id(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// An id to suggest in place of an invalid one: the lowercased id when that is valid, otherwise
/// one derived from it.
pub fn suggested_id(invalid: &str) -> String {
    let lower = invalid.to_ascii_lowercase();
    if is_valid_id(&lower) {
        lower
    } else {
        new_id(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_be_32_lowercase_hex() {
        assert!(is_valid_id("01f0e4ce153d10029169af35dcd82266"));
        assert!(!is_valid_id("01F0E4CE153D10029169AF35DCD82266"));
        assert!(!is_valid_id("01f0d0b4e815100000000000000000g1"));
        assert!(!is_valid_id("sq-001"));
        assert!(!is_valid_id(""));
    }

    #[test]
    fn new_ids_are_valid_and_stable_per_seed() {
        let id = new_id("join:a=b");
        assert!(is_valid_id(&id));
        assert_eq!(id, new_id("join:a=b"));
        assert_ne!(id, new_id("join:a=c"));
    }

    #[test]
    fn an_uppercase_id_is_fixed_by_lowercasing_it() {
        assert_eq!(
            suggested_id("01F0E4CE153D10029169AF35DCD82266"),
            "01f0e4ce153d10029169af35dcd82266"
        );
        assert!(is_valid_id(&suggested_id("sq-001")));
    }
}
