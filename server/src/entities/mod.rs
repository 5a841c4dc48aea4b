//! sea-orm entities: one module per table. Only the domain services use them.
pub mod account;
pub mod account_link;
pub mod application;
pub mod audit_event;
pub mod outbox_attachment;
pub mod outbox_message;
pub mod session;
