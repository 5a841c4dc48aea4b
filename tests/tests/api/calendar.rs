//! Closure days: admins add them, every service-level clock skips them,
//! nobody else may change the calendar.
use portal_tests::{access::*, db_tests, location, Backend, TestApp};
use server::{
    calendar::FederalCalendar,
    entities::{access_request, audit_event},
    ids::Role,
    sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter},
};

async fn a_closure_day_moves_the_first_response_clock(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = account(&app, "admin@cms.example.gov", Role::Admin).await;
    let reviewer = account(&app, "rae@cms.example.gov", Role::Reviewer).await;

    // The next business day (Eastern time) falls inside any 24-business-hour window.
    let now = app.state.clock.now();
    let today = (now
        + chrono::Duration::seconds(server::calendar::eastern_offset(now).local_minus_utc() as i64))
    .date_naive();
    let federal = FederalCalendar::default();
    let mut closed = today + chrono::Duration::days(1);
    while !federal.is_business_day(closed) {
        closed += chrono::Duration::days(1);
    }
    let day = closed.to_string();

    let res = app
        .post_form(
            &reviewer,
            "admin/calendar/add",
            &[("day", &day), ("reason", "Snow")],
        )
        .await;
    assert!(
        res.text().await.unwrap().contains("Forbidden"),
        "reviewers may not change the calendar"
    );
    let res = app
        .post_form(
            &admin,
            "admin/calendar/add",
            &[("day", &day), ("reason", "")],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Say why offices are closed"));
    let res = app
        .post_form(
            &admin,
            "admin/calendar/add",
            &[("day", &day), ("reason", "Snow day")],
        )
        .await;
    assert_eq!(location(&res), "/admin/calendar?added=1");
    let res = app
        .post_form(
            &admin,
            "admin/calendar/add",
            &[("day", &day), ("reason", "Again")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("already a closure day"));
    let thanksgiving = "2026-11-26";
    let res = app
        .post_form(
            &admin,
            "admin/calendar/add",
            &[("day", thanksgiving), ("reason", "Extra")],
        )
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Offices are already closed that day (Thanksgiving Day)"));
    let calendar_page = page(&app, &admin, "/admin/calendar").await;
    assert!(calendar_page.contains("Snow day"));

    let dev = account(&app, "dev@acme.example.com", Role::Developer).await;
    let id = start_application(&app, &dev, "Acme Claims Viewer").await;
    complete(&app, &dev, &id).await;
    submit(&app, &dev, &id, "0").await;
    let request = access_request::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let submitted = request.submitted_at.unwrap();
    let due = request.first_response_due_at.unwrap();
    assert_eq!(
        due,
        FederalCalendar::with_closures([closed]).add_business_hours(submitted, 24)
    );
    assert!(
        due > federal.add_business_hours(submitted, 24),
        "the closure day pushed the clock back"
    );

    let res = app
        .post_form(&admin, "admin/calendar/remove", &[("day", &day)])
        .await;
    assert!(res.text().await.unwrap().contains("Tick the box"));
    let res = app
        .post_form(
            &admin,
            "admin/calendar/remove",
            &[("day", &day), ("confirm", "yes")],
        )
        .await;
    assert_eq!(location(&res), "/admin/calendar?removed=1");
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.starts_with("calendar.closure_"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(audited, 2, "added and removed, both audited");
    app.stop().await;
}

db_tests!(a_closure_day_moves_the_first_response_clock);
