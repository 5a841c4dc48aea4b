//! The HTTP edge shared by every route: middleware (request ids, CSRF, body
//! limits, overload, panics), client addresses, rate limits and session
//! cookies. Below the features: their handlers use it, and the routes that
//! assemble them are in [`crate::routes`].
pub mod client_address;
pub mod csrf;
mod local_path;
pub mod metrics;
pub mod nul;
pub mod overload;
pub mod panics;
pub mod rate_limit;
pub mod request;
pub mod security_headers;
pub mod session_cookie;
pub mod shaped;

pub use local_path::LocalPath;
