//! Sign-up, sign-in, email verification and password reset pages.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        accounts::{LogIn, RequestPasswordReset, ResetPassword, SignUp, VerifyEmail},
        second_factor::{get_enrolment, ConfirmEnrolment, PresentCode},
    },
    components::{field_error, form_error, kept_value, Field, FormAlert, Notice},
};

fn query(name: &'static str) -> Memo<Option<String>> {
    let params = use_query_map();
    Memo::new(move |_| params.with(|p| p.get(name)))
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let pending = action.pending();
    view! {
        <Title text="Create an account"/>
        <div class="narrow">
            <h1>"Create a developer account"</h1>
            <p>"You need an account to register sandbox apps and apply for production access. Already have one? "<a href="/login">"Sign in"</a>"."</p>
            <FormAlert message=form_error(action)/>
            <ActionForm action=action attr:novalidate=true>
                <Field label="Full name" name="name" autocomplete="name" error=field_error(action, "name") value=kept_value(action, "name")/>
                <Field label="Email address" name="email" kind="email" autocomplete="email" error=field_error(action, "email") value=kept_value(action, "email")/>
                <Field label="Organization" name="organization" autocomplete="organization" error=field_error(action, "organization") value=kept_value(action, "organization")/>
                <Field label="Password" name="password" kind="password" autocomplete="new-password"
                    hint="At least 12 characters. A few unrelated words make a strong, memorable password."
                    error=field_error(action, "password")/>
                <Field label="Confirm password" name="password_confirm" kind="password" autocomplete="new-password" error=field_error(action, "password_confirm")/>
                <div class="field checkbox" class:field-invalid=move || field_error(action, "accept_terms").get().is_some()>
                    {move || field_error(action, "accept_terms").get().map(|e| view! { <p class="field-error" id="field-accept_terms-error">{e}</p> })}
                    <input type="checkbox" id="field-accept_terms" name="accept_terms" value="yes"
                        aria-describedby=move || field_error(action, "accept_terms").get().map(|_| "field-accept_terms-error")/>
                    <label for="field-accept_terms">"I have read and accept the "<a href="/terms" target="_blank">"API Terms of Service"</a></label>
                </div>
                <button type="submit" class="button" disabled=pending>{move || if pending.get() { "Creating account…" } else { "Create account" }}</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <Title text="Check your email"/>
        <div class="narrow">
            <h1>"Check your email"</h1>
            <p>"We sent a confirmation link to the address you gave. Open it to confirm your email address; the link works for 7 days."</p>
            <p>"You can "<a href="/login">"sign in"</a>" now, but you cannot register apps until your email is confirmed."</p>
        </div>
    }
}

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let token = query("token");
    let action = ServerAction::<VerifyEmail>::new();
    // Confirming takes a click (a POST) so that mail scanners that open links
    // do not use up the single-use link.
    view! {
        <Title text="Confirm your email"/>
        <div class="narrow">
            <h1>"Confirm your email address"</h1>
            <FormAlert message=form_error(action)/>
            {move || match token.get() {
                Some(token) => view! {
                    <ActionForm action=action>
                        <input type="hidden" name="token" value=token/>
                        <button type="submit" class="button">"Confirm my email address"</button>
                    </ActionForm>
                }.into_any(),
                None => view! { <p>"This page needs the link from your email. Open the link in the message we sent you."</p> }.into_any(),
            }}
        </div>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let next = query("next");
    let pending = action.pending();
    let notice = Memo::new(move |_| {
        let params = use_query_map().get();
        if params.get("verified").is_some() {
            Some("Your email address is confirmed. Sign in to continue.")
        } else if params.get("reset").is_some() {
            Some("Your password was changed. Sign in with your new password.")
        } else if params.get("signed_out").is_some() {
            Some("You are signed out.")
        } else {
            None
        }
    });
    view! {
        <Title text="Sign in"/>
        <div class="narrow">
            <h1>"Sign in"</h1>
            {move || notice.get().map(|n| view! { <Notice>{n}</Notice> })}
            <FormAlert message=form_error(action)/>
            <ActionForm action=action>
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default()/>
                <Field label="Email address" name="email" kind="email" autocomplete="username" error=field_error(action, "email") value=kept_value(action, "email")/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error=field_error(action, "password")/>
                <button type="submit" class="button" disabled=pending>"Sign in"</button>
            </ActionForm>
            <p><a href="/forgot-password">"Forgot your password?"</a></p>
            <p>"New here? "<a href="/signup">"Create an account"</a>"."</p>
        </div>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let sent = query("sent");
    view! {
        <Title text="Reset your password"/>
        <div class="narrow">
            <h1>"Reset your password"</h1>
            {move || sent.get().map(|_| view! {
                <Notice>"If an account uses that address, we sent it a link to choose a new password. The link works once, for 1 hour."</Notice>
            })}
            <FormAlert message=form_error(action)/>
            <p>"Enter the email address of your account and we will send you a link to choose a new password."</p>
            <ActionForm action=action>
                <Field label="Email address" name="email" kind="email" autocomplete="email" error=field_error(action, "email") value=kept_value(action, "email")/>
                <button type="submit" class="button">"Send reset link"</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let token = query("token");
    view! {
        <Title text="Choose a new password"/>
        <div class="narrow">
            <h1>"Choose a new password"</h1>
            <FormAlert message=form_error(action)/>
            {move || match token.get() {
                Some(token) => view! {
                    <ActionForm action=action>
                        <input type="hidden" name="token" value=token/>
                        <Field label="New password" name="password" kind="password" autocomplete="new-password"
                            hint="At least 12 characters." error=field_error(action, "password")/>
                        <Field label="Confirm new password" name="password_confirm" kind="password" autocomplete="new-password"
                            error=field_error(action, "password_confirm")/>
                        <button type="submit" class="button">"Save new password"</button>
                    </ActionForm>
                }.into_any(),
                None => view! { <p>"This page needs the link from your email. "<a href="/forgot-password">"Ask for a new link"</a>"."</p> }.into_any(),
            }}
        </div>
    }
}

/// The second step of signing in: a code from the authenticator app, or a
/// recovery code.
#[component]
pub fn SecondFactorPage() -> impl IntoView {
    let action = ServerAction::<PresentCode>::new();
    let next = query("next");
    let pending = action.pending();
    view! {
        <Title text="Enter your sign-in code"/>
        <div class="narrow">
            <h1>"Enter your sign-in code"</h1>
            <p>"Your password was right. Open your authenticator app and enter the 6-digit code it shows for the Blue Button 2.0 API portal."</p>
            <FormAlert message=form_error(action)/>
            <ActionForm action=action>
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default()/>
                <Field label="Code" name="code" autocomplete="one-time-code"
                    hint="6 digits. Lost your device? Enter one of your recovery codes instead (like abcd-efgh-ijkl-mnop); each works once."
                    error=field_error(action, "code")/>
                <button type="submit" class="button" disabled=pending>"Continue"</button>
            </ActionForm>
            <p>"No device and no recovery codes? An admin of the Blue Button 2.0 API team can reset your two-step sign-in. "<a href="/login">"Start again"</a></p>
        </div>
    }
}

/// Setting up an authenticator: at a reviewer's or admin's first sign-in
/// (required), or from a developer's account page (optional).
#[component]
pub fn SecondFactorSetUpPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEnrolment>::new();
    let next = query("next");
    let enrolment = Resource::new(|| (), |_| get_enrolment());
    let pending = action.pending();
    view! {
        <Title text="Set up two-step sign-in"/>
        <div class="narrow">
            <h1>"Set up two-step sign-in"</h1>
            <p>"Reviewer and admin accounts sign in with a password and a code from an authenticator app on your phone or computer (any app for time-based codes, such as those from Google, Microsoft or 1Password). Developers may turn it on too."</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match enrolment.await {
                        Ok(e) => view! {
                            <ol class="steps">
                                <li>
                                    <h2>"Add this account to your authenticator app"</h2>
                                    <p>"Choose to enter a setup key, and type this key for "<strong>{e.email.clone()}</strong>" (time-based):"</p>
                                    <p><code class="secret" id="totp-key">{e.key.clone()}</code></p>
                                    <p>"On a device with the app, you can open this link instead: "<a href=e.uri.clone()>"Add to authenticator app"</a></p>
                                </li>
                                <li>
                                    <h2>"Save your recovery codes"</h2>
                                    <p>"If you lose the device, each of these codes signs you in once. Print them or keep them in a password manager; they are shown only until you finish."</p>
                                    <ul class="recovery-codes" aria-label="Recovery codes">
                                        {e.recovery_codes.iter().map(|c| view! { <li><code>{c.clone()}</code></li> }).collect_view()}
                                    </ul>
                                </li>
                                <li>
                                    <h2>"Enter the code the app shows"</h2>
                                    <FormAlert message=form_error(action)/>
                                    <ActionForm action=action>
                                        <input type="hidden" name="next" value=move || next.get().unwrap_or_default()/>
                                        <Field label="Code" name="code" autocomplete="one-time-code" hint="6 digits." error=field_error(action, "code")/>
                                        <button type="submit" class="button" disabled=pending>"Turn on two-step sign-in"</button>
                                    </ActionForm>
                                </li>
                            </ol>
                        }.into_any(),
                        Err(e) => view! {
                            <div class="alert alert-error" role="alert"><p>{e.to_string()}</p></div>
                            <p><a href="/login">"Sign in"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
