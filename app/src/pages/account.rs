//! The signed-in account: profile, email confirmation and password change.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        accounts::{ChangePassword, ResendVerification},
        second_factor::{get_status, Disable},
    },
    components::{field_error, form_error, Field, FormAlert, Guarded, Notice},
    ViewerResource,
};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Your account"/>
        <Guarded>
            <AccountDetails/>
        </Guarded>
    }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    let change = ServerAction::<ChangePassword>::new();
    let resend = ServerAction::<ResendVerification>::new();
    let params = use_query_map();
    view! {
        <h1>"Your account"</h1>
        {move || params.with(|p| p.get("changed")).map(|_| view! { <Notice>"Your password was changed. Other devices were signed out."</Notice> })}
        {move || params.with(|p| p.get("resent")).map(|_| view! { <Notice>"We sent a new confirmation link to your email address."</Notice> })}
        {move || params.with(|p| p.get("second_factor")).map(|v| view! { <Notice>{if v == "on" { "Two-step sign-in is on. Keep your recovery codes safe." } else { "Two-step sign-in is off." }}</Notice> })}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                viewer.await.ok().flatten().map(|v| view! {
                    <dl class="definitions">
                        <dt>"Name"</dt><dd>{v.name.clone()}</dd>
                        <dt>"Email"</dt><dd>{v.email.clone()}</dd>
                        <dt>"Organization"</dt><dd>{v.organization.clone()}</dd>
                        <dt>"Role"</dt><dd>{v.role.clone()}</dd>
                        <dt>"Email confirmed"</dt><dd>{if v.verified { "Yes" } else { "Not yet" }}</dd>
                    </dl>
                    {(!v.verified).then(|| view! {
                        <div class="alert alert-warning" role="status">
                            <p>"Confirm your email address to register apps. Check your inbox for our message."</p>
                            <ActionForm action=resend><button type="submit" class="button button-secondary">"Send the link again"</button></ActionForm>
                        </div>
                    })}
                })
            })}
        </Suspense>
        <SecondFactorSection/>
        <section class="narrow">
            <h2>"Change your password"</h2>
            <FormAlert message=form_error(change)/>
            <ActionForm action=change>
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=field_error(change, "current_password")/>
                <Field label="New password" name="password" kind="password" autocomplete="new-password" hint="At least 12 characters." error=field_error(change, "password")/>
                <Field label="Confirm new password" name="password_confirm" kind="password" autocomplete="new-password" error=field_error(change, "password_confirm")/>
                <button type="submit" class="button">"Change password"</button>
            </ActionForm>
        </section>
    }
}

/// Whether two-step sign-in is on, and the way to turn it on or off.
#[component]
fn SecondFactorSection() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_status());
    let disable = ServerAction::<Disable>::new();
    view! {
        <section class="narrow" aria-labelledby="second-factor-heading">
            <h2 id="second-factor-heading">"Two-step sign-in"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => match s.enabled_on.clone() {
                            Some(on) => view! {
                                <p>{format!("On since {on}: signing in asks for a code from your authenticator app. {} of your recovery codes are unused.", s.recovery_codes_left)}</p>
                                {if s.required {
                                    view! { <p>"Reviewer and admin accounts must keep it on. Lost your device? An admin can reset it."</p> }.into_any()
                                } else {
                                    view! {
                                        <FormAlert message=form_error(disable)/>
                                        <ActionForm action=disable>
                                            <Field label="Code to confirm" name="code" autocomplete="one-time-code"
                                                hint="A code from your authenticator app (or a recovery code) to turn two-step sign-in off."
                                                error=field_error(disable, "code")/>
                                            <button type="submit" class="button button-secondary">"Turn off two-step sign-in"</button>
                                        </ActionForm>
                                    }.into_any()
                                }}
                            }.into_any(),
                            None => view! {
                                <p>"Off. Add a code from an authenticator app to your sign-in, so that a stolen password is not enough."</p>
                                <p><a class="button" href="/login/set-up?next=%2Faccount%3Fsecond_factor%3Don">"Turn on two-step sign-in"</a></p>
                            }.into_any(),
                        },
                        Err(_) => view! { <p>"We could not load this right now."</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
