//! The portal end to end over HTTP, one module per area, in one test binary:
//! every test binary links the whole portal (about 420 MB each in a debug
//! build), so 19 of them cost 8 GB of disk and 19 links per build. Tests
//! that must have a process to themselves keep their own binary beside this
//! one: `faults` and `fuzz` (timing and load), `security` and
//! `sign_in_flood` (floods that share per-process pools), `production`
//! (captures the process's logs). Run one area with
//! `cargo test -p portal-tests --test api fhir::`.
mod access;
mod accounts;
mod apps;
mod architecture;
mod calendar;
mod campaigns;
mod clock;
mod concurrency;
mod demos;
mod fhir;
mod fhir_resources;
mod identity;
mod incidents;
mod metrics;
mod oauth;
mod outbox;
mod policy_changes;
mod retention;
mod review;
mod sdk;
mod second_factor;
