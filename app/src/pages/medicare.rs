//! Pages for Medicare enrollees: signing in with their Medicare account,
//! deciding what an app may see, and the apps they have connected.
use leptos::{either::EitherOf3, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};

use crate::{
    api::medicare::{get_connected_apps, get_consent, MedicareLogIn, MedicareLogOut, RevokeApp},
    components::{
        field_error, form_error, kept_value, urlencode, Field, FormAlert, Notice, PageRequest,
    },
    error::AppError,
};

#[component]
pub fn MedicareLoginPage() -> impl IntoView {
    let action = ServerAction::<MedicareLogIn>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    view! {
        <Title text="Sign in with Medicare"/>
        <div class="narrow">
            <h1>"Sign in with your Medicare account"</h1>
            {move || query.with(|q| q.get("signed_out")).map(|_| view! { <Notice>"You are signed out of your Medicare account."</Notice> })}
            <p>"An app asked to see your Medicare data. Sign in to choose what it may see. You will not share anything until you say so."</p>
            <div class="alert alert-info" role="note">
                <p>"This is the sandbox: sign in as a synthetic enrollee, "<code>"BBUser00000"</code>" to "<code>"BBUser29999"</code>", with password "<code>"PW00000!"</code>" to "<code>"PW29999!"</code>" (the numbers match)."</p>
            </div>
            <FormAlert message=form_error(action)/>
            <ActionForm action=action>
                <input type="hidden" name="next" value=next/>
                <Field label="User name" name="username" autocomplete="username" error=field_error(action, "username") value=kept_value(action, "username")/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error=field_error(action, "password")/>
                <button type="submit" class="button">"Sign in"</button>
            </ActionForm>
        </div>
    }
}

/// Sends an enrollee who is not signed in to the Medicare sign-in page, to come back to `here`.
fn medicare_sign_in(request: &PageRequest, here: &str) -> impl IntoView {
    let target = format!("/mymedicare/login?next={}", urlencode(here));
    request.redirect(&target);
    view! { <Redirect path=target/> }
}

#[component]
fn SignedInAs(name: String) -> impl IntoView {
    let log_out = ServerAction::<MedicareLogOut>::new();
    view! {
        <div class="signed-in-as">
            <span>"Signed in to Medicare as "<strong>{name}</strong>". Not you?"</span>
            <ActionForm action=log_out>
                <button type="submit" class="button-link">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn ConsentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let consent = Resource::new(id, get_consent);
    let request = PageRequest::capture();
    view! {
        <Title text="Allow access to your Medicare data"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let request = request.clone();
                // Read before awaiting: reactive values are not reliable after an await on the server.
                let here = format!("/authorize/{}", id());
                Suspend::new(async move {
                    match consent.await {
                        Err(AppError::Unauthorized) => EitherOf3::A(medicare_sign_in(&request, &here)),
                        Err(e) => {
                            request.set_status(410);
                            EitherOf3::B(view! {
                                <div class="narrow">
                                    <h1>"This request for access cannot be completed"</h1>
                                    <div class="alert alert-error" role="alert">{e.to_string()}</div>
                                    <p>"Nothing was shared. You can see the apps that have access to your data on your "<a href="/mymedicare/connected-apps">"connected apps"</a>" page."</p>
                                </div>
                            })
                        }
                        Ok(page) => EitherOf3::C(view! { <ConsentForm page/> }),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn ConsentForm(page: crate::api::medicare::ConsentPage) -> impl IntoView {
    let action = format!("/authorize/{}/decision", page.request_id);
    view! {
        <div class="consent">
            <SignedInAs name=page.enrollee_name.clone()/>
            <div class="consent-app">
                {page.logo_url.clone().map(|src| view! { <img class="app-logo" src=src alt=format!("{} logo", page.app_name)/> })}
                <h1>{format!("{} wants to see your Medicare data", page.app_name)}</h1>
            </div>
            <p>"If you allow it, "<strong>{page.app_name.clone()}</strong>" can see:"</p>
            <ul class="sees">
                {page.sees.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}
            </ul>
            <p>"Access lasts "<strong>{page.access_period.clone()}</strong>". You can take it back at any time on your "<a href="/mymedicare/connected-apps">"connected apps"</a>" page."</p>
            <p>"Before you decide, read how the app uses your data: "
                <a href=page.privacy_policy_url.clone() target="_blank" rel="noopener noreferrer">{format!("{} privacy policy", page.app_name)}</a>
                " and "
                <a href=page.terms_url.clone() target="_blank" rel="noopener noreferrer">"terms of service"</a>
                " (each opens in a new tab)."</p>
            <form method="post" action=action>
                {page.asks_demographics.then(|| view! {
                    <fieldset class="field choice">
                        <legend>"Share your demographic information (name, gender, race and address) with this app?"</legend>
                        <p class="hint" id="demographics-hint">"You can allow access to your claims and coverage and still keep your demographic information private."</p>
                        <div class="choice-option">
                            <input type="radio" id="share-yes" name="share_demographic_scopes" value="true" checked=true aria-describedby="demographics-hint"/>
                            <label for="share-yes">"Yes, share it"</label>
                        </div>
                        <div class="choice-option">
                            <input type="radio" id="share-no" name="share_demographic_scopes" value="false" aria-describedby="demographics-hint"/>
                            <label for="share-no">"No, do not share it"</label>
                        </div>
                    </fieldset>
                })}
                <div class="button-row">
                    <button type="submit" name="allow" value="true" class="button">"Allow"</button>
                    <button type="submit" name="allow" value="false" class="button button-secondary">"Deny"</button>
                </div>
            </form>
        </div>
    }
}

#[component]
pub fn ConnectedAppsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| get_connected_apps());
    let query = use_query_map();
    let request = PageRequest::capture();
    view! {
        <Title text="Your connected apps"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let request = request.clone();
                let revoked = query.with(|q| q.get("revoked")).is_some();
                Suspend::new(async move {
                    match apps.await {
                        Err(AppError::Unauthorized) => EitherOf3::A(medicare_sign_in(&request, "/mymedicare/connected-apps")),
                        Err(e) => EitherOf3::B(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                        Ok(page) => EitherOf3::C(view! {
                            <SignedInAs name=page.enrollee_name.clone()/>
                            <h1>"Apps connected to your Medicare data"</h1>
                            {revoked.then(|| view! { <Notice>"The app's access was revoked. It can no longer get your Medicare data."</Notice> })}
                            {if page.apps.is_empty() {
                                view! { <div class="empty-state"><p>"No apps can see your Medicare data. When you allow an app, it appears here and you can revoke it at any time."</p></div> }.into_any()
                            } else {
                                view! {
                                    <ul class="connected-apps">
                                        {page.apps.into_iter().map(|app| view! { <ConnectedApp app/> }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        }),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn ConnectedApp(app: crate::api::medicare::ConnectedAppRow) -> impl IntoView {
    let revoke = ServerAction::<RevokeApp>::new();
    let confirm_id = format!("revoke-{}", app.grant_id);
    let error_id = format!("{confirm_id}-error");
    view! {
        <li class="connected-app">
            <h2>{app.app_name.clone()}</h2>
            <p class="meta">{format!("Allowed on {}, {}.", app.granted, app.until)}</p>
            <p>"It can see:"</p>
            <ul>{app.sees.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul>
            <FormAlert message=form_error(revoke)/>
            <ActionForm action=revoke>
                <input type="hidden" name="grant_id" value=app.grant_id.clone()/>
                <div class="field checkbox" class:field-invalid=move || field_error(revoke, "confirm").get().is_some()>
                    {let error_id = error_id.clone(); move || field_error(revoke, "confirm").get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes"
                        aria-describedby=move || field_error(revoke, "confirm").get().map(|_| error_id.clone())/>
                    <label for=confirm_id.clone()>{format!("Yes, stop sharing my data with {}", app.app_name)}</label>
                </div>
                <button type="submit" class="button button-danger">"Revoke access"</button>
            </ActionForm>
        </li>
    }
}
