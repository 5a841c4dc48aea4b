//! The portal in headless Chromium, one module per journey, in one test
//! binary (see `api/main.rs` for why). Run one with
//! `cargo test -p portal-tests --test browser review::`.
mod access;
mod portal;
mod production;
mod review;
