//! The office pages in headless Chromium against a real server on
//! 127.0.0.1 (SQLite) serving ui/dist, with records made on real device
//! engines: log in (a wrong password first), the dashboard, the records and
//! one record's history, finding a person and their timeline, merging and
//! unmerging duplicates, the report frozen and downloaded as XLSX (its
//! cells read back), a coordinator's devices, and erasing a person. All of it under the server's Content-Security-Policy:
//! any violation fails the test. Screenshots of every page at 1440×900 in
//! Polish and English go to `screenshots/office-<page>-<lang>.png`.
//!
//! Needs `trunk build` in ui/ first (scripts/test.sh does it).

use std::path::PathBuf;

use anyhow::{Context, Result, ensure};
use calamine::{Data, Reader, Xlsx};
use odnowa_shared::ids::{PersonId, SpaceId, UserId};
use odnowa_shared::office::{Month, SESSION_COOKIE, ServiceEdit};
use odnowa_shared::records::{Contact, Gender, Person};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::office::OfficeConfig;
use odnowa_sync_server::writer::OfficeAuthor;
use odnowa_sync_server::{accounts, admin};
use odnowa_tests::browser::Browser;
use odnowa_tests::{Backend, TestDevice, TestServer};

const PASSWORD: &str = "correct horse battery";
const STREET_A: &str = "Streetwork — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";

fn ui_dist() -> Result<PathBuf> {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    ensure!(
        dist.join("index.html").exists(),
        "ui/dist is missing: run `trunk build` in ui/ (scripts/test.sh does)"
    );
    Ok(dist)
}

async fn device(
    server: &TestServer,
    user: &str,
    team: &str,
) -> Result<(TestDevice, UserId, SpaceId)> {
    let code = server
        .user_with_code(user, &["registry", team], &[])
        .await?;
    let device = TestDevice::enrol(&server.url(), &code, user).await?;
    device.engine.sync_now().await?;
    Ok((
        device,
        server.db.user_by_name(user).await?,
        server.db.space_by_name(team).await?,
    ))
}

async fn person(device: &TestDevice, alias: &str, born: i64, gender: &str) -> Result<PersonId> {
    let mut person = Person::new(alias, Timestamp::now());
    person.birth_year = Some(born);
    person.gender = Gender::new(gender);
    // As the app registers a person: naming who did.
    person.created_by = device.engine.identity().await.map(|i| i.user);
    device.engine.save(&person).await?;
    Ok(person.person_id())
}

async fn contact(
    device: &TestDevice,
    (space, worker): (SpaceId, UserId),
    persons: &[PersonId],
    services: &[&str],
    place: &str,
    minutes: i64,
) -> Result<()> {
    let mut contact = Contact::new(space, worker, Timestamp::now());
    for person in persons {
        contact = contact.with_person(*person);
    }
    for service in services {
        contact = contact.with_service(service);
    }
    contact.place = place.into();
    contact.duration_min = Some(minutes);
    device.engine.save(&contact).await?;
    Ok(())
}

/// A consortium of two members with a few weeks of street work.
async fn consortium() -> Result<TestServer> {
    let server =
        TestServer::start_with(Backend::Sqlite, OfficeConfig::default(), Some(ui_dist()?)).await?;
    admin::create_member(&server.sync, "Stowarzyszenie Przystań").await?;
    admin::create_member(&server.sync, "Spółdzielnia Odnowa").await?;
    admin::create_space(&server.db, STREET_A, Some("Stowarzyszenie Przystań")).await?;
    admin::create_space(&server.db, STREET_B, Some("Spółdzielnia Odnowa")).await?;
    for (code, pl, en) in [
        ("food", "Posiłek / żywność", "Food"),
        ("hot_drink", "Gorący napój", "Hot drink"),
        (
            "conversation",
            "Rozmowa wspierająca",
            "Supportive conversation",
        ),
    ] {
        let edit = ServiceEdit {
            code: code.into(),
            name_pl: pl.into(),
            name_en: en.into(),
            org: None,
            retired: false,
            contract_from: None,
            contract_to: None,
            targets: [("unique_persons".to_string(), 120)].into(),
        };
        server
            .sync
            .put_service(&OfficeAuthor::admin_cli(), &edit)
            .await?;
    }
    accounts::create_user(&server.db, "biuro", None, "office", &[], &[]).await?;
    accounts::set_password(&server.db, "biuro", PASSWORD).await?;

    let (a, ola, space_a) = device(&server, "ola", STREET_A).await?;
    let (b, jan, space_b) = device(&server, "jan", STREET_B).await?;
    let zbyszek = person(&a, "Zbyszek", 1970, "male").await?;
    let twin = person(&b, "Żbyszek", 1971, "male").await?;
    let ania = person(&b, "Ania", 1990, "female").await?;
    let marek = person(&a, "Marek", 2009, "male").await?;
    contact(
        &a,
        (space_a, ola),
        &[zbyszek],
        &["food", "hot_drink"],
        "Dworzec PKP",
        20,
    )
    .await?;
    contact(
        &a,
        (space_a, ola),
        &[zbyszek, marek],
        &["conversation"],
        "Dworzec PKP",
        45,
    )
    .await?;
    contact(
        &b,
        (space_b, jan),
        &[twin],
        &["hot_drink"],
        "Dworzec PKP",
        10,
    )
    .await?;
    contact(&b, (space_b, jan), &[ania], &["food"], "Park Miejski", 15).await?;
    a.engine.sync_now().await?;
    b.engine.sync_now().await?;
    Ok(server)
}

/// A month as the Polish pages name it ("grudzień 2026"), written here by
/// hand rather than taken from the UI's own function.
fn office_month_name(month: Month) -> String {
    let names = [
        "styczeń",
        "luty",
        "marzec",
        "kwiecień",
        "maj",
        "czerwiec",
        "lipiec",
        "sierpień",
        "wrzesień",
        "październik",
        "listopad",
        "grudzień",
    ];
    format!("{} {}", names[(month.month - 1) as usize], month.year)
}

/// Screenshots of the page as it is, in Polish and in English (and back
/// to Polish).
async fn both_languages(browser: &Browser, page: &str, ready: &str) -> Result<()> {
    for lang in ["en", "pl"] {
        browser.click(&format!("[data-testid=lang-{lang}]")).await?;
        browser.find(ready).await?;
        browser.scroll_to(ready).await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        browser.screenshot(&format!("office-{page}-{lang}")).await?;
        browser.check_a11y(&format!("office-{page}-{lang}")).await?;
    }
    // A smaller office screen, 1024 wide: nothing runs off the page.
    browser.resize(1024, 768).await?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    browser
        .screenshot(&format!("office-{page}-1024-pl"))
        .await?;
    browser
        .check_a11y(&format!("office-{page}-1024-pl"))
        .await?;
    let wider = browser
        .eval_bool("return document.documentElement.scrollWidth > window.innerWidth + 1;")
        .await?;
    ensure!(!wider, "office-{page} at 1024 px is wider than the window");
    browser.resize(1440, 900).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_in_a_browser() -> Result<()> {
    let server = consortium().await?;
    let browser = Browser::start("office").await?;
    browser.open(&format!("{}/", server.url())).await?;

    // The login: a wrong password says so.
    browser.find("[data-testid=login-form]").await?;
    // The pages run under the server's Content-Security-Policy (the
    // loader script allowed by its hash, the wasm by 'wasm-unsafe-eval'):
    // nothing they do is blocked, from the first load on.
    browser.watch_csp().await?;
    both_languages(&browser, "login", "[data-testid=login-form]").await?;
    browser
        .type_into("[data-testid=login-user]", "biuro")
        .await?;
    browser
        .type_into("[data-testid=login-password]", "wrong password")
        .await?;
    browser.click("[data-testid=login-submit]").await?;
    browser
        .wait_for_text("[data-testid=login-error]", "Nieprawidłowa")
        .await?;
    browser
        .type_into("[data-testid=login-password]", PASSWORD)
        .await?;
    browser.click("[data-testid=login-submit]").await?;

    // The dashboard: this month per service, and the chart.
    browser
        .find("[data-testid=dashboard-row][data-service=food]")
        .await?;
    let food = browser
        .wait_for_text("[data-testid=dashboard-row][data-service=food]", "Posiłek")
        .await?;
    let text = food.text().await?;
    let words: Vec<&str> = text.split_whitespace().collect();
    ensure!(words.ends_with(&["2", "2", "0,6"]), "{text:?}");
    browser.find("[data-testid=chart]").await?;
    let month = Month::of(Date::today()).to_string();
    let bar = browser
        .attr(
            &format!("[data-testid=chart-bar][data-month='{month}']"),
            "data-value",
        )
        .await?;
    ensure!(bar.as_deref() == Some("4"), "{bar:?}");
    // The table's total agrees with the chart, and says why the rows sum
    // to more; the month is named, not numbered.
    let total = browser
        .attr("[data-testid=dashboard-total]", "data-value")
        .await?;
    ensure!(
        total == bar,
        "the table's total {total:?}, the chart's bar {bar:?}"
    );
    browser.find("[data-testid=dashboard-totals-note]").await?;
    browser
        .wait_for_text("h2", &office_month_name(Month::of(Date::today())))
        .await?;
    both_languages(&browser, "dashboard", "[data-testid=chart]").await?;

    // The records, and one record with its history.
    browser.click("[data-testid=nav-records]").await?;
    browser
        .wait_for_text("[data-testid=records-count]", "4")
        .await?;
    ensure!(browser.count("[data-testid=records-row]").await? == 4);
    both_languages(&browser, "records", "[data-testid=records-row]").await?;
    browser
        .click_text("[data-testid=records-row]", "Park Miejski")
        .await?;
    browser
        .wait_for_text("[data-testid=record-detail]", "Ania")
        .await?;
    browser
        .wait_for_text("[data-testid=history-row]", "jan")
        .await?;
    both_languages(&browser, "record", "[data-testid=history-row]").await?;

    // Find a person; their timeline.
    browser.click("[data-testid=nav-persons]").await?;
    browser
        .type_into("[data-testid=person-search]", "zbysz")
        .await?;
    browser
        .find("[data-testid=person-row][data-alias='Żbyszek']")
        .await?;
    browser
        .click("[data-testid=person-row][data-alias='Zbyszek']")
        .await?;
    browser.find("[data-testid=timeline-entry]").await?;
    ensure!(browser.count("[data-testid=timeline-entry]").await? == 2);
    // The person's access log below: the changes to their records.
    browser
        .find("[data-testid=audit-entry][data-action=change]")
        .await?;
    both_languages(&browser, "timeline", "[data-testid=timeline-entry]").await?;
    let views = server.db.audit_rows("view_timeline").await?;
    ensure!(!views.is_empty(), "opening a timeline is audited");

    // Duplicates: merge the two Zbyszeks, see it, undo it.
    browser.click("[data-testid=nav-duplicates]").await?;
    browser.find("[data-testid=duplicate-pair]").await?;
    // Side by side: each with the member organisations that met them.
    ensure!(browser.count("[data-testid=pair-side]").await? == 2);
    let orgs: Vec<String> = browser.texts("[data-testid=pair-orgs]").await?;
    ensure!(
        orgs.iter().any(|o| o.contains("Spółdzielnia Odnowa"))
            && orgs.iter().any(|o| o.contains("Stowarzyszenie Przystań")),
        "{orgs:?}"
    );
    browser
        .wait_for_text("[data-testid=duplicate-pair]", "Podobieństwo")
        .await?;
    browser
        .wait_for_text("[data-testid=duplicate-pair]", "%")
        .await?;
    both_languages(&browser, "duplicates", "[data-testid=duplicate-pair]").await?;
    let keep = browser
        .attr("[data-testid=duplicate-pair]", "data-a")
        .await?;
    browser.click("[data-testid=merge-keep-a]").await?;
    browser.accept_dialog().await?;
    browser.find("[data-testid=merged-person]").await?;
    browser.find("[data-testid=no-duplicates]").await?;
    let merged = server
        .db
        .person_summaries(
            &server
                .db
                .find_persons("bysz")
                .await?
                .iter()
                .map(|p| p.id)
                .collect::<Vec<_>>(),
        )
        .await?;
    ensure!(
        merged.iter().filter(|p| p.merged_into.is_some()).count() == 1
            && merged
                .iter()
                .any(|p| Some(&p.alias) == keep.as_ref() && p.merged_into.is_none()),
        "{merged:?}"
    );
    browser.screenshot("office-duplicates-merged-pl").await?;
    browser.click("[data-testid=unmerge]").await?;
    browser.find("[data-testid=duplicate-pair]").await?;
    ensure!(!browser.exists("[data-testid=merged-person]").await?);
    // "These are different people": the pair goes, and is remembered (on
    // both persons' records, so the finder never proposes it again).
    browser.click("[data-testid=not-duplicates]").await?;
    browser.find("[data-testid=no-duplicates]").await?;
    ensure!(
        server.db.duplicates().await?.is_empty(),
        "the server proposes the pair again"
    );
    browser.click("[data-testid=nav-dashboard]").await?;
    browser.click("[data-testid=nav-duplicates]").await?;
    browser.find("[data-testid=no-duplicates]").await?;

    // The report: this month, frozen, downloaded.
    browser.click("[data-testid=nav-report]").await?;
    // The period is picked (a year and a month by name), never typed.
    let this_month = Month::of(Date::today());
    browser
        .select("[data-testid=report-year]", &this_month.year.to_string())
        .await?;
    browser
        .select("[data-testid=report-month]", &this_month.month.to_string())
        .await?;
    browser.click("[data-testid=report-show]").await?;
    browser
        .find("[data-testid=report-row][data-service=hot_drink]")
        .await?;
    ensure!(browser.count("[data-testid=report-row]").await? == 5);
    // A column per gender and per age band, and a note that says why the
    // service rows (5 contacts: one had two services) exceed the total (4).
    browser
        .find("[data-testid=report-consortium] td[data-gender=female]")
        .await?;
    browser
        .find("[data-testid=report-consortium] td[data-age=\"65+\"]")
        .await?;
    browser
        .wait_for_text(
            "[data-testid=report-totals-note]",
            "Wiersze usług sumują się do 5 kontaktów i sesji",
        )
        .await?;
    browser
        .wait_for_text("[data-testid=report-totals-note]", "podaje 4")
        .await?;
    both_languages(&browser, "report", "[data-testid=report-row]").await?;
    browser.click("[data-testid=freeze]").await?;
    browser.accept_dialog().await?;
    browser.find("[data-testid=report-frozen]").await?;
    let href = browser
        .attr("[data-testid=report-xlsx]", "href")
        .await?
        .context("a download link")?;
    let url = if href.starts_with("http") {
        href
    } else {
        format!("{}{href}", server.url())
    };
    let cookie = browser.cookie(SESSION_COOKIE).await?;
    let response = reqwest::Client::new()
        .get(&url)
        .header("cookie", format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await?;
    ensure!(response.status().is_success(), "{}", response.status());
    let bytes = response.bytes().await?;
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))?;
    let sheet = workbook.worksheet_range("Raport")?;
    ensure!(sheet.get_value((0, 1)) == Some(&Data::String(month.clone())));
    let total = (4..sheet.height() as u32)
        .find(|r| sheet.get_value((*r, 3)) == Some(&Data::String("Konsorcjum ogółem".into())))
        .context("the consortium total row")?;
    // Four contacts; four persons (the twins are not merged any more).
    ensure!(
        sheet.get_value((total, 4)) == Some(&Data::Float(4.0)),
        "{:?}",
        sheet.get_value((total, 4))
    );
    ensure!(
        sheet.get_value((total, 5)) == Some(&Data::Float(4.0)),
        "{:?}",
        sheet.get_value((total, 5))
    );
    browser.screenshot("office-report-frozen-pl").await?;

    // The catalogue: a new service, which phones get at their next sync.
    browser.click("[data-testid=nav-catalogue]").await?;
    browser
        .find("[data-testid=catalogue-service][data-code=food]")
        .await?;
    // The code is made from the name as it is typed; it can be changed.
    browser
        .type_into("[data-testid=service-name-pl]", "Koc zimowy")
        .await?;
    let made = browser.prop("[data-testid=service-code]", "value").await?;
    ensure!(
        made.as_deref() == Some("koc_zimowy"),
        "the code made from the name: {made:?}"
    );
    browser
        .type_into("[data-testid=service-code]", "blanket")
        .await?;
    browser
        .type_into("[data-testid=service-name-pl]", "Koc")
        .await?;
    browser
        .type_into("[data-testid=service-name-en]", "Blanket")
        .await?;
    // The contract period: two days typed day first.
    browser
        .type_into("[data-testid=service-contract-from]", "01.01.2026")
        .await?;
    browser
        .type_into("[data-testid=service-contract-to]", "31.12.2026")
        .await?;
    browser
        .type_into("[data-testid=service-target-unique]", "80")
        .await?;
    browser.click("[data-testid=save-service]").await?;
    browser.find("[data-testid=catalogue-saved]").await?;
    browser
        .find("[data-testid=catalogue-service][data-code=blanket]")
        .await?;
    let catalogue = server.sync.catalogue().await?;
    let blanket = catalogue
        .services
        .get("blanket")
        .context("the new service")?;
    ensure!(blanket.name_en == "Blanket" && blanket.targets.get("unique_persons") == Some(&80));
    ensure!(blanket.contract_to == Some("2026-12-31".parse()?));
    both_languages(&browser, "catalogue", "[data-testid=catalogue-service]").await?;

    // Logging out returns to the login.
    browser.click("[data-testid=logout]").await?;
    browser.find("[data-testid=login-form]").await?;

    // A coordinator enrols a new phone for Ola and revokes it.
    accounts::create_user(
        &server.db,
        "kasia",
        Some("Stowarzyszenie Przystań"),
        "coordinator",
        &[],
        &[],
    )
    .await?;
    accounts::set_password(&server.db, "kasia", PASSWORD).await?;
    browser
        .type_into("[data-testid=login-user]", "kasia")
        .await?;
    browser
        .type_into("[data-testid=login-password]", PASSWORD)
        .await?;
    browser.click("[data-testid=login-submit]").await?;
    // Her own dashboard and report: Przystań's contacts only (2 of 4),
    // said on the page, no freezing.
    browser.find("[data-testid=dashboard-scope]").await?;
    let theirs = browser
        .attr("[data-testid=dashboard-total]", "data-value")
        .await?;
    ensure!(
        theirs.as_deref() == Some("2"),
        "the coordinator's dashboard counts {theirs:?}"
    );
    both_languages(
        &browser,
        "coordinator-dashboard",
        "[data-testid=dashboard-scope]",
    )
    .await?;
    browser.click("[data-testid=nav-report]").await?;
    browser.find("[data-testid=report-scope]").await?;
    ensure!(!browser.exists("[data-testid=freeze]").await?);
    browser.click("[data-testid=nav-team]").await?;
    browser
        .find("[data-testid=team-member][data-user=ola] [data-testid=team-device]")
        .await?;
    ensure!(
        !browser
            .exists("[data-testid=team-member][data-user=jan]")
            .await?,
        "another organisation's worker is not listed"
    );
    browser
        .click("[data-testid=team-member][data-user=ola] [data-testid=new-enrol-code]")
        .await?;
    let code = browser
        .find("[data-testid=enrol-code-value]")
        .await?
        .text()
        .await?;
    let phone = TestDevice::enrol(&server.url(), code.trim(), "Telefon zapasowy").await?;
    phone.engine.sync_now().await?;
    both_languages(&browser, "team-code", "[data-testid=enrol-code]").await?;
    browser.click("[data-testid=nav-records]").await?;
    browser.click("[data-testid=nav-team]").await?;
    let spare = "[data-testid=team-device][data-device='Telefon zapasowy']";
    browser
        .click(&format!("{spare} [data-testid=revoke-device]"))
        .await?;
    browser.accept_dialog().await?;
    browser.wait_for_text(spare, "dostęp odebrany").await?;
    ensure!(
        matches!(
            phone.engine.sync_now().await,
            Err(odnowa_app::engine::EngineError::Revoked)
        ),
        "the revoked phone is cut off"
    );
    // Ola's access log: her changes, listed for her coordinator.
    browser
        .click("[data-testid=team-member][data-user=ola] [data-testid=show-audit]")
        .await?;
    browser
        .find("[data-testid=audit-entry][data-action=change]")
        .await?;
    both_languages(&browser, "team", "[data-testid=audit-entry]").await?;

    // A person the other member registered: the plan says only the
    // consortium office may erase them, and offers no button.
    browser.click("[data-testid=nav-persons]").await?;
    browser
        .type_into("[data-testid=person-search]", "żbyszek")
        .await?;
    browser
        .click("[data-testid=person-row][data-alias='Żbyszek']")
        .await?;
    browser.click("[data-testid=erase-plan]").await?;
    browser.find("[data-testid=erase-held-elsewhere]").await?;
    ensure!(!browser.exists("[data-testid=erase-form]").await?);
    both_languages(
        &browser,
        "erase-elsewhere",
        "[data-testid=erase-held-elsewhere]",
    )
    .await?;

    // The coordinator erases Marek at his request: the plan first, then
    // the reason and a confirmation; the Erasures page lists the devices
    // that have not purged yet.
    browser.click("[data-testid=nav-persons]").await?;
    browser
        .type_into("[data-testid=person-search]", "marek")
        .await?;
    browser
        .click("[data-testid=person-row][data-alias='Marek']")
        .await?;
    browser.click("[data-testid=erase-plan]").await?;
    browser
        .wait_for_text("[data-testid=erase-plan-lines]", "1")
        .await?;
    both_languages(&browser, "erase", "[data-testid=erase-form]").await?;
    // At the top of the person's page, named in its heading.
    browser
        .wait_for_text("[data-testid=erase] h3", "Marek")
        .await?;
    browser
        .type_into("[data-testid=erase-reason]", "wniosek RODO 7/2026")
        .await?;
    // Nothing goes until the person is named: alias and birth year typed.
    ensure!(
        browser
            .attr("[data-testid=erase-confirm]", "disabled")
            .await?
            .is_some(),
        "erasing without naming the person"
    );
    browser
        .type_into("[data-testid=erase-alias]", "marek")
        .await?;
    browser
        .type_into("[data-testid=erase-year]", "2008")
        .await?;
    ensure!(
        browser
            .attr("[data-testid=erase-confirm]", "disabled")
            .await?
            .is_some(),
        "erasing with a wrong birth year"
    );
    browser
        .type_into("[data-testid=erase-year]", "2009")
        .await?;
    browser.click("[data-testid=erase-confirm]").await?;
    browser
        .wait_for_text("[data-testid=erasure]", "wniosek RODO 7/2026")
        .await?;
    browser
        .find("[data-testid=erasure-pending][data-device=ola]")
        .await?;
    // A revoked device is listed apart, as not needing to confirm.
    browser
        .wait_for_text("[data-testid=erasure-revoked]", "Telefon zapasowy")
        .await?;
    ensure!(
        !browser
            .exists("[data-testid=erasure-pending][data-device='Telefon zapasowy']")
            .await?,
        "a revoked device waits for a confirmation that never comes"
    );
    both_languages(&browser, "erasures", "[data-testid=erasure]").await?;
    let marek = server.db.find_persons("marek").await?;
    ensure!(marek.is_empty(), "erased: no longer found by alias");
    let erasures = server.db.erasures(10).await?;
    ensure!(erasures.len() == 1 && erasures[0].by == "kasia");
    let blocked = browser.csp_violations().await?;
    ensure!(blocked.is_empty(), "blocked by the CSP: {blocked:?}");
    browser.close().await?;
    Ok(())
}

/// A fresh server: the login page nobody could pass now offers setting up
/// the first administrator with the code from the server's log; a wrong
/// code says so; the right one logs in, and the offer is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_administrator_is_set_up_on_the_page() -> Result<()> {
    const CODE: &str = "KLMNP-QRSTU";
    let config = OfficeConfig {
        setup_code: Some(CODE.into()),
        ..OfficeConfig::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, config, Some(ui_dist()?)).await?;
    let browser = Browser::start("first-run").await?;
    browser.open(&format!("{}/", server.url())).await?;
    browser.find("[data-testid=setup-form]").await?;
    both_languages(&browser, "setup", "[data-testid=setup-form]").await?;
    browser
        .type_into("[data-testid=setup-user]", "biuro")
        .await?;
    browser
        .type_into("[data-testid=setup-password]", PASSWORD)
        .await?;
    browser
        .type_into("[data-testid=setup-password-repeat]", PASSWORD)
        .await?;
    browser
        .type_into("[data-testid=setup-code]", "ZZZZZ-ZZZZZ")
        .await?;
    browser.click("[data-testid=setup-submit]").await?;
    browser
        .wait_for_text("[data-testid=setup-error]", "kod z dziennika")
        .await?;
    browser
        .type_into("[data-testid=setup-code]", &CODE.to_lowercase())
        .await?;
    browser.click("[data-testid=setup-submit]").await?;
    browser.find("[data-testid=dashboard]").await?;
    ensure!(server.db.office_login_exists().await?);
    // Logged out, the page offers only the login.
    browser.click("[data-testid=logout]").await?;
    browser.find("[data-testid=login-form]").await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    ensure!(
        !browser.exists("[data-testid=setup-form]").await?,
        "the set-up is offered again"
    );
    browser.close().await
}
