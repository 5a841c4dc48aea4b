//! The test client page: pick an app, run the authorization flow with PKCE,
//! see the token response, and call the API with the token.
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::test_client::{get_test_client, AddTestClientCallback, TestClientView, CALLS},
    components::{form_error, FormAlert, Guarded, Notice},
};

#[component]
pub fn TestClientPage() -> impl IntoView {
    view! {
        <Title text="Test client"/>
        <Guarded>
            <TestClient/>
        </Guarded>
    }
}

/// Words for the error codes the flow handlers send back.
fn flow_problem(code: &str) -> &'static str {
    match code {
        "access_denied" => "The enrollee denied access, so there is no token. Start again and choose Allow.",
        "state_mismatch" => "The answer's state did not match the request's, so it was ignored. Start again.",
        "secret_needed" => "This app is confidential: enter its client secret to start.",
        "wrong_secret" => "The token request was refused: the client secret is not right. Create a new secret on the app's page if you lost it.",
        "expired" => "The flow took too long or was started in another browser. Start again.",
        "no_app" => "Choose one of your apps first.",
        _ => "The authorization did not complete. Start again.",
    }
}

#[component]
fn TestClient() -> impl IntoView {
    let query = use_query_map();
    let params = move || query.with(|q| (q.get("app"), q.get("call"), q.get("page")));
    let data = Resource::new(params, |(app, call, page)| get_test_client(app, call, page));
    let request = crate::components::PageRequest::capture();
    view! {
        <h1>"Test client"</h1>
        <p class="lead">"Run the authorization flow for one of your sandbox apps, exactly as an app would, and call the API with the token you get."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                // Read before awaiting: reactive values are not reliable after an await on the server.
                let notices = query.with(|q| (q.get("flow_error"), q.get("authorized").is_some(), q.get("added").is_some(), q.get("reset").is_some()));
                let request = request.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => Either::Left(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                        Ok(view) => {
                            if view.selected.is_none() && !view.apps.is_empty() {
                                request.set_status(404);
                            }
                            Either::Right(view! { <TestClientBody view notices/> })
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn TestClientBody(
    view: TestClientView,
    notices: (Option<String>, bool, bool, bool),
) -> impl IntoView {
    let (flow_error, authorized, added, reset) = notices;
    let add = ServerAction::<AddTestClientCallback>::new();
    if view.apps.is_empty() {
        return Either::Left(view! {
            <div class="empty-state">
                <p>"You have no sandbox apps yet. "<a href="/apps/new">"Register an app"</a>" first; then come back here to try it."</p>
            </div>
        }.into_any());
    }
    // `?app=` names none of the viewer's sandbox apps (someone else's, a
    // production app, or a typo): say so rather than guess.
    let Some(selected) = view.selected.clone() else {
        return Either::Left(view! {
            <div class="alert alert-warning" role="status">
                <p>"That app is not one of your sandbox apps. "<a href="/test-client">"Choose one of yours"</a>"."</p>
            </div>
        }.into_any());
    };
    let app_id = selected.id.clone();
    let (add_for, start_for, calls_for) = (app_id.clone(), app_id.clone(), app_id);
    Either::Right(view! {
        {flow_error.map(|code| view! { <div class="alert alert-error" role="alert">{flow_problem(&code)}</div> })}
        {authorized.then(|| view! { <Notice>"Authorized. The token response is below; call the API with it."</Notice> })}
        {added.then(|| view! { <Notice>"The test client's callback address was added to your app's redirect URIs."</Notice> })}
        {reset.then(|| view! { <Notice>"The test client forgot its tokens."</Notice> })}
        <form method="get" action="/test-client" class="inline-form">
            <div class="field">
                <label for="test-app">"App"</label>
                <select id="test-app" name="app">
                    {view.apps.iter().map(|a| view! { <option value=a.id.clone() selected=a.id == selected.id>{a.name.clone()}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button button-secondary">"Use this app"</button>
        </form>

        <section>
            <h2>"1. Callback address"</h2>
            {if selected.callback_registered {
                Either::Left(view! { <p>"The test client's callback "<code>{view.callback_url.clone()}</code>" is registered for this app."</p> })
            } else {
                Either::Right(view! {
                    <p>"The authorization server only returns to registered addresses. Add the test client's callback "<code>{view.callback_url.clone()}</code>" to this app's redirect URIs to use it here."</p>
                    <FormAlert message=form_error(add)/>
                    <ActionForm action=add>
                        <input type="hidden" name="app" value=add_for/>
                        <button type="submit" id="add-callback" class="button button-secondary">"Add the callback address"</button>
                    </ActionForm>
                })
            }}
        </section>

        <section class="narrow">
            <h2>"2. Authorize"</h2>
            <p>"You will sign in as a synthetic enrollee (for example "<code>"BBUser29999"</code>" with password "<code>"PW29999!"</code>") and decide what the app may see. The test client uses PKCE (S256)."</p>
            <form method="post" action="/test-client/start">
                <input type="hidden" name="app" value=start_for/>
                {selected.confidential.then(|| view! {
                    <div class="field">
                        <label for="client-secret">"Client secret"</label>
                        <p class="hint" id="client-secret-hint">"Confidential apps prove themselves with their secret. It is used for this one token request and never stored on the server."</p>
                        <input type="password" id="client-secret" name="client_secret" autocomplete="off" required=true aria-describedby="client-secret-hint"/>
                    </div>
                })}
                <button type="submit" class="button" disabled=!selected.callback_registered>"Start the authorization flow"</button>
            </form>
        </section>

        {view.token_response.clone().map(|response| view! {
            <section>
                <h2>"3. Token response"</h2>
                <pre class="json" tabindex="0" aria-label="Token response">{response}</pre>
                <h2>"4. Call the API"</h2>
                <ul class="call-links">
                    {CALLS.iter().map(|(key, label, path)| view! {
                        <li><a href=format!("/test-client?app={}&call={key}", calls_for)>{format!("{label} ({path})")}</a></li>
                    }).collect_view()}
                </ul>
                <form method="post" action="/test-client/reset">
                    <button type="submit" class="button-link">"Forget these tokens"</button>
                </form>
            </section>
        })}

        {view.result.clone().map(|result| view! {
            <section>
                <h3>{result.request.clone()}</h3>
                <p>{format!("HTTP status {}", result.status)}</p>
                <nav class="pagination" aria-label="Result pages">
                    {result.previous.clone().map(|href| view! { <a href=href rel="prev">"Previous page"</a> })}
                    {result.next.clone().map(|href| view! { <a href=href rel="next">"Next page"</a> })}
                </nav>
                <pre class="json" tabindex="0" aria-label="Response body">{result.body.clone()}</pre>
            </section>
        })}
    })
}
