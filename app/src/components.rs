//! Building blocks shared by pages: site chrome, form fields, alerts, access guards.
use leptos::{either::EitherOf3, prelude::*};
use leptos_router::{components::Redirect, hooks::use_location};

use crate::{
    api::{accounts::LogOut, Viewer},
    error::AppError,
    ViewerResource,
};

#[component]
pub fn SiteHeader() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    let log_out = ServerAction::<LogOut>::new();
    view! {
        <header class="site-header">
            <div class="banner">"A demonstration portal modeled on the CMS Blue Button 2.0 API. All data is synthetic."</div>
            <div class="header-inner">
                <a class="brand" href="/">"Blue Button 2.0 API"</a>
                <nav aria-label="Main">
                    <ul>
                        <li><a href="/api-docs">"API documentation"</a></li>
                        <li><a href="/guide">"Production access"</a></li>
                        <li><a href="/directory">"Connected apps"</a></li>
                        <li><a href="/terms">"Terms of Service"</a></li>
                    </ul>
                </nav>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(Some(v)) => EitherOf3::A(view! {
                                <div class="user-menu">
                                    {v.can_review().then(|| view! { <a href="/review">"Review queue"</a> })}
                                    {v.is_admin().then(|| view! { <a href="/admin/audit">"Audit trail"</a> })}
                                    {v.is_admin().then(|| view! { <a href="/admin/calendar">"Calendar"</a> })}
                                    {v.is_admin().then(|| view! { <a href="/admin/incidents">"Incidents"</a> })}
                                    {v.is_admin().then(|| view! { <a href="/admin/staff">"Staff"</a> })}
                                    <a href="/apps">"Your apps"</a>
                                    <a href="/access">"Applications"</a>
                                    <a href="/test-client">"Test client"</a>
                                    <a href="/account">{format!("{} ({})", v.name, v.role)}</a>
                                    <ActionForm action=log_out>
                                        <button type="submit" class="button-link">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            }),
                            Ok(None) => EitherOf3::B(view! {
                                <div class="user-menu">
                                    <a href="/login">"Sign in"</a>
                                    <a class="button" href="/signup">"Create an account"</a>
                                </div>
                            }),
                            Err(_) => EitherOf3::C(()),
                        }
                    })}
                </Transition>
            </div>
        </header>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>"Questions about production access? Read the "<a href="/guide">"production access guide"</a>"."</p>
            <p>"Synthetic data only. No real Medicare enrollee information is used in this portal."</p>
        </footer>
    }
}

/// The message for `field` from the last submission of `action`, if any.
pub fn field_error<S>(action: ServerAction<S>, field: &'static str) -> Signal<Option<String>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.field(field))
    })
}

/// What the user typed in `field` before the last submission of `action` was
/// refused (for forms posted without JavaScript, which come back empty otherwise).
pub fn kept_value<S>(action: ServerAction<S>, field: impl Into<String>) -> Signal<Option<String>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let field = field.into();
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.kept(&field))
    })
}

/// A whole-form message from the last submission of `action` (field errors get a summary).
pub fn form_error<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.to_string())
    })
}

/// A labelled input with its hint and error wired up for screen readers.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = true)] required: bool,
    #[prop(optional, into)] value: MaybeProp<String>,
) -> impl IntoView {
    let input_id = format!("field-{name}");
    let hint_id = format!("{input_id}-hint");
    let error_id = format!("{input_id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = vec![];
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=input_id.clone()>{label}{(!required).then_some(" (optional)")}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
            <input
                id=input_id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                value=move || value.get()
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
        </div>
    }
}

/// A form-level message announced to screen readers.
#[component]
pub fn FormAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <div class="alert alert-error" role="alert">{m}</div> })
    }
}

/// A confirmation or information box.
#[component]
pub fn Notice(children: Children) -> impl IntoView {
    view! { <div class="alert alert-success" role="status">{children()}</div> }
}

/// What a page guard decided.
enum Access {
    Granted,
    Denied,
    SignIn,
}

/// The request and response of the page being rendered, captured before a
/// `Suspend` awaits: context is not reliable after an await (see api/ssr.rs).
#[derive(Clone, Default)]
pub struct PageRequest {
    #[cfg(feature = "ssr")]
    handles: (
        Option<leptos_axum::ResponseOptions>,
        Option<axum::http::request::Parts>,
    ),
}

impl PageRequest {
    pub fn capture() -> Self {
        Self {
            #[cfg(feature = "ssr")]
            handles: (use_context(), use_context()),
        }
    }

    /// On the server, answers the page load with a real redirect to `target`
    /// (pair it with a `<Redirect/>` in the view for client-side navigation).
    pub fn redirect(&self, target: &str) {
        #[cfg(feature = "ssr")]
        if let (Some(response), Some(parts)) = &self.handles {
            crate::api::ssr::redirect(parts, response, target);
        }
        #[cfg(not(feature = "ssr"))]
        let _ = target;
    }

    /// Sets the HTTP status of the server-rendered page.
    pub fn set_status(&self, status: u16) {
        #[cfg(feature = "ssr")]
        if let (Some(response), Ok(code)) =
            (&self.handles.0, axum::http::StatusCode::from_u16(status))
        {
            response.set_status(code);
        }
        #[cfg(not(feature = "ssr"))]
        let _ = status;
    }
}

/// Renders `children` only for a signed-in account that passes `allow`;
/// others get a 403 page, anonymous visitors are sent to sign in.
#[component]
pub fn Guarded(
    #[prop(default = |_: &Viewer| true)] allow: fn(&Viewer) -> bool,
    children: ChildrenFn,
) -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    let location = use_location();
    let children = StoredValue::new(children);
    let request = PageRequest::capture();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
            let request = request.clone();
            // Read before awaiting: reactive values are not reliable after an await on the server.
            let here = location.pathname.get_untracked();
            Suspend::new(async move {
                let access = match viewer.await {
                    Ok(Some(v)) if allow(&v) => Access::Granted,
                    Ok(Some(_)) => Access::Denied,
                    _ => Access::SignIn,
                };
                match access {
                    Access::Granted => EitherOf3::A(children.with_value(|c| c())),
                    Access::Denied => {
                        request.set_status(403);
                        EitherOf3::B(view! { <crate::pages::Forbidden/> })
                    }
                    Access::SignIn => {
                        let target = format!("/login?next={}", urlencode(&here));
                        request.redirect(&target);
                        EitherOf3::C(view! { <Redirect path=target/> })
                    }
                }
            })
            }}
        </Suspense>
    }
}

/// Percent-encodes a path for use as a query value.
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
