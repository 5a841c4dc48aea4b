//! Overload and slow clients (issue 19). Every request has a deadline, and
//! the requests in flight are capped overall and per client address, so
//! that neither a flood nor a handful of slow uploads from one place can
//! take every database connection and stall everyone else. What is refused
//! is refused at once, 503 with `Retry-After`, in the caller's shape
//! ([`super::shaped`]); `/healthz` is never refused, so that a busy
//! instance is not mistaken for a dead one.
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{client_address::ClientAddress, shaped::EdgeError};

/// Answers 503 when `next` has not answered within `limit`. The handler's
/// future is dropped: what it held (a connection, a transaction, which rolls
/// back) is released.
pub async fn deadline(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%path, seconds = limit.as_secs_f64(), "request ran out of time; answered 503");
            EdgeError::unavailable(
                "The request took too long and was stopped; nothing was saved. Please try again.",
            )
            .respond(&path)
        }
    }
}

/// How many requests may be in flight, overall and from one address.
pub struct InFlight {
    total: Arc<Semaphore>,
    per_address: Mutex<HashMap<IpAddr, u32>>,
    per_address_max: u32,
}

/// One request's place; gives it back when dropped.
struct Place {
    _total: OwnedSemaphorePermit,
    address: Option<IpAddr>,
    owner: Arc<InFlight>,
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(address) = self.address {
            let mut counts = self.owner.per_address.lock().expect("in-flight lock");
            if let Some(count) = counts.get_mut(&address) {
                *count -= 1;
                if *count == 0 {
                    // Entries exist only while requests are in flight, so the
                    // map never holds more than `total` addresses.
                    counts.remove(&address);
                }
            }
        }
    }
}

impl InFlight {
    pub fn new(total: usize, per_address: u32) -> Arc<Self> {
        Arc::new(Self {
            total: Arc::new(Semaphore::new(total.max(1))),
            per_address: Mutex::default(),
            per_address_max: per_address.max(1),
        })
    }

    fn enter(self: &Arc<Self>, address: Option<IpAddr>) -> Option<Place> {
        let total = self.total.clone().try_acquire_owned().ok()?;
        if let Some(address) = address {
            let mut counts = self.per_address.lock().expect("in-flight lock");
            let count = counts.entry(address).or_insert(0);
            if *count >= self.per_address_max {
                return None;
            }
            *count += 1;
        }
        Some(Place {
            _total: total,
            address,
            owner: self.clone(),
        })
    }
}

pub async fn limit(State(in_flight): State<Arc<InFlight>>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    let address = req.extensions().get::<ClientAddress>().map(|c| c.0);
    match in_flight.enter(address) {
        Some(place) => {
            let response = next.run(req).await;
            drop(place);
            response
        }
        None => {
            tracing::warn!(client = ?address, "too many requests in flight; answered 503");
            EdgeError::unavailable("The server is busy. Please try again in a moment.")
                .respond(req.uri().path())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_capped_overall_and_per_address_and_given_back() {
        let limits = InFlight::new(3, 2);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "203.0.113.2".parse().unwrap();
        let first = limits.enter(Some(a)).unwrap();
        let _second = limits.enter(Some(a)).unwrap();
        assert!(limits.enter(Some(a)).is_none(), "a third from one address");
        let other = limits.enter(Some(b)).unwrap();
        assert!(limits.enter(Some(b)).is_none(), "the total is reached");
        drop(first);
        assert!(
            limits.enter(Some(a)).is_some(),
            "a place given back is free again"
        );
        drop(other);
        assert_eq!(
            limits.per_address.lock().unwrap().get(&b),
            None,
            "no entry left behind"
        );
    }
}
