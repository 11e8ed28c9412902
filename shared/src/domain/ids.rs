//! Identifier newtypes, parsed once at the edge: SIRET, branch code, procedure code, e-mail,
//! SHA-256 digest.

use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

macro_rules! string_newtype {
    ($name:ident, $parse:expr, $what:literal) => {
        impl $name {
            /// # Errors
            /// When the value is not valid.
            pub fn parse(s: &str) -> Result<Self, String> {
                #[allow(clippy::redundant_closure_call)]
                if ($parse)(s) { Ok(Self(s.to_owned())) } else { Err(format!("{:?} is not a valid {}", s, $what)) }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(D::Error::custom)
            }
        }
    };
}

/// A SIRET: 14 digits passing the Luhn check (La Poste's establishments, SIREN 356000000,
/// follow their own rule: the digit sum is a multiple of 5).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siret(String);

fn is_siret(s: &str) -> bool {
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
    if s.starts_with("356000000") && s != "35600000000048" {
        return digits.iter().sum::<u32>().is_multiple_of(5);
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
string_newtype!(Siret, is_siret, "SIRET");

/// A branch code ("code guichet"): 1 to 10 ASCII letters or digits, in practice the INSEE
/// commune code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BranchCode(String);
string_newtype!(
    BranchCode,
    |s: &str| !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_alphanumeric()),
    "branch code"
);

/// A procedure ("démarche") code: 1 to 30 ASCII letters, digits, `_` or `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessCode(String);
string_newtype!(
    ProcessCode,
    |s: &str| !s.is_empty() && s.len() <= 30 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
    "process code"
);

/// An e-mail address, kept lower-case: a simple shape check (one `@`, a dotted domain), the
/// real check being delivery.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// When the value does not look like an address.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let ok = s.len() <= 320
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if ok { Ok(Self(s.to_lowercase())) } else { Err(format!("{s:?} is not a valid e-mail address")) }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}
impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// A SHA-256 digest; written as the contract's `digest` header writes it (base64, no prefix).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// # Errors
    /// When the text is not the base64 of 32 bytes.
    pub fn from_base64(s: &str) -> Result<Self, String> {
        let bytes = STANDARD.decode(s.trim()).map_err(|_| format!("{s:?} is not base64"))?;
        let arr: [u8; 32] = bytes.try_into().map_err(|_| format!("{s:?} is not the base64 of a SHA-256 digest"))?;
        Ok(Self(arr))
    }
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}
impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_base64())
    }
}
impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_base64())
    }
}
impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::from_base64(&String::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sirets_are_checked_with_luhn() {
        assert!(Siret::parse("11001401600015").is_ok());
        assert!(Siret::parse("11000000000007").is_ok());
        assert!(Siret::parse("73282932000074").is_ok());
        assert!(Siret::parse("73282932000075").is_err());
        assert!(Siret::parse("7328293200007").is_err());
        assert!(Siret::parse("7328293200007a").is_err());
        // La Poste: digit sum multiple of 5.
        assert!(Siret::parse("35600000000048").is_ok());
        assert!(Siret::parse("35600000049837").is_ok());
    }

    #[test]
    fn emails_are_lower_cased_and_shape_checked() {
        assert_eq!(Email::parse(" Alice@Mairie-A.example ").unwrap().as_str(), "alice@mairie-a.example");
        for bad in ["alice", "alice@", "@x.fr", "a@b", "a b@c.fr", "a@.fr", "a@b@c.fr"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn digests_round_trip_through_base64() {
        let d = Sha256Digest([7; 32]);
        assert_eq!(Sha256Digest::from_base64(&d.to_base64()).unwrap(), d);
        assert!(Sha256Digest::from_base64("abc").is_err());
        assert!(Sha256Digest::from_base64("AAAA").is_err());
    }
}
