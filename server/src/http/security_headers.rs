//! Headers every response carries, so that a browser refuses what an attacker
//! would need: framing (clickjacking), MIME sniffing, scripts we did not send,
//! leaking a token-bearing URL in `Referer`, a downgrade to http, and a shared
//! cache keeping personal data.
//!
//! Pages get their Content-Security-Policy from the page shell, which knows
//! the nonce Leptos puts on its hydration scripts ([`page_policy`]); every
//! other response gets [`NOT_A_PAGE_POLICY`], which allows nothing at all.
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
};

use crate::AppState;

/// The policy of a server-rendered page: our own files, plus the inline
/// scripts that carry this response's nonce (hydration and streamed
/// resources). `wasm-unsafe-eval` lets the page compile its own WebAssembly;
/// it does not allow `eval` of JavaScript. There is no `form-action`: browsers
/// apply it to the redirect after a post, and the consent form's answer is a
/// redirect to the app's own callback, wherever that is.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'"
    )
}

/// JSON, FHIR, PDFs and files: nothing in them may run, load or be framed.
pub const NOT_A_PAGE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// One year, the minimum the HSTS preload list accepts.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds the headers a response does not already set.
pub async fn add(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let https = state.settings.public_url.starts_with("https://");
    apply(response.headers_mut(), https);
    response
}

fn apply(headers: &mut HeaderMap, https: bool) {
    let keep = |headers: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    keep(headers, header::X_FRAME_OPTIONS, "DENY");
    keep(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // The credential handoff link carries its token in the path, so no URL
    // of ours may reach another site. Not `no-referrer`: under it browsers
    // send `Origin: null` with form posts, which the CSRF check refuses.
    keep(headers, header::REFERRER_POLICY, "same-origin");
    keep(headers, header::CONTENT_SECURITY_POLICY, NOT_A_PAGE_POLICY);
    if https {
        keep(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    // Pages, API answers and documents may show a secret, a token or
    // personal data; only our static assets are safe to keep.
    let static_asset = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_static_asset);
    if !static_asset {
        keep(headers, header::CACHE_CONTROL, "no-store");
    }
}

/// Stylesheets, scripts, WebAssembly, images and fonts: the bundle and
/// `public/`, the same for every visitor.
fn is_static_asset(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    matches!(
        essence,
        "text/css" | "text/javascript" | "application/javascript" | "application/wasm"
    ) || essence.starts_with("image/")
        || essence.starts_with("font/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(content_type: &str, https: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        apply(&mut headers, https);
        headers
    }

    #[test]
    fn every_response_refuses_framing_sniffing_and_referrers() {
        let headers = applied("application/json", false);
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], NOT_A_PAGE_POLICY);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
        assert!(applied("text/html", true).contains_key(header::STRICT_TRANSPORT_SECURITY));
    }

    #[test]
    fn a_page_keeps_its_own_policy_and_assets_stay_cacheable() {
        let mut headers = HeaderMap::new();
        let policy = page_policy("abc123");
        headers.insert(header::CONTENT_SECURITY_POLICY, policy.parse().unwrap());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        apply(&mut headers, false);
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], policy.as_str());
        assert!(policy.contains("'nonce-abc123'") && policy.contains("frame-ancestors 'none'"));
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
        for asset in [
            "text/css",
            "application/wasm",
            "image/svg+xml",
            "text/javascript; charset=utf-8",
        ] {
            assert!(
                !applied(asset, false).contains_key(header::CACHE_CONTROL),
                "{asset}"
            );
        }
    }
}
