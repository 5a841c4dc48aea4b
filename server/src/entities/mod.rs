//! sea-orm entities: one module per table. Only the domain services use them.
pub mod access_token;
pub mod account;
pub mod account_link;
pub mod application;
pub mod application_logo;
pub mod audit_event;
pub mod authorization_code;
pub mod authorization_request;
pub mod beneficiary;
pub mod beneficiary_session;
pub mod crosswalk;
pub mod data_access_grant;
pub mod identity_user;
pub mod outbox_attachment;
pub mod outbox_message;
pub mod refresh_token;
pub mod session;
