//! One module per area of the site; each page is a component routed in `lib.rs`.
mod access;
mod account;
mod admin;
mod application_parts;
mod apps;
mod auth;
mod campaigns;
mod demos;
mod medicare;
mod policy_changes;
mod production;
mod public;
mod review;
mod test_client;

pub use access::*;
pub use account::*;
pub use admin::*;
pub use apps::*;
pub use auth::*;
pub use campaigns::*;
pub use demos::ReviewSlotsPage;
pub use medicare::*;
pub use policy_changes::*;
pub use production::*;
pub use public::*;
pub use review::*;
pub use test_client::*;
