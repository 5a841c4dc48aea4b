//! The 1-hour demo: reviewers' slots, the demo and decision on the
//! reviewer's page, and booking as the applicant sees it. What each side
//! may do comes from `DemoDto.actions`, decided on the server.
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        review::{
            my_slots, ApproveApplication, BookDemo, BookingDto, CancelDemo, DemoDto,
            DenyApplication, InviteToDemo, LetterDto, PublishSlot, RecordDemo,
        },
        Viewer,
    },
    components::{field_error, form_error, kept_value, FormAlert, Guarded, Notice},
};

/// Created by the page (never inside a `Suspend`) and handed to the parts
/// that show it.
pub(crate) type DemoResource = Resource<Result<DemoDto, crate::error::AppError>>;

/// A moment shown in Eastern time, rewritten into the viewer's zone by script.
#[component]
fn LocalTime(iso: String, eastern: String) -> impl IntoView {
    view! { <time datetime=iso data-local="true">{eastern}</time> }
}

#[component]
pub fn ReviewSlotsPage() -> impl IntoView {
    view! {
        <Title text="Demo slots"/>
        <Guarded allow=Viewer::can_review>
            <Slots/>
        </Guarded>
    }
}

#[component]
fn Slots() -> impl IntoView {
    let query = use_query_map();
    let slots = Resource::new(move || query.with(|q| q.get("published")), |_| my_slots());
    let publish = ServerAction::<PublishSlot>::new();
    view! {
        <p><a href="/review">"Review queue"</a></p>
        <h1>"Demo slots"</h1>
        <p>"Offer 1-hour times for applicants' demos. Applicants who are invited book one; everyone gets a calendar invitation."</p>
        {move || query.with(|q| q.get("published")).map(|_| view! { <Notice>"The slot is published."</Notice> })}
        <section class="narrow" aria-labelledby="publish-heading">
            <h2 id="publish-heading">"Offer a time"</h2>
            <FormAlert message=form_error(publish)/>
            <ActionForm action=publish attr:novalidate=true>
                <div class="field" class:field-invalid=move || field_error(publish, "starts_at").get().is_some()>
                    <label for="slot-starts">"Starts (your time zone; 1 hour)"</label>
                    {move || field_error(publish, "starts_at").get().map(|e| view! { <p class="field-error" id="slot-starts-error">{e}</p> })}
                    <input id="slot-starts" name="starts_at" type="datetime-local" required=true prop:value=move || kept_value(publish, "starts_at").get().unwrap_or_default()/>
                </div>
                <input type="hidden" name="tz_offset_minutes" data-for="slot-starts" value=""/>
                <div class="field" class:field-invalid=move || field_error(publish, "meeting_link").get().is_some()>
                    <label for="slot-link">"Meeting link"</label>
                    {move || field_error(publish, "meeting_link").get().map(|e| view! { <p class="field-error" id="slot-link-error">{e}</p> })}
                    <input id="slot-link" name="meeting_link" type="url" required=true prop:value=move || kept_value(publish, "meeting_link").get().unwrap_or_default()/>
                </div>
                <button type="submit" class="button">"Publish slot"</button>
            </ActionForm>
        </section>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match slots.await {
                    Err(e) => EitherOf3::A(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                    Ok(list) if list.is_empty() => EitherOf3::B(view! { <p class="empty-state">"No future slots yet."</p> }),
                    Ok(list) => EitherOf3::C(view! {
                        <table>
                            <caption>"Future slots"</caption>
                            <thead><tr><th scope="col">"Starts"</th><th scope="col">"Reviewer"</th><th scope="col">"Booked"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|s| view! {
                                    <tr><td><LocalTime iso=s.starts_iso eastern=s.starts_eastern/></td><td>{s.reviewer}</td><td>{if s.booked { "Booked" } else { "Free" }}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }),
                }
            })}
        </Suspense>
        <script src="/localtime.js" defer=true></script>
    }
}

/// The demo and the decision, on the reviewer's page.
#[component]
pub(crate) fn ReviewerDemo(
    id: String,
    can_decide_checklist: bool,
    demo: DemoResource,
) -> impl IntoView {
    let invite = ServerAction::<InviteToDemo>::new();
    let record = ServerAction::<RecordDemo>::new();
    let approve = ServerAction::<ApproveApplication>::new();
    let deny = ServerAction::<DenyApplication>::new();
    let cancel = ServerAction::<CancelDemo>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                demo.await.ok().map(|d| {
                    let actions = d.actions;
                    let (id_invite, id_record, id_approve, id_deny, id_cancel) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                    view! {
                        <section id="demo" aria-labelledby="demo-heading">
                            <h2 id="demo-heading">"Demo"</h2>
                            {match d.booking.clone() {
                                Some(b) => Either::Left(view! { <BookingSummary booking=b/> }),
                                None => Either::Right(view! { <p>{if d.invited { "The applicant is invited to book a demo." } else { "No demo booked yet." }}</p> }),
                            }}
                            {(d.re_review_demo && !actions.record_outcome).then(|| view! {
                                <p id="re-review-demo">"A re-review campaign asks this live app for a new demo; the developer books one of the open slots."</p>
                            })}
                            {actions.invite.then(|| view! {
                                <FormAlert message=form_error(invite)/>
                                <ActionForm action=invite>
                                    <input type="hidden" name="id" value=id_invite/>
                                    <button type="submit" class="button button-secondary">"Invite the applicant to book a demo"</button>
                                </ActionForm>
                            })}
                            <p><a href="/review/slots">"Your demo slots"</a></p>
                            {actions.cancel.then(|| view! {
                                <h3>"Cancel the demo"</h3>
                                <FormAlert message=form_error(cancel)/>
                                <ActionForm action=cancel>
                                    <input type="hidden" name="id" value=id_cancel/>
                                    <div class="field checkbox" class:field-invalid=move || field_error(cancel, "confirm").get().is_some()>
                                        {move || field_error(cancel, "confirm").get().map(|e| view! { <p class="field-error" id="reviewer-cancel-error">{e}</p> })}
                                        <input type="checkbox" id="reviewer-cancel-confirm" name="confirm" value="yes"/>
                                        <label for="reviewer-cancel-confirm">"Yes, cancel the demo (everyone gets the calendar cancellation)"</label>
                                    </div>
                                    <button type="submit" class="button button-secondary">"Cancel the demo"</button>
                                </ActionForm>
                            })}
                            {actions.record_outcome.then(|| view! {
                                <h3>"Record the outcome"</h3>
                                <FormAlert message=form_error(record)/>
                                <ActionForm action=record attr:novalidate=true attr:id="record-demo-form">
                                    <input type="hidden" name="id" value=id_record/>
                                    {server_topics().into_iter().map(|(key, label)| {
                                        let note_id = format!("note-{key}");
                                        let share_id = format!("share-{key}");
                                        view! {
                                            <div class="field">
                                                <label for=note_id.clone()>{format!("{label}: notes (internal unless shared)")}</label>
                                                <textarea id=note_id name=format!("notes[{key}]") rows="2"></textarea>
                                                <div class="checkbox">
                                                    <input type="checkbox" id=share_id.clone() name=format!("shared[{key}]") value="yes"/>
                                                    <label for=share_id>"Share this note with the applicant"</label>
                                                </div>
                                            </div>
                                        }
                                    }).collect_view()}
                                    <fieldset class="field choice" class:field-invalid=move || field_error(record, "outcome").get().is_some()>
                                        <legend>"Outcome"</legend>
                                        {move || field_error(record, "outcome").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        {[("passed", "Passed"), ("concerns", "Passed with concerns to resolve"), ("another_demo", "Another demo needed")].into_iter().map(|(v, l)| {
                                            let oid = format!("outcome-{v}");
                                            view! { <div class="choice-option"><input type="radio" id=oid.clone() name="outcome" value=v/><label for=oid>{l}</label></div> }
                                        }).collect_view()}
                                    </fieldset>
                                    <div class="field" class:field-invalid=move || field_error(record, "concerns").get().is_some()>
                                        <label for="demo-concerns">"Concerns the applicant must resolve (they see this)"</label>
                                        {move || field_error(record, "concerns").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <textarea id="demo-concerns" name="concerns" rows="3" prop:value=move || kept_value(record, "concerns").get().unwrap_or_default()></textarea>
                                    </div>
                                    <button type="submit" class="button">"Record outcome"</button>
                                </ActionForm>
                            })}
                        </section>
                        <section id="decision" aria-labelledby="decision-heading">
                            <h2 id="decision-heading">"Decision"</h2>
                            <Letters letters=d.letters.clone()/>
                            {actions.approve.then(|| view! {
                                <h3>"Approve"</h3>
                                {(!can_decide_checklist).then(|| view! { <p class="hint">"Approval needs every checklist item passed or not applicable."</p> })}
                                <FormAlert message=form_error(approve)/>
                                <ActionForm action=approve>
                                    <input type="hidden" name="id" value=id_approve/>
                                    <div class="field">
                                        <label for="approve-access">"Data access to approve"</label>
                                        <select id="approve-access" name="data_access_type">
                                            {[("13-month", "13-month"), ("one-time", "One-time"), ("research", "Research")].into_iter().map(|(v, l)| view! {
                                                <option value=v selected=d.requested_access == v>{l}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                    <button type="submit" class="button">"Approve and send the letter"</button>
                                </ActionForm>
                            })}
                            {actions.deny.then(|| view! {
                                <h3>"Deny"</h3>
                                <FormAlert message=form_error(deny)/>
                                <ActionForm action=deny attr:novalidate=true>
                                    <input type="hidden" name="id" value=id_deny/>
                                    <div class="field" class:field-invalid=move || field_error(deny, "reason").get().is_some()>
                                        <label for="deny-reason">"Reason (stated in the letter)"</label>
                                        {move || field_error(deny, "reason").get().map(|e| view! { <p class="field-error">{e}</p> })}
                                        <textarea id="deny-reason" name="reason" rows="3" prop:value=move || kept_value(deny, "reason").get().unwrap_or_default()></textarea>
                                    </div>
                                    <div class="field checkbox" class:field-invalid=move || field_error(deny, "confirm").get().is_some()>
                                        {move || field_error(deny, "confirm").get().map(|e| view! { <p class="field-error" id="deny-confirm-error">{e}</p> })}
                                        <input type="checkbox" id="deny-confirm" name="confirm" value="yes"/>
                                        <label for="deny-confirm">"Yes, deny this application"</label>
                                    </div>
                                    <button type="submit" class="button button-danger">"Deny and send the letter"</button>
                                </ActionForm>
                            })}
                        </section>
                    }
                })
            })}}
        </Suspense>
        <script src="/localtime.js" defer=true></script>
    }
}

fn server_topics() -> Vec<(&'static str, &'static str)> {
    vec![
        ("account_creation", "User account creation"),
        ("authorization", "User authorization to share Medicare data"),
        ("display", "How the application displays enrollees' data"),
        ("use", "How enrollees' data is used"),
        ("sharing", "Sharing with others"),
    ]
}

#[component]
fn BookingSummary(booking: BookingDto) -> impl IntoView {
    view! {
        <dl class="definitions booking">
            <dt>"When"</dt><dd><LocalTime iso=booking.slot.starts_iso.clone() eastern=booking.slot.starts_eastern.clone()/></dd>
            <dt>"Status"</dt><dd id="demo-status">{match booking.status.as_str() { "booked" => "Booked", "cancelled" => "Cancelled", _ => "Held" }}</dd>
            <dt>"Meeting link"</dt><dd><a href=booking.slot.meeting_link.clone()>{booking.slot.meeting_link.clone()}</a></dd>
            <dt>"Reviewer"</dt><dd>{booking.slot.reviewer.clone()}</dd>
            {booking.outcome.clone().map(|o| view! { <dt>"Outcome"</dt><dd id="demo-outcome">{o}</dd> })}
            {(!booking.concerns.is_empty()).then(|| view! { <dt>"Concerns to resolve"</dt><dd>{booking.concerns.clone()}</dd> })}
            {booking.notes.iter().map(|(topic, note, shared)| view! {
                <dt>{topic.clone()}</dt>
                <dd>{note.clone()}{shared.then_some(" (shared with the applicant)")}</dd>
            }).collect_view()}
        </dl>
    }
}

#[component]
fn Letters(letters: Vec<LetterDto>) -> impl IntoView {
    (!letters.is_empty()).then(|| view! {
        <ul class="letters">
            {letters.into_iter().map(|l| view! {
                <li><a href=format!("/access/letters/{}", l.id)>{format!("Decision letter ({})", l.decision)}</a>{format!(" · {}", l.at)}</li>
            }).collect_view()}
        </ul>
    })
}

/// The demo on the applicant's page: book, move or cancel it; see the outcome and any letter.
#[component]
pub(crate) fn ApplicantDemo(id: String, demo: DemoResource) -> impl IntoView {
    let book = ServerAction::<BookDemo>::new();
    let cancel = ServerAction::<CancelDemo>::new();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let id = id.clone();
                Suspend::new(async move {
                demo.await.ok().filter(|d| d.invited || d.re_review_demo || d.booking.is_some() || !d.letters.is_empty()).map(|d| {
                    let booked = d.booking.as_ref().is_some_and(|b| b.status == "booked");
                    let (book_id, cancel_id) = (id.clone(), id.clone());
                    let may_book = d.actions.book;
                    view! {
                        <section id="demo" aria-labelledby="demo-heading">
                            <h2 id="demo-heading">"Demo"</h2>
                            {(d.re_review_demo && !booked).then(|| view! { <p id="re-review-demo">"A re-review asks for a new 1-hour demo of the app. Book one of the times below."</p> })}
                            {d.booking.clone().map(|b| view! { <BookingSummary booking=b/> })}
                            {may_book.then(|| view! {
                                <h3>{if booked { "Move the demo to another time" } else { "Book a 1-hour demo" }}</h3>
                                <FormAlert message=form_error(book)/>
                                {if d.slots.is_empty() {
                                    Either::Left(view! { <p class="empty-state">"No times are open right now; the team will add more soon."</p> })
                                } else {
                                    Either::Right(view! {
                                        <ul class="slots">
                                            {d.slots.iter().cloned().map(|s| { let book_id = book_id.clone(); view! {
                                                <li>
                                                    <ActionForm action=book>
                                                        <input type="hidden" name="id" value=book_id/>
                                                        <input type="hidden" name="slot" value=s.id.clone()/>
                                                        <LocalTime iso=s.starts_iso.clone() eastern=s.starts_eastern.clone()/>
                                                        {format!(" with {} ", s.reviewer)}
                                                        <button type="submit" class="button button-small">{if booked { "Move here" } else { "Book this time" }}</button>
                                                    </ActionForm>
                                                </li>
                                            }}).collect_view()}
                                        </ul>
                                    })
                                }}
                            })}
                            {d.actions.cancel.then(|| view! {
                                <h3>"Cancel the demo"</h3>
                                <FormAlert message=form_error(cancel)/>
                                <ActionForm action=cancel>
                                    <input type="hidden" name="id" value=cancel_id/>
                                    <div class="field checkbox" class:field-invalid=move || field_error(cancel, "confirm").get().is_some()>
                                        {move || field_error(cancel, "confirm").get().map(|e| view! { <p class="field-error" id="cancel-confirm-error">{e}</p> })}
                                        <input type="checkbox" id="cancel-confirm" name="confirm" value="yes"/>
                                        <label for="cancel-confirm">"Yes, cancel the demo"</label>
                                    </div>
                                    <button type="submit" class="button button-secondary">"Cancel the demo"</button>
                                </ActionForm>
                            })}
                            <Letters letters=d.letters.clone()/>
                        </section>
                    }
                })
            })}}
        </Suspense>
        <script src="/localtime.js" defer=true></script>
    }
}
