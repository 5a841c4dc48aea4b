//! The portal UI: pages, components and the server functions behind forms.
//! Renders on the server (every page works without JavaScript) and hydrates
//! in the browser.
pub mod api;
pub mod components;
pub mod content;
pub mod error;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_location,
    path, SsrMode,
};

use crate::{
    api::accounts::get_viewer,
    components::{SiteFooter, SiteHeader},
    pages::*,
};

/// The signed-in account (or none), refetched on every navigation so that
/// signing in or out shows at once.
pub type ViewerResource = Resource<Result<Option<api::Viewer>, error::AppError>>;

/// The HTML document around the app (server only).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy, naming the nonce Leptos gave this
/// response's inline hydration scripts (see `server::http::security_headers`).
#[cfg(feature = "ssr")]
fn content_security_policy() {
    use axum::http::{header::CONTENT_SECURITY_POLICY, HeaderValue};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = server::http::security_headers::page_policy(&nonce);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/app.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Blue Button 2.0 API developer portal: sandbox, production access and review."/>
        <Title formatter=|page: String| format!("{page} | Blue Button 2.0 API portal")/>
        <Router>
            <Site/>
        </Router>
    }
}

#[component]
fn Site() -> impl IntoView {
    let location = use_location();
    let viewer: ViewerResource = Resource::new(move || location.pathname.get(), |_| get_viewer());
    provide_context(viewer);
    // Effects run only in the browser: this marks the page as hydrated, which
    // browser tests wait for before they interact with enhanced forms.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <SiteHeader/>
        <main id="main" tabindex="-1">
            // Every page renders completely before it is sent (SsrMode::Async):
            // without JavaScript, out-of-order streaming would leave Suspense
            // fallbacks on the page and could send <head> before the <title>.
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/api-docs") view=ApiDocsPage ssr=SsrMode::Async/>
                <Route path=path!("/terms") view=TermsPage ssr=SsrMode::Async/>
                <Route path=path!("/guide") view=GuidePage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async/>
                <Route path=path!("/signup/check-email") view=CheckEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/login/code") view=SecondFactorPage ssr=SsrMode::Async/>
                <Route path=path!("/login/set-up") view=SecondFactorSetUpPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/apps") view=AppsPage ssr=SsrMode::Async/>
                <Route path=path!("/apps/new") view=NewAppPage ssr=SsrMode::Async/>
                <Route path=path!("/apps/:id") view=AppPage ssr=SsrMode::Async/>
                <Route path=path!("/apps/:id/production") view=ProductionStartPage ssr=SsrMode::Async/>
                <Route path=path!("/access") view=AccessListPage ssr=SsrMode::Async/>
                <Route path=path!("/access/:id") view=AccessOverviewPage ssr=SsrMode::Async/>
                <Route path=path!("/access/:id/review") view=AccessReviewPage ssr=SsrMode::Async/>
                <Route path=path!("/access/:id/listing") view=ListingPage ssr=SsrMode::Async/>
                <Route path=path!("/access/:id/policy-changes") view=PolicyChangesPage ssr=SsrMode::Async/>
                <Route path=path!("/access/:id/re-review/:campaign") view=ReReviewPage ssr=SsrMode::Async/>
                <Route path=path!("/access/:id/:section") view=AccessSectionPage ssr=SsrMode::Async/>
                <Route path=path!("/review") view=ReviewQueuePage ssr=SsrMode::Async/>
                <Route path=path!("/review/slots") view=ReviewSlotsPage ssr=SsrMode::Async/>
                <Route path=path!("/review/policy-changes") view=PolicyChangeBoardPage ssr=SsrMode::Async/>
                <Route path=path!("/review/policy-changes/:id") view=PolicyChangeReviewPage ssr=SsrMode::Async/>
                <Route path=path!("/review/:id") view=ReviewPage ssr=SsrMode::Async/>
                <Route path=path!("/handoff/:token") view=HandoffPage ssr=SsrMode::Async/>
                <Route path=path!("/directory") view=DirectoryPage ssr=SsrMode::Async/>
                <Route path=path!("/directory/:id") view=DirectoryEntryPage ssr=SsrMode::Async/>
                <Route path=path!("/test-client") view=TestClientPage ssr=SsrMode::Async/>
                <Route path=path!("/mymedicare/login") view=MedicareLoginPage ssr=SsrMode::Async/>
                <Route path=path!("/mymedicare/connected-apps") view=ConnectedAppsPage ssr=SsrMode::Async/>
                <Route path=path!("/authorize/:id") view=ConsentPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view=AuditPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/outbox") view=OutboxPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/calendar") view=CalendarPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/incidents") view=IncidentsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/campaigns") view=CampaignsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/staff") view=StaffPage ssr=SsrMode::Async/>
            </Routes>
        </main>
        <SiteFooter/>
    }
}

#[cfg(feature = "ssr")]
pub mod serve;
#[cfg(feature = "ssr")]
pub mod test_client;
