//! Assembles the whole server: Leptos pages and server functions, the API
//! routers, middleware and the outbox worker. Used by the `portal` binary and
//! by the end-to-end tests, so both run exactly the same app.
use std::{net::SocketAddr, sync::Arc};

use axum::{middleware, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use server::{
    mail::worker::{OutboxWorker, RetryPolicy, Transport},
    AppState, Clock, Settings,
};
use tokio::sync::{watch, Notify};

use crate::{shell, App};

/// Axum state: the server's state plus Leptos' options.
#[derive(Clone, axum::extract::FromRef)]
pub struct PortalState {
    pub app: AppState,
    pub leptos: LeptosOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Db(#[from] server::sea_orm::DbErr),
    #[error("{0}")]
    Mail(#[from] server::mail::worker::MailError),
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// A running portal.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    /// Begins the shutdown (as SIGTERM does): drain, then stop accepting.
    requested: watch::Sender<bool>,
    /// Stops the background work once the server has stopped.
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
    /// Stopped only after the server, so in-flight requests still get logged.
    api_log_stop: watch::Sender<bool>,
    api_log: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Shuts down as on SIGTERM: `/readyz` answers 503 at once, requests are
    /// still served for the shutdown delay, then new connections are refused
    /// and those in flight, the mail worker and the access log get the
    /// shutdown deadline to finish.
    pub async fn stop(self) {
        self.requested.send_replace(true);
        self.finish().await;
    }

    /// Waits until the server stops (Ctrl-C or SIGTERM in the binary).
    pub async fn wait(self) {
        self.finish().await;
    }

    async fn finish(self) {
        let mut requested = self.requested.subscribe();
        let _ = requested.wait_for(|stop| *stop).await;
        let limits = self.state.settings.limits.clone();
        // Past the deadline whatever is left is cut off: a request's
        // transaction rolls back, and a message being sent keeps its lease
        // and is sent again after it (at least once, never lost).
        let deadline =
            tokio::time::Instant::now() + limits.shutdown_delay + limits.shutdown_deadline;
        let mut server = self.server;
        if tokio::time::timeout_at(deadline, &mut server)
            .await
            .is_err()
        {
            tracing::warn!("requests still in flight at the shutdown deadline were cut off");
            server.abort();
        }
        let _ = self.shutdown.send(true);
        let _ = self.api_log_stop.send(true);
        let (mut api_log, mut worker) = (self.api_log, self.worker);
        let deadline =
            deadline.max(tokio::time::Instant::now() + std::time::Duration::from_secs(1));
        if tokio::time::timeout_at(deadline, &mut api_log)
            .await
            .is_err()
        {
            tracing::warn!("the access log did not drain by the shutdown deadline");
            api_log.abort();
        }
        if tokio::time::timeout_at(deadline, &mut worker)
            .await
            .is_err()
        {
            tracing::warn!("the mail worker did not stop by the shutdown deadline");
            worker.abort();
        }
    }
}

/// Connects, migrates, and returns the shared state.
pub async fn prepare(settings: Settings) -> Result<AppState, StartError> {
    let db = server::db::connect_with(&settings.database_url, &settings.limits.db).await?;
    server::db::migrate(&db).await?;
    Ok(AppState {
        db,
        limits: Arc::new(server::RateLimits::from_settings(&settings)),
        api_log: Default::default(),
        token_caches: Default::default(),
        resource_caches: Default::default(),
        blobs: settings.blob_store(),
        sealing_key: settings.sealing_key()?,
        settings: Arc::new(settings),
        mail_wake: Arc::new(Notify::new()),
        clock: Clock::default(),
        draining: Default::default(),
        metrics: Default::default(),
    })
}

/// The app's routes, discovered once per process. Discovery renders the app
/// with resource loading switched off through a process-wide flag in
/// leptos_server; doing it while another server in the same process renders
/// pages (as parallel tests do) would stall that server's resources, so it
/// happens exactly once, before any server can serve.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The complete router for `state`.
pub fn router(state: AppState) -> Router {
    let leptos = LeptosOptions::builder()
        .output_name("app")
        .site_root(state.settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(state.settings.bind_addr)
        .build();
    let routes = route_list();
    let portal = PortalState {
        app: state.clone(),
        leptos: leptos.clone(),
    };
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let server_fn_context = context.clone();
    let routes_context = context.clone();
    let pages = Router::<PortalState>::new()
        .route(
            "/api/{*fn_name}",
            axum::routing::post(move |req: axum::extract::Request| {
                handle_server_fns_with_context(server_fn_context.clone(), req)
            }),
        )
        .leptos_routes_with_context(&portal, routes, routes_context, {
            let leptos = leptos.clone();
            move || shell(leptos.clone())
        })
        // The not-found page renders the app too, so it needs the same context.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            PortalState,
            _,
        >(context.clone(), shell))
        // leptos_routes registers each server function's own route, so the
        // statuses are set around all of them rather than in one handler.
        .layer(middleware::from_fn(server_fn_error_status))
        .with_state(portal);
    let api = server::routes::api_router()
        .merge(crate::test_client::router())
        .with_state(state.clone());
    let limits = &state.settings.limits;
    // Uploads carry their own, larger body limit and a longer deadline.
    let uploads = server::applications::http::router()
        .merge(server::review::http::router())
        .merge(server::policy_changes::http::router())
        .with_state(state.clone())
        .layer(middleware::from_fn_with_state(
            // A form posted here is not an upload: forms' limit.
            state.settings.max_body_bytes,
            server::http::nul::refuse_nul,
        ))
        .layer(middleware::from_fn_with_state(
            limits.upload_timeout,
            server::http::overload::deadline,
        ));
    let everything_else = api
        .merge(pages)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            state.settings.max_body_bytes,
        ))
        .layer(middleware::from_fn_with_state(
            state.settings.max_body_bytes,
            server::http::nul::refuse_nul,
        ))
        .layer(middleware::from_fn_with_state(
            limits.request_timeout,
            server::http::overload::deadline,
        ));
    with_common_layers(uploads.merge(everything_else), &state)
}

/// What every route runs inside, outermost last: security headers, the
/// request id and its log span, a 500 instead of a dropped connection when a
/// handler panics, the client's address, the cap on requests in flight, a
/// deadline for each piece of a request body, and the CSRF check (the
/// routes carry their own deadline and NUL check inside it). Public so
/// that tests can put a route that panics on purpose inside the same stack.
pub fn with_common_layers(routes: Router, state: &AppState) -> Router {
    let limits = &state.settings.limits;
    routes
        .layer(middleware::from_fn(server::http::csrf::require_same_origin))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            server::http::metrics::count,
        ))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body_idle_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            server::http::overload::InFlight::new(
                limits.max_in_flight,
                limits.max_in_flight_per_address,
            ),
            server::http::overload::limit,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            server::http::client_address::resolve,
        ))
        .layer(middleware::from_fn(server::http::panics::catch_panics))
        .layer(middleware::from_fn(server::http::request::with_request_id))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            server::http::security_headers::add,
        ))
}

/// server_fn answers every `Err` with 500. Our errors say whose fault they
/// are ([`crate::error::AppError::status`]), so a server function's 500
/// carrying one gets that status instead; an explicit status (429), page
/// errors and our own 500s stay.
async fn server_fn_error_status(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    if response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Server-function errors are small JSON; anything larger is not one.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return axum::response::IntoResponse::into_response(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        );
    };
    if let Ok(error) = serde_json::from_slice::<crate::error::AppError>(&bytes) {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
            parts.status = status;
            if status == axum::http::StatusCode::SERVICE_UNAVAILABLE {
                parts.headers.insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
            }
        }
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Binds `state.settings.bind_addr` and serves until stopped.
pub async fn start(state: AppState, retry: RetryPolicy) -> Result<Running, StartError> {
    let listener = tokio::net::TcpListener::bind(state.settings.bind_addr).await?;
    start_on(listener, state, retry).await
}

/// Serves on an already-bound listener (tests bind port 0 first to learn the port).
pub async fn start_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    retry: RetryPolicy,
) -> Result<Running, StartError> {
    let transport = Transport::from_settings(
        state.settings.smtp_url.as_deref(),
        &state.settings.outbox_dir(),
    )?;
    let worker = OutboxWorker::new(
        state.db.clone(),
        transport,
        &state.settings.mail_from,
        retry,
        state.mail_wake.clone(),
    )?
    .with_clock(state.clock.clone());
    let addr = listener.local_addr()?;
    // Before the first request is served: every API response must find the
    // spool open, or a kill in this window would lose its record (this was
    // the rare miss of faults::a_killed_server_logged_every_read_it_served).
    // Connections wait in the listener's backlog meanwhile.
    let (api_log_stop, api_log_stopped) = watch::channel(false);
    let api_log = state
        .api_log
        .spawn_writer(state.db.clone(), &state.settings.data_dir, api_log_stopped)
        .await;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (requested, mut server_requested) = watch::channel(false);
    let (draining, limits) = (state.clone(), state.settings.limits.clone());
    let server = tokio::spawn(async move {
        // Stop accepting only after the delay, while /readyz already says
        // 503: the load balancer stops sending before connections are refused.
        let stop = async move {
            let _ = server_requested.wait_for(|stop| *stop).await;
            draining
                .draining
                .store(true, std::sync::atomic::Ordering::SeqCst);
            tracing::info!(
                delay_ms = limits.shutdown_delay.as_millis() as u64,
                "shutting down: /readyz answers 503, then new connections are refused"
            );
            tokio::time::sleep(limits.shutdown_delay).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    {
        // SIGTERM or Ctrl-C begins the same shutdown as `Running::stop`.
        let (requested, mut stopped) = (requested.clone(), shutdown_rx.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = termination() => { requested.send_replace(true); }
                _ = stopped.wait_for(|stop| *stop) => {}
            }
        });
    }
    let jobs = tokio::spawn(server::jobs::run(state.clone(), shutdown_rx.clone()));
    let poll = state.settings.outbox_poll;
    let worker = tokio::spawn(async move {
        worker.run(poll, shutdown_rx).await;
        let _ = jobs.await;
    });
    Ok(Running {
        addr,
        state,
        requested,
        shutdown,
        server,
        worker,
        api_log_stop,
        api_log,
    })
}

/// Ctrl-C or SIGTERM.
async fn termination() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
