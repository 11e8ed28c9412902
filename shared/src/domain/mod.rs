//! Pure types and rules: identifiers, organisations, procedures, folders, cases, attachments,
//! notifications, subscriptions, accounts, portal sign-in, retention. No I/O here.

/// A contract enum: its variants with the exact text the contract gives each (the serde name,
/// the only spelling accepted), `ALL` in declaration order, `as_str`, `parse` and `Display`.
macro_rules! contract_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant),+
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod audit;
mod credentials;
mod disposition;
mod folder;
mod ids;
mod journal;
mod mail;
mod proconnect;
mod referential;
mod retention;
mod sign_in;
mod statistics;
mod time;
mod transitions;

pub use audit::*;
pub use credentials::*;
pub use disposition::*;
pub use folder::*;
pub use ids::*;
pub use journal::*;
pub use mail::*;
pub use proconnect::*;
pub use referential::*;
pub use retention::*;
pub use sign_in::*;
pub use statistics::*;
pub use time::*;
pub use transitions::*;
