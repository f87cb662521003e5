//! The field app end to end: the real Tauri binary (WebKitGTK in Xvfb,
//! driven through tauri-driver and WebKitWebDriver) against a real sync
//! server on 127.0.0.1 with its SQLite file. An "office" engine seeds what
//! the consortium office would have entered (persons, sites) and checks
//! what reached the server.
//!
//! Every test writes screenshots (phone 360×780 and tablet 1280×800, Polish
//! and English) into `screenshots/` (or `ODNOWA_SCREENSHOTS`).
//!
//! The tests take turns (one app session at a time per test) so that two
//! cores are enough for WebKit, the app and the server.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use odnowa_shared::ids::{DocId, PersonId, SiteId};
use odnowa_shared::records::{Catalogue, CatalogueSite, Contact, DaySession, Person, Workshop};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::{accounts, admin};
use odnowa_tests::app::{AppUnderTest, VirtualDisplay};
use odnowa_tests::{Backend, TestDevice, TestServer, eventually};

const PHONE: (u32, u32) = (360, 780);
const TABLET: (u32, u32) = (1280, 800);
const TEAM: &str = "Streetwork — Fundacja A";
/// The PIN the apps under test are enrolled with.
const APP_PIN: &str = "246810";

/// One app at a time: WebKit, the app and the server share two cores.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// A server, a display, and an office engine that has entered a person and
/// two sites.
struct World {
    server: TestServer,
    display: VirtualDisplay,
    office: TestDevice,
    zbyszek: PersonId,
    day_room: SiteId,
    workshop_room: SiteId,
}

async fn world() -> Result<World> {
    let server = TestServer::start(Backend::Sqlite).await?;
    admin::create_space(&server.db, TEAM, None).await?;
    let code = server
        .user_with_code("office", &[TEAM, "registry"], &[])
        .await?;
    let office = TestDevice::enrol(&server.url(), &code, "office").await?;
    // A device learns the spaces it may write at its first sync.
    office.engine.sync_now().await?;

    let mut zbyszek = Person::new("Zbyszek", Timestamp::now());
    zbyszek.birth_year = Some(1970);
    office.engine.save(&zbyszek).await?;

    let (day_room, workshop_room) = (SiteId::random(), SiteId::random());
    let mut catalogue = office
        .engine
        .get::<Catalogue>(DocId::catalogue())
        .await?
        .unwrap_or_else(Catalogue::with_default_services);
    for (site, name, kind) in [
        (day_room, "Świetlica Promyk", "day_room"),
        (workshop_room, "Pracownia Odnowa", "workshop"),
    ] {
        catalogue.sites.insert(
            site.to_string(),
            CatalogueSite {
                name: name.to_string(),
                site_kind: kind.to_string(),
                org: None,
            },
        );
    }
    server.write_catalogue(&catalogue).await?;
    office.engine.sync_now().await?;

    Ok(World {
        server,
        display: VirtualDisplay::start()?,
        office,
        zbyszek: zbyszek.person_id(),
        day_room,
        workshop_room,
    })
}

/// Launches the app at `size`, enrols it as a new user `user` through the
/// enrolment screen, and waits for the first sync to finish. Screenshots
/// of the enrolment and first-sync screens are named `<shots>-…`.
async fn enrolled_app(
    world: &World,
    user: &str,
    size: (u32, u32),
    shots: Option<&str>,
) -> Result<AppUnderTest> {
    enrolled_app_at(world, &world.server.url(), user, size, shots).await
}

/// [`enrolled_app`] with the server at `url` (a relay in front of it).
async fn enrolled_app_at(
    world: &World,
    url: &str,
    user: &str,
    size: (u32, u32),
    shots: Option<&str>,
) -> Result<AppUnderTest> {
    let code = world
        .server
        .user_with_code(user, &[TEAM, "registry"], &[])
        .await?;
    let mut app = AppUnderTest::launch(&world.display, user).await?;
    app.resize(size.0, size.1).await?;
    app.find(&tid("enrol-server")).await?;
    if let Some(shots) = shots {
        screenshots_pl_en(&mut app, &format!("{shots}-enrol")).await?;
    }
    app.type_into(&tid("enrol-server"), url).await?;
    app.type_into(&tid("enrol-code"), &code).await?;
    app.type_into(&tid("enrol-device-name"), &format!("Telefon {user}"))
        .await?;
    app.type_into(&tid("enrol-pin"), APP_PIN).await?;
    app.type_into(&tid("enrol-pin-repeat"), APP_PIN).await?;
    app.tap(&tid("enrol-submit")).await?;
    // The first-sync screen moves on by itself once the first sync is done.
    if let Some(shots) = shots
        && app.exists(&tid("first-sync")).await?
    {
        app.screenshot(&format!("{shots}-first-sync-pl")).await?;
    }
    app.find(&tid("nav-outreach")).await?;
    Ok(app)
}

/// Both languages of the screen in front of the app, as
/// `<name>-pl.png` and `<name>-en.png`; leaves the app in Polish.
async fn screenshots_pl_en(app: &mut AppUnderTest, name: &str) -> Result<()> {
    app.screenshot(&format!("{name}-pl")).await?;
    screen_is_usable(app, &format!("{name}-pl")).await?;
    app.tap(&tid("lang-en")).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.screenshot(&format!("{name}-en")).await?;
    screen_is_usable(app, &format!("{name}-en")).await?;
    app.tap(&tid("lang-pl")).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// [`screenshots_pl_en`] of the part of the screen `css` is in (scrolled
/// there again after the language switch, which may scroll to the top).
async fn screenshots_pl_en_of(app: &mut AppUnderTest, name: &str, css: &str) -> Result<()> {
    let scroll = format!(
        "const e = document.querySelector('{}'); if (e) e.scrollIntoView(); return !!e;",
        css.replace('\'', "\\'")
    );
    for lang in ["pl", "en"] {
        app.tap(&tid(&format!("lang-{lang}"))).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        ensure!(
            app.eval(&scroll).await?.as_bool() == Some(true),
            "no `{css}` to show"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.screenshot(&format!("{name}-{lang}")).await?;
        screen_is_usable(app, &format!("{name}-{lang}")).await?;
    }
    app.tap(&tid("lang-pl")).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(())
}

/// What every photographed screen must pass: the header whole, no WCAG 2.2
/// A/AA violation (axe-core: contrast of text and control edges, names,
/// ...), every control at least 48 px each way.
async fn screen_is_usable(app: &AppUnderTest, screen: &str) -> Result<()> {
    header_fits(app, screen).await?;
    app.check_a11y(screen).await?;
    targets_fit(app, screen).await
}

/// Every visible button, link and input is at least 48 × 48 px (a tick
/// box counts with its label, which takes the tap too).
async fn targets_fit(app: &AppUnderTest, screen: &str) -> Result<()> {
    let small = app
        .eval(
            "const small = []; \
             for (const e of document.querySelectorAll('button, a[href], input, select, textarea, [role=switch]')) { \
               const label = (e.type === 'checkbox' || e.type === 'radio') ? e.closest('label') : null; \
               const r = (label || e).getBoundingClientRect(); \
               if (r.width === 0 || r.height === 0 || e.closest('[hidden]')) continue; \
               if (e.type === 'hidden') continue; \
               if (r.height < 47.5 || r.width < 47.5) \
                 small.push((e.dataset.testid || e.className || e.tagName) + ' ' + \
                   Math.round(r.width) + 'x' + Math.round(r.height)); \
             } \
             return small;",
        )
        .await?;
    ensure!(
        small.as_array().is_some_and(|s| s.is_empty()),
        "{screen}: controls smaller than 48 px: {small}"
    );
    Ok(())
}

/// The header shows its sync state whole (a count cut off as "1 d…" says
/// nothing) and nothing in it runs past the screen's edge.
async fn header_fits(app: &AppUnderTest, screen: &str) -> Result<()> {
    let cut = app
        .eval(
            "const header = document.querySelector('.app-header'); \
             if (!header) return []; \
             const cut = []; \
             for (const e of header.querySelectorAll('.sync-text, button, a')) { \
               if (e.scrollWidth > e.clientWidth + 1) cut.push(e.textContent.trim()); \
               const r = e.getBoundingClientRect(); \
               if (r.right > window.innerWidth + 1 || r.left < -1) cut.push('off screen: ' + e.textContent.trim()); \
             } \
             return cut;",
        )
        .await?;
    ensure!(
        cut.as_array().is_some_and(|cut| cut.is_empty()),
        "{screen}: the header cuts off {cut}"
    );
    Ok(())
}

async fn count(app: &AppUnderTest, css: &str) -> Result<usize> {
    Ok(app
        .eval(&format!(
            "return document.querySelectorAll('{}').length;",
            css.replace('\'', "\\'")
        ))
        .await?
        .as_u64()
        .unwrap_or(0) as usize)
}

/// Waits until `css` matches exactly `n` elements.
async fn wait_count(app: &AppUnderTest, css: &str, n: usize) -> Result<()> {
    for _ in 0..150 {
        if count(app, css).await? == n {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("`{css}` did not reach {n} elements within 30 s")
}

/// Logs a contact with Zbyszek and two services the long way (search,
/// pick, two chips, save): what a worker does the first time.
async fn first_contact(app: &mut AppUnderTest) -> Result<()> {
    app.tap(&tid("new-contact")).await?;
    // Diacritics-insensitive: "źbys" finds "Zbyszek".
    app.type_into(&tid("person-search"), "źbys").await?;
    app.tap(&format!("{}[data-alias=\"Zbyszek\"]", tid("person-row")))
        .await?;
    app.tap(&tid("service-food")).await?;
    app.tap(&tid("service-hot_drink")).await?;
    app.type_into(&tid("contact-place"), "Dworzec PKP").await?;
    app.tap(&tid("save-contact")).await?;
    wait_count(app, &tid("contact-row"), 1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outreach_worker_logs_a_contact_in_three_taps() -> Result<()> {
    let _turn = TURN.lock().await;
    let world = world().await?;
    let mut app = enrolled_app(&world, "marta", PHONE, Some("phone")).await?;
    app.find(&tid("no-contacts")).await?;
    screenshots_pl_en(&mut app, "phone-outreach-empty").await?;

    first_contact(&mut app).await?;
    let recent = format!("{}[data-alias=\"Zbyszek\"]", tid("recent-person"));

    // The second time, counted from the home screen, no typing: "New
    // contact", Zbyszek among the persons met recently (his services
    // ticked), "Save as last time".
    app.find(&recent).await?;
    app.reset_taps();
    let started = std::time::Instant::now();
    app.tap(&tid("new-contact")).await?;
    app.tap(&format!("{} {recent}", tid("contact-form")))
        .await?;
    app.wait_for_text(&tid("save-contact"), "Zapisz jak ostatnio")
        .await?;
    app.tap(&tid("save-contact")).await?;
    wait_count(&app, &tid("contact-row"), 2).await?;
    let taps = app.taps();
    ensure!(
        taps <= 3,
        "a contact with a known person and two services took {taps} taps from the home screen"
    );
    println!(
        "a known person's contact from the home screen: {taps} taps, {:.1} s through WebDriver \
         (measured once, not a guarantee)",
        started.elapsed().as_secs_f64()
    );

    // Shorter still from the home screen's own rows: the person, Save.
    app.tap(&format!("{} {recent}", tid("recent-persons")))
        .await?;
    app.wait_for_text(&tid("save-contact"), "Zapisz jak ostatnio")
        .await?;
    screenshots_pl_en(&mut app, "phone-contact-form-filled").await?;
    app.tap(&tid("save-contact")).await?;
    wait_count(&app, &tid("contact-row"), 3).await?;
    app.tap(&tid("new-contact")).await?;
    app.find(&format!("{} {recent}", tid("contact-form")))
        .await?;
    screenshots_pl_en(&mut app, "phone-contact-form").await?;
    app.tap(&tid("back")).await?;

    // All three are confirmed by the server in the list…
    wait_count(
        &app,
        &format!("{}[data-confirmed=\"true\"]", tid("contact-row")),
        3,
    )
    .await
    .context("the list does not show the contacts as confirmed")?;
    screenshots_pl_en(&mut app, "phone-outreach-home").await?;
    app.tap(&tid("contact-row")).await?;
    app.find(&tid("contact-detail")).await?;
    // The history opens on a tap and names who saved the contact.
    app.tap(".history-summary").await?;
    app.wait_for_text(&tid("history-row"), "marta · Telefon marta")
        .await?;
    screenshots_pl_en(&mut app, "phone-contact-detail").await?;
    app.tap(&tid("back")).await?;
    app.find(&tid("new-contact")).await?;
    app.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut app, "tablet-outreach-home").await?;

    // …and the office holds all three, each with Zbyszek and the two services.
    let office = &world.office.engine;
    let found = eventually(20, || async {
        office.sync_now().await.is_ok()
            && office.list::<Contact>().await.map(|c| c.len()).unwrap_or(0) == 3
    })
    .await;
    ensure!(found, "the office did not receive the three contacts");
    for contact in office.list::<Contact>().await? {
        assert_eq!(contact.person_ids(), vec![world.zbyszek]);
        let services: BTreeSet<&str> = contact.services.keys().map(String::as_str).collect();
        assert_eq!(services, BTreeSet::from(["food", "hot_drink"]));
    }
    app.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_person_like_a_known_one_gets_a_duplicate_warning() -> Result<()> {
    let _turn = TURN.lock().await;
    let world = world().await?;
    let mut app = enrolled_app(&world, "piotr", PHONE, None).await?;
    app.tap(&tid("new-contact")).await?;
    app.tap(&tid("who-new")).await?;
    app.type_into(&tid("new-alias"), "Zbyszek").await?;
    app.type_into(&tid("new-birth-year"), "1971").await?;
    app.find(&tid("duplicate-warning")).await?;
    // What to judge by: when Zbyszek was registered and that nobody met
    // him on this phone.
    app.wait_for_text(&tid("similar-person"), "w rejestrze od")
        .await?;
    screenshots_pl_en(&mut app, "phone-duplicate-warning").await?;
    app.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut app, "tablet-duplicate-warning").await?;
    app.resize(PHONE.0, PHONE.1).await?;
    // Every answer can be tapped: none hides under the Save bar.
    let covered = app
        .eval(
            "const bar = document.querySelector('.save-bar').getBoundingClientRect(); \
             return [...document.querySelectorAll('[data-testid=duplicate-warning] button')] \
               .filter(b => b.getBoundingClientRect().bottom > bar.top).length;",
        )
        .await?;
    ensure!(
        covered == serde_json::json!(0),
        "{covered} duplicate-warning buttons are under the Save bar"
    );
    // "No, this is someone else": the warning goes, and the answer is
    // remembered on the new person.
    app.tap(&tid("not-similar")).await?;
    wait_count(&app, &tid("duplicate-warning"), 0).await?;

    // A person who is not like anyone: no warning, saved as new.
    app.type_into(&tid("new-alias"), "Halina").await?;
    app.type_into(&tid("new-birth-year"), "1958").await?;
    app.tap(&tid("gender-f")).await?;
    app.tap(&tid("new-consent")).await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    ensure!(
        !app.exists(&tid("duplicate-warning")).await?,
        "a warning for a person unlike anyone"
    );
    app.tap(&tid("service-information")).await?;
    app.tap(&tid("save-contact")).await?;
    wait_count(&app, &tid("contact-row"), 1).await?;

    let office = &world.office.engine;
    let found = eventually(20, || async {
        office.sync_now().await.is_ok()
            && office
                .list::<Person>()
                .await
                .map(|p| p.iter().any(|p| p.alias == "Halina"))
                .unwrap_or(false)
    })
    .await;
    ensure!(found, "the new person did not reach the office");
    let halina = office
        .list::<Person>()
        .await?
        .into_iter()
        .find(|p| p.alias == "Halina")
        .context("Halina")?;
    ensure!(
        halina.is_distinct_from(world.zbyszek),
        "the \"someone else\" answer is not remembered on the new person"
    );
    let consent = halina
        .consent
        .context("the consent ticked at registration")?;
    ensure!(consent.scope == "services" && consent.withdrawn_at.is_none());

    // Her consent on the contact's page; withdrawn after a second tap.
    app.tap(&tid("contact-row")).await?;
    app.find(&tid("consent-person")).await?;
    screenshots_pl_en(&mut app, "phone-contact-consent").await?;
    app.tap(&tid("withdraw-consent")).await?;
    app.tap(&tid("confirm-withdraw-consent")).await?;
    app.find(&tid("record-consent")).await?;
    let withdrawn = eventually(20, || async {
        office.sync_now().await.is_ok()
            && office
                .get::<Person>(halina.id)
                .await
                .ok()
                .flatten()
                .and_then(|p| p.consent)
                .is_some_and(|c| c.withdrawn_at.is_some())
    })
    .await;
    ensure!(
        withdrawn,
        "the withdrawal did not reach the office's device"
    );
    app.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_saved_offline_is_confirmed_when_the_server_is_back() -> Result<()> {
    let _turn = TURN.lock().await;
    let mut world = world().await?;
    let mut app = enrolled_app(&world, "kasia", PHONE, None).await?;

    world.server.stop().await?;
    first_contact(&mut app).await?;
    let unconfirmed = format!("{}[data-confirmed=\"false\"]", tid("contact-row"));
    wait_count(&app, &unconfirmed, 1).await?;
    // The header learns of the failed sync at its next poll.
    let offline = format!(
        "{sel}[data-state=\"offline\"], {sel}[data-state=\"pending\"]",
        sel = tid("sync-indicator")
    );
    app.find(&offline)
        .await
        .context("the header does not say offline or pending with the server down")?;
    // In words a worker does not read as a failure, the same in the header
    // and beside the row.
    app.wait_for_text(
        &tid("sync-indicator"),
        "Zapisane w telefonie · 1 czeka na wysłanie",
    )
    .await
    .context("the header does not say the contact is saved on the phone and waiting")?;
    let header = app.find(&tid("sync-indicator")).await?.text().await?;
    ensure!(
        !header.contains("Offline") && !header.contains('✕'),
        "the header reads as a failure: {header:?}"
    );
    app.wait_for_text(&unconfirmed, "czeka").await?;
    screenshots_pl_en(&mut app, "phone-offline-pending").await?;
    // The device screen: what waits, per kind, and when the last sync was.
    app.tap(&tid("sync-indicator")).await?;
    app.find(&format!("{}[data-kind=\"contact\"]", tid("waiting-row")))
        .await
        .context("the device screen does not list the waiting contact")?;
    screenshots_pl_en(&mut app, "phone-device-waiting").await?;
    app.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut app, "tablet-device-waiting").await?;
    app.resize(PHONE.0, PHONE.1).await?;
    // Larger text and high contrast, switched on and kept.
    app.tap(&tid("display-large-text")).await?;
    app.tap(&tid("display-contrast")).await?;
    let theme = app
        .eval("return [document.documentElement.dataset.text, document.documentElement.dataset.theme];")
        .await?;
    ensure!(
        theme == serde_json::json!(["large", "contrast"]),
        "the display settings are not applied: {theme}"
    );
    screenshots_pl_en(&mut app, "phone-device-contrast").await?;
    app.tap(&tid("back")).await?;
    app.find(&unconfirmed).await?;
    screenshots_pl_en(&mut app, "phone-outreach-contrast").await?;
    app.tap(&tid("sync-indicator")).await?;
    app.tap(&tid("display-large-text")).await?;
    app.tap(&tid("display-contrast")).await?;
    app.tap(&tid("back")).await?;

    world.server.restart().await?;
    let confirmed = format!("{}[data-confirmed=\"true\"]", tid("contact-row"));
    wait_count(&app, &confirmed, 1)
        .await
        .context("the contact saved offline was not confirmed after the server came back")?;
    app.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tablets_tick_attendance_and_see_each_others_ticks() -> Result<()> {
    let _turn = TURN.lock().await;
    let world = world().await?;
    let mut tablets = Vec::new();
    for user in ["ewa", "jan"] {
        let mut app = enrolled_app(&world, user, TABLET, None).await?;
        app.tap(&tid("nav-day-room")).await?;
        app.tap_text(&tid("site-option"), "Świetlica Promyk")
            .await?;
        app.find(&tid("day-room")).await?;
        tablets.push(app);
    }
    let (mut a, mut b) = (tablets.remove(0), tablets.remove(0));

    // Each tablet registers a walk-in; then each ticks the other's child
    // too, so the session holds overlapping ticks from both.
    // Ola looks like Ala (a letter apart): once Ala has reached the other
    // tablet, its worker must say Ola is someone else before she is
    // registered (a Save past the warning is refused and keeps the form).
    for (app, alias) in [(&mut a, "Ala"), (&mut b, "Ola")] {
        app.tap(&tid("add-walk-in")).await?;
        app.type_into(&format!("{} {}", tid("walk-in"), tid("new-alias")), alias)
            .await?;
        let row = format!("{}[data-alias=\"{alias}\"]", tid("board-row"));
        app.tap(&tid("walk-in-save")).await?;
        for _ in 0..50 {
            if app.exists(&row).await? || app.exists(&tid("error")).await? {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !app.exists(&row).await? {
            app.find(&format!(
                "{}[data-error=\"ErrPossibleDuplicate\"]",
                tid("error")
            ))
            .await?;
            let typed = app
                .eval("return document.querySelector('[data-testid=walk-in] [data-testid=new-alias]').value;")
                .await?;
            ensure!(
                typed == serde_json::json!(alias),
                "the walk-in form lost {alias}: {typed}"
            );
            let not_similar = format!("{} {}", tid("walk-in"), tid("not-similar"));
            while app.exists(&not_similar).await? {
                app.tap(&not_similar).await?;
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            app.tap(&tid("walk-in-save")).await?;
            app.find(&row).await?;
        }
    }
    for (app, other) in [(&mut a, "Ola"), (&mut b, "Ala")] {
        let row = format!("{}[data-alias=\"{other}\"]", tid("board-row"));
        app.find(&row).await?;
        if app.find(&row).await?.attr("data-present").await?.as_deref() != Some("true") {
            app.tap(&format!("{row} {}", tid("mark-present"))).await?;
        }
    }
    // The board's search narrows it; the undo bar after a tick takes a
    // mistaken tick back, apart from the cards.
    a.type_into(&tid("board-search"), "ól").await?;
    wait_count(&a, &tid("board-row"), 1).await?;
    a.find(&format!("{}[data-alias=\"Ola\"]", tid("board-row")))
        .await
        .context("the board search for \"ól\" does not find Ola")?;
    a.tap(&format!("{} {}", tid("board-row"), tid("mark-present")))
        .await?;
    a.find(&tid("undo-bar")).await?;
    screenshots_pl_en(&mut a, "tablet-day-room-undo").await?;
    a.tap(&tid("undo-present")).await?;
    let ola_absent = format!(
        "{}[data-alias=\"Ola\"][data-present=\"false\"]",
        tid("board-row")
    );
    a.find(&ola_absent)
        .await
        .context("the undo bar did not take Ola's tick back")?;
    a.tap(&format!("{} {}", tid("board-row"), tid("mark-present")))
        .await?;
    a.eval("const s = document.querySelector('[data-testid=board-search]'); s.value = ''; s.dispatchEvent(new Event('input', {bubbles: true})); return true;")
        .await?;
    wait_count(&a, &tid("board-row"), 2).await?;
    a.tap(&tid("meals-more")).await?;
    b.tap(&tid("meals-more")).await?;
    for app in [&a, &b] {
        wait_count(
            app,
            &format!("{}[data-present=\"true\"]", tid("board-row")),
            2,
        )
        .await?;
    }
    screenshots_pl_en(&mut a, "tablet-day-room").await?;
    a.resize(PHONE.0, PHONE.1).await?;
    screenshots_pl_en(&mut a, "phone-day-room").await?;

    // One session for the site and day on the server, with every tick and
    // both meals.
    let office = &world.office.engine;
    let id = DocId::day_session(world.day_room, &Date::today());
    let merged = eventually(30, || async {
        office.sync_now().await.is_ok()
            && office
                .get::<DaySession>(id)
                .await
                .ok()
                .flatten()
                .is_some_and(|s| s.present().len() == 2 && s.meals.value() == 2)
    })
    .await;
    ensure!(
        merged,
        "the office does not see one session with both ticks"
    );
    a.close().await?;
    b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facilitator_records_a_workshop() -> Result<()> {
    let _turn = TURN.lock().await;
    let world = world().await?;
    let mut app = enrolled_app(&world, "tomek", TABLET, Some("tablet")).await?;
    app.tap(&tid("nav-workshops")).await?;
    app.tap(&tid("new-workshop")).await?;
    app.find(&tid("workshop-form")).await?;
    app.type_into(&tid("workshop-theme"), "Torby z banerów")
        .await?;
    app.type_into(&tid("workshop-motif"), "Kamienice z Księżego Młyna")
        .await?;
    app.type_into(&tid("workshop-materials"), "banery, taśma")
        .await?;
    app.type_into(&tid("person-search"), "zbyszek").await?;
    app.tap(&format!("{}[data-alias=\"Zbyszek\"]", tid("person-row")))
        .await?;
    app.type_into(&tid("participant-hours"), "3").await?;
    // The form starts with one empty item row.
    app.type_into(&tid("item-name"), "torba").await?;
    app.type_into(&tid("item-count"), "4").await?;
    screenshots_pl_en(&mut app, "tablet-workshop-form").await?;
    app.tap(&tid("save-workshop")).await?;
    // Saving shows the record, confirmed once the server has it.
    app.find(&tid("workshop-detail")).await?;
    app.find(&format!(
        "{}[data-confirmed=\"true\"]",
        tid("confirmed-mark")
    ))
    .await?;
    screenshots_pl_en(&mut app, "tablet-workshop-detail").await?;
    app.tap(&tid("back")).await?;
    wait_count(&app, &tid("workshop-row"), 1).await?;
    screenshots_pl_en(&mut app, "tablet-workshops").await?;

    let office = &world.office.engine;
    let found = eventually(20, || async {
        office.sync_now().await.is_ok()
            && office
                .list::<Workshop>()
                .await
                .map(|w| w.len())
                .unwrap_or(0)
                == 1
    })
    .await;
    ensure!(found, "the workshop did not reach the office");
    let workshop = office
        .list::<Workshop>()
        .await?
        .pop()
        .context("no workshop")?;
    assert_eq!(workshop.theme, "Torby z banerów");
    assert_eq!(workshop.site, world.workshop_room);
    let hours: Vec<f64> = workshop.participants.values().map(|p| p.hours).collect();
    assert_eq!(hours, vec![3.0]);
    let items: Vec<(String, i64)> = workshop
        .items
        .values()
        .map(|i| (i.name.clone(), i.count))
        .collect();
    assert_eq!(items, vec![("torba".to_string(), 4)]);
    app.close().await
}

/// Every file under `dir`, recursively.
/// Enrols the app in front of the enrolment screen with `code` at `url`.
/// "Sync now" on the device screen, then back where the worker was: what
/// a worker does rather than wait for the app's next try.
async fn sync_by_hand(app: &mut AppUnderTest) -> Result<()> {
    app.tap(&tid("sync-indicator")).await?;
    app.tap(&tid("sync-now")).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.tap(&tid("back")).await
}

/// Waits up to a minute for `css` to match `n` elements, syncing by hand
/// every ten seconds (the app's own retries back off while the server is
/// away).
async fn wait_count_syncing(
    app: &mut AppUnderTest,
    css: &str,
    n: usize,
    back_to: &str,
) -> Result<()> {
    for round in 0..6 {
        for _ in 0..50 {
            if count(app, css).await? == n {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        if round < 5 {
            sync_by_hand(app).await?;
            app.find(back_to).await?;
        }
    }
    bail!("`{css}` did not reach {n} elements within a minute")
}

/// Two phones edit the note of one contact with the server away; back
/// online, each shows the note in two versions with who wrote each. While
/// Jan's phone is still out of reach, both workers keep a version, each
/// the other's: back online, the two picks show as two versions (who
/// picked which), nothing lost. Ewa keeps one; Jan's phone and the office
/// then show that value alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_edit_one_note_offline_and_one_keeps_a_version() -> Result<()> {
    use odnowa_tests::proxy::Blackout;
    let _turn = TURN.lock().await;
    let mut world = world().await?;
    let mut a = enrolled_app(&world, "ewa", PHONE, None).await?;
    // Jan's phone reaches the server through a relay that can be cut.
    let relay = Blackout::start(world.server.addr).await?;
    let relay_url = format!("http://{}", relay.addr);
    let mut b = enrolled_app_at(&world, &relay_url, "jan", PHONE, None).await?;
    first_contact(&mut a).await?;
    // Jan's phone has Ewa's contact (a live update) before the network goes.
    wait_count_syncing(&mut b, &tid("contact-row"), 1, &tid("new-contact")).await?;
    for app in [&mut a, &mut b] {
        app.tap(&tid("contact-row")).await?;
        app.find(&tid("contact-detail")).await?;
    }
    let contact: DocId = a
        .find(&tid("contact-detail"))
        .await?
        .attr("data-contact-id")
        .await?
        .context("the contact's id")?
        .parse()?;

    world.server.stop().await?;
    let (ewa_note, jan_note) = ("Potrzebuje śpiwora", "Ma śpiwór, potrzebuje butów 43");
    for (app, note) in [(&mut a, ewa_note), (&mut b, jan_note)] {
        app.tap(&tid("edit-contact")).await?;
        app.type_into(&tid("contact-note"), note).await?;
        app.tap(&tid("save-contact")).await?;
        app.wait_for_text(&tid("contact-note-value"), note).await?;
    }
    world.server.restart().await?;

    // Both phones show the note in two versions, each with its author.
    let conflict = format!("{}[data-path=\"note\"]", tid("conflict"));
    let versions = format!("{conflict} {}", tid("version-row"));
    for app in [&mut a, &mut b] {
        wait_count_syncing(app, &versions, 2, &tid("contact-detail")).await?;
        app.wait_for_text(&versions, "ewa · Telefon ewa").await?;
        app.wait_for_text(&versions, "jan · Telefon jan").await?;
        app.wait_for_text(&tid("versions-badge"), "2").await?;
    }
    // The top of the contact says so, and takes the worker down to them.
    a.tap(&tid("versions-notice")).await?;
    let in_view = a
        .eval(
            "const r = document.querySelector('[data-testid=versions]').getBoundingClientRect(); \
             return r.top < window.innerHeight && r.bottom > 0;",
        )
        .await?;
    ensure!(
        in_view.as_bool() == Some(true),
        "the notice did not bring the versions into view"
    );
    screenshots_pl_en_of(&mut a, "phone-two-versions", &tid("versions")).await?;
    b.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en_of(&mut b, "tablet-two-versions", &tid("versions")).await?;
    b.resize(PHONE.0, PHONE.1).await?;
    b.find(&tid("contact-detail")).await?;
    screenshots_pl_en_of(&mut b, "phone-two-versions-notice", "body").await?;

    // Jan's phone loses the network. Ewa keeps Jan's version, Jan keeps
    // Ewa's, each unaware of the other's pick.
    relay.set_down(true);
    let keep = |note: &str| format!("{versions}[data-value=\"{note}\"] {}", tid("keep-version"));
    a.tap(&keep(jan_note)).await?;
    wait_count(&a, &conflict, 0).await?;
    b.tap(&keep(ewa_note)).await?;
    wait_count(&b, &conflict, 0).await?;
    b.wait_for_text(&tid("contact-note-value"), ewa_note)
        .await?;
    relay.set_down(false);
    // Back online: the two picks are two versions again, each named by
    // who picked it.
    for app in [&mut a, &mut b] {
        wait_count_syncing(app, &versions, 2, &tid("contact-detail")).await?;
        app.wait_for_text(
            &format!("{versions}[data-value=\"{jan_note}\"]"),
            "ewa · Telefon ewa",
        )
        .await?;
        app.wait_for_text(
            &format!("{versions}[data-value=\"{ewa_note}\"]"),
            "jan · Telefon jan",
        )
        .await?;
    }

    // Ewa keeps Jan's version: one value on her phone at once…
    a.tap(&format!(
        "{versions}[data-value=\"{jan_note}\"] {}",
        tid("keep-version")
    ))
    .await?;
    wait_count(&a, &conflict, 0).await?;
    wait_count(&a, &tid("versions-notice"), 0).await?;
    a.wait_for_text(&tid("contact-note-value"), jan_note)
        .await?;
    ensure!(
        !a.exists(&tid("error")).await?,
        "keeping a version showed an error"
    );
    screenshots_pl_en(&mut a, "phone-version-kept").await?;
    // …and on Jan's, with nothing he has to do.
    wait_count_syncing(&mut b, &conflict, 0, &tid("contact-detail")).await?;
    b.wait_for_text(&tid("contact-note-value"), jan_note)
        .await?;
    ensure!(
        !b.exists(&tid("versions")).await?,
        "Jan's phone still lists versions"
    );

    // The office holds the one value, with no versions left.
    let office = &world.office.engine;
    let settled = eventually(30, || async {
        office.sync_now().await.is_ok()
            && office
                .record_meta(contact)
                .await
                .is_ok_and(|meta| meta.conflicts.is_empty())
            && office
                .get::<Contact>(contact)
                .await
                .ok()
                .flatten()
                .is_some_and(|c| c.note == jan_note)
    })
    .await;
    ensure!(settled, "the office does not hold Jan's note alone");
    a.close().await?;
    b.close().await
}

/// A person met anonymously agrees weeks later to be registered: from the
/// contact's page the worker registers them (the duplicate warning must be
/// answered first; a Save past it is refused and keeps what was typed),
/// and links a second anonymous contact to someone registered. The
/// office's figures move from one person and two anonymous to two persons
/// and none, as counted by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_contact_becomes_a_registered_person() -> Result<()> {
    use odnowa_shared::office::{Month, Report};
    use odnowa_tests::office::OfficeClient;
    let _turn = TURN.lock().await;
    let world = world().await?;
    let biuro = OfficeClient::user(&world.server, "biuro", "office", None).await?;
    let month = Month::of(Date::today());
    let figures = || async {
        let report: Report = biuro
            .get(&format!("/report?period={month}"))
            .await?
            .json()
            .await?;
        let c = report.consortium;
        anyhow::Ok((c.records, c.unique_persons, c.anonymous))
    };
    let mut app = enrolled_app(&world, "ola", PHONE, None).await?;
    // Zbyszek's contact, then two contacts with one person each who would
    // not give a name.
    first_contact(&mut app).await?;
    for n in 2..=3 {
        app.tap(&tid("new-contact")).await?;
        app.tap(&tid("who-anonymous")).await?;
        app.tap(&tid("service-hot_drink")).await?;
        app.tap(&tid("save-contact")).await?;
        wait_count(&app, &tid("contact-row"), n).await?;
    }
    let confirmed = format!("{}[data-confirmed=\"true\"]", tid("contact-row"));
    wait_count_syncing(&mut app, &confirmed, 3, &tid("new-contact")).await?;
    // By hand: three contacts; Zbyszek; two anonymous.
    ensure!(
        figures().await? == (3, 1, 2),
        "before: {:?}",
        figures().await?
    );

    // The newest anonymous contact: "register a new person".
    app.tap(&tid("contact-row")).await?;
    app.find(&tid("link-person")).await?;
    app.tap(&tid("register-new-person")).await?;
    app.type_into(&tid("new-alias"), "Zbyszko").await?;
    app.type_into(&tid("new-birth-year"), "1971").await?;
    app.tap(&tid("new-consent")).await?;
    app.find(&format!(
        "{} {}[data-person-id=\"{}\"]",
        tid("duplicate-warning"),
        tid("similar-person"),
        world.zbyszek
    ))
    .await?;
    // Saved past the warning: refused with the reason, everything typed
    // kept, nobody registered.
    app.tap(&tid("register-and-link")).await?;
    app.find(&format!(
        "{}[data-error=\"ErrPossibleDuplicate\"]",
        tid("error")
    ))
    .await?;
    let kept = app
        .eval(
            "return [document.querySelector('[data-testid=new-alias]').value, \
                       document.querySelector('[data-testid=new-birth-year]').value, \
                       document.querySelector('[data-testid=new-consent]').checked];",
        )
        .await?;
    ensure!(
        kept == serde_json::json!(["Zbyszko", "1971", true]),
        "the form lost what was typed: {kept}"
    );
    app.find(&tid("duplicate-warning")).await?;
    let refusal = format!("{} {}", tid("register-person"), tid("error"));
    app.find(&refusal)
        .await
        .context("the refusal is not shown beside the button")?;
    screenshots_pl_en_of(
        &mut app,
        "phone-register-from-contact",
        &tid("register-person"),
    )
    .await?;
    screenshots_pl_en_of(&mut app, "phone-register-refused", &refusal).await?;
    app.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en_of(
        &mut app,
        "tablet-register-from-contact",
        &tid("link-person"),
    )
    .await?;
    app.resize(PHONE.0, PHONE.1).await?;

    // "No, this is someone else", then registered and linked.
    app.tap(&tid("not-similar")).await?;
    wait_count(&app, &tid("duplicate-warning"), 0).await?;
    app.tap(&tid("register-and-link")).await?;
    app.wait_for_text(&tid("linked-person"), "Zbyszko").await?;
    wait_count(&app, &tid("link-person"), 0).await?;
    app.wait_for_text(&tid("open-file"), "Zbyszko").await?;
    ensure!(!app.exists(&tid("error")).await?, "an error after linking");
    screenshots_pl_en(&mut app, "phone-registered-from-contact").await?;

    // The other anonymous contact: Zbyszek, found by the search.
    app.tap(&tid("back")).await?;
    app.find(&tid("new-contact")).await?;
    let anonymous_row = format!("{}[data-anonymous=\"1\"]", tid("contact-row"));
    app.tap(&anonymous_row).await?;
    app.find(&tid("link-person")).await?;
    app.type_into(
        &format!("{} {}", tid("link-person"), tid("person-search")),
        "zbysz",
    )
    .await?;
    app.tap(&format!("{}[data-alias=\"Zbyszek\"]", tid("person-row")))
        .await?;
    app.wait_for_text(&tid("linked-person"), "Zbyszek").await?;
    app.tap(&tid("back")).await?;
    wait_count(&app, &anonymous_row, 0).await?;
    wait_count_syncing(&mut app, &confirmed, 3, &tid("new-contact")).await?;

    // By hand: three contacts; Zbyszek (twice) and Zbyszko; nobody anonymous.
    let moved = eventually(20, || async {
        figures().await.is_ok_and(|f| f == (3, 2, 0))
    })
    .await;
    ensure!(moved, "after: {:?}", figures().await?);
    // Zbyszko is one person, with consent and "not Zbyszek" remembered.
    let office = &world.office.engine;
    let found = eventually(20, || async {
        office.sync_now().await.is_ok()
            && office
                .list::<Person>()
                .await
                .is_ok_and(|p| p.iter().filter(|p| p.alias == "Zbyszko").count() == 1)
    })
    .await;
    ensure!(found, "the office does not hold one Zbyszko");
    let zbyszko = office
        .list::<Person>()
        .await?
        .into_iter()
        .find(|p| p.alias == "Zbyszko")
        .context("Zbyszko")?;
    ensure!(zbyszko.birth_year == Some(1971));
    ensure!(zbyszko.is_distinct_from(world.zbyszek));
    ensure!(zbyszko.consent.is_some_and(|c| c.withdrawn_at.is_none()));
    app.close().await
}

async fn enrol_with(app: &mut AppUnderTest, url: &str, code: &str, user: &str) -> Result<()> {
    app.find(&tid("enrol-server")).await?;
    app.type_into(&tid("enrol-server"), url).await?;
    app.type_into(&tid("enrol-code"), code).await?;
    app.type_into(&tid("enrol-device-name"), &format!("Telefon {user}"))
        .await?;
    app.type_into(&tid("enrol-pin"), APP_PIN).await?;
    app.type_into(&tid("enrol-pin-repeat"), APP_PIN).await?;
    app.tap(&tid("enrol-submit")).await?;
    app.find(&tid("nav-outreach")).await?;
    Ok(())
}

/// Sets a form control's value as a person's pick would, and tells the
/// page (`input` for text and dates, `change` for selects and boxes).
async fn set_value(app: &AppUnderTest, css: &str, value: &str, event: &str) -> Result<()> {
    let done = app
        .eval(&format!(
            "const e = document.querySelector('{}'); if (!e) return false; \
             e.value = {}; e.dispatchEvent(new Event('{event}', {{ bubbles: true }})); return true;",
            css.replace('\'', "\\'"),
            serde_json::to_string(value)?
        ))
        .await?;
    ensure!(done.as_bool() == Some(true), "no `{css}` to set");
    tokio::time::sleep(Duration::from_millis(150)).await;
    Ok(())
}

/// Worker A of one member organisation, offline, opens a person's file,
/// writes a needs assessment, opens a programme with three steps and
/// refers the person to a service of organisation B; back online, B's
/// tablet shows the referral and B accepts it; A's file shows "accepted".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_crosses_from_one_organisation_to_another() -> Result<()> {
    use odnowa_shared::api::PersonDraft;
    use odnowa_shared::records::{CatalogueInstitution, Referral};
    let _turn = TURN.lock().await;
    const TEAM_A: &str = "Streetwork — Fundacja A";
    const TEAM_B: &str = "Noclegownia — Spółdzielnia B";
    let mut server = TestServer::start(Backend::Sqlite).await?;
    server
        .members(&[("Fundacja A", &[TEAM_A]), ("Spółdzielnia B", &[TEAM_B])])
        .await?;
    let org_b = server.db.org_by_name("Spółdzielnia B").await?;
    let mut catalogue = server.sync.catalogue().await?;
    catalogue
        .services
        .extend(Catalogue::with_default_services().services);
    catalogue.put_service("night_shelter", "Noclegownia", "Night shelter");
    if let Some(service) = catalogue.services.get_mut("night_shelter") {
        service.org = Some(org_b);
    }
    catalogue.institutions.insert(
        "mops".into(),
        CatalogueInstitution {
            name: "Miejski Ośrodek Pomocy Społecznej".into(),
            institution_kind: "social_assistance".into(),
            address: "ul. Szeroka 1".into(),
            phone: "12 000 00 00".into(),
            retired: false,
        },
    );
    server.write_catalogue(&catalogue).await?;
    // A colleague of A registered Zbyszek, who consented to sharing his
    // assessment with organisations he is referred to.
    let colleague = server.device_on("marta", &["registry", TEAM_A]).await?;
    colleague
        .engine
        .create_person(&PersonDraft {
            alias: "Zbyszek".into(),
            birth_year: Some(1970),
            gender: "m".into(),
            consent: Some("services share_diagnosis".into()),
            distinct_from: Vec::new(),
        })
        .await?;
    colleague
        .engine
        .create_person(&PersonDraft {
            alias: "Halina".into(),
            birth_year: Some(1972),
            gender: "f".into(),
            consent: Some("services".into()),
            distinct_from: Vec::new(),
        })
        .await?;
    colleague.engine.sync_now().await?;
    let display = VirtualDisplay::start()?;

    let code_a = server
        .user_with_code("ola", &[TEAM_A, "registry"], &[])
        .await?;
    let mut a = AppUnderTest::launch(&display, "ola").await?;
    a.resize(PHONE.0, PHONE.1).await?;
    enrol_with(&mut a, &server.url(), &code_a, "ola").await?;
    a.find(&tid("due")).await?;

    // Offline from here.
    server.stop().await?;
    a.type_into(
        &format!("{} {}", tid("find-person"), tid("person-search")),
        "zbys",
    )
    .await?;
    a.tap(&format!("{}[data-alias=\"Zbyszek\"]", tid("person-row")))
        .await?;
    a.find(&tid("person-file")).await?;
    screenshots_pl_en(&mut a, "phone-person-file-empty").await?;

    // The needs assessment: housing in crisis, income serious.
    a.tap(&tid("new-diagnosis")).await?;
    a.find(&tid("diagnosis-form")).await?;
    for (domain, level) in [("housing", 1), ("income", 2), ("documents", 2)] {
        a.tap(&format!(
            "{}[data-domain=\"{domain}\"] {}[data-level=\"{level}\"]",
            tid("domain"),
            tid("level")
        ))
        .await?;
    }
    a.type_into(&tid("wishes"), "Chce mieszkać blisko córki")
        .await?;
    // His partner is assessed with him: one household.
    a.type_into(
        &format!("{} {}", tid("diagnosis-form"), tid("person-search")),
        "hal",
    )
    .await?;
    a.tap(&format!("{}[data-alias=\"Halina\"]", tid("person-row")))
        .await?;
    a.type_into(&tid("household-relation"), "partnerka").await?;
    screenshots_pl_en(&mut a, "phone-diagnosis-form").await?;
    a.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut a, "tablet-diagnosis-form").await?;
    a.resize(PHONE.0, PHONE.1).await?;
    a.tap(&tid("save-diagnosis")).await?;
    wait_count(&a, &tid("diagnosis-card"), 1).await?;
    a.wait_for_text(&tid("diagnosis-household"), "Halina (partnerka)")
        .await?;

    // The programme with three steps.
    a.tap(&tid("new-programme")).await?;
    a.find(&tid("programme-form")).await?;
    a.type_into(&tid("goal"), "Mieszkanie treningowe do wiosny")
        .await?;
    screenshots_pl_en(&mut a, "phone-programme-form").await?;
    a.tap(&tid("save-programme")).await?;
    a.find(&tid("programme")).await?;
    for (text, due) in [
        ("Wyrobić dowód osobisty", "2026-12-15"),
        ("Zarejestrować się w PUP", "2027-01-10"),
        ("Złożyć wniosek o mieszkanie", "2027-02-01"),
    ] {
        a.type_into(&tid("step-text"), text).await?;
        set_value(&a, &tid("step-due"), due, "input").await?;
        let before = count(&a, &tid("step")).await?;
        a.tap(&tid("save-step")).await?;
        wait_count(&a, &tid("step"), before + 1).await?;
    }
    screenshots_pl_en(&mut a, "phone-programme").await?;
    a.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut a, "tablet-programme").await?;
    a.resize(PHONE.0, PHONE.1).await?;
    a.tap(&tid("back")).await?;

    // The referral to B's night shelter, sharing what consent covers.
    a.tap(&tid("new-referral")).await?;
    a.find(&tid("referral-form")).await?;
    set_value(&a, &tid("referral-org"), &org_b.to_string(), "change").await?;
    // The organisation's services show once the page has drawn the choice.
    a.find(&tid("referral-service")).await?;
    set_value(&a, &tid("referral-service"), "night_shelter", "change").await?;
    a.type_into(&tid("referral-reason"), "Potrzebuje noclegu na zimę")
        .await?;
    screenshots_pl_en(&mut a, "phone-referral-form").await?;
    a.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut a, "tablet-referral-form").await?;
    a.resize(PHONE.0, PHONE.1).await?;
    a.tap(&tid("send-referral")).await?;
    a.find(&format!("{}[data-status=\"sent\"]", tid("referral-line")))
        .await?;
    screenshots_pl_en(&mut a, "phone-person-file").await?;

    // Online again: A's app sends everything by itself.
    server.restart().await?;
    let code_b = server
        .user_with_code("jan", &[TEAM_B, "registry"], &[])
        .await?;
    let probe_b = server.device_on("ewa", &["registry", TEAM_B]).await?;
    let arrived = eventually(60, || async {
        probe_b.engine.sync_now().await.is_ok()
            && probe_b
                .engine
                .list::<Referral>()
                .await
                .is_ok_and(|r| r.len() == 1)
    })
    .await;
    ensure!(arrived, "the referral did not reach organisation B");

    // B's tablet shows it and accepts it.
    let mut b = AppUnderTest::launch(&display, "jan").await?;
    b.resize(TABLET.0, TABLET.1).await?;
    enrol_with(&mut b, &server.url(), &code_b, "jan").await?;
    b.tap(&tid("open-referrals")).await?;
    b.find(&format!(
        "{} {}",
        tid("referrals-incoming"),
        tid("referral-card")
    ))
    .await?;
    b.wait_for_text(&tid("referral-alias"), "Zbyszek").await?;
    screenshots_pl_en(&mut b, "tablet-referrals-incoming").await?;
    b.resize(PHONE.0, PHONE.1).await?;
    screenshots_pl_en(&mut b, "phone-referrals-incoming").await?;
    b.tap(&tid("accept-referral")).await?;
    b.find(&format!(
        "{}[data-status=\"accepted\"]",
        tid("referral-card")
    ))
    .await?;

    // A sees "accepted" in the file at a later sync.
    let accepted = format!("{}[data-status=\"accepted\"]", tid("referral-line"));
    let mut seen = false;
    for _ in 0..60 {
        if a.exists(&accepted).await? {
            seen = true;
            break;
        }
        // "Sync now" on the device screen, then back to the file.
        a.tap(&tid("sync-indicator")).await?;
        a.tap(&tid("sync-now")).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.tap(&tid("back")).await?;
        a.find(&tid("person-file")).await?;
    }
    ensure!(seen, "A's file does not show the referral accepted");
    screenshots_pl_en(&mut a, "phone-person-file-accepted").await?;
    a.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut a, "tablet-person-file-accepted").await?;
    a.resize(PHONE.0, PHONE.1).await?;
    let stored = probe_b.engine.list::<Referral>().await?;
    ensure!(stored.len() == 1 && !stored[0].shared.diagnosis.is_empty());
    a.close().await?;
    b.close().await
}

fn files_under(dir: &std::path::Path) -> Result<Vec<(std::path::PathBuf, Vec<u8>)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(files_under(&path)?);
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path, bytes));
        }
    }
    Ok(found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_locks_and_leaves_no_plaintext_on_disk() -> Result<()> {
    const ALIAS: &str = "Bronisława Kapuścińska";
    const NOTE: &str = "opatrunek na lewej nodze, prosi o kontakt z siostrą";
    let _turn = TURN.lock().await;
    let world = world().await?;
    let mut app = enrolled_app(&world, "ewa", PHONE, Some("phone")).await?;

    // A new person with a note, saved and confirmed.
    app.tap(&tid("new-contact")).await?;
    app.tap(&tid("who-new")).await?;
    app.type_into(&tid("new-alias"), ALIAS).await?;
    app.type_into(&tid("new-birth-year"), "1949").await?;
    app.tap(&tid("gender-f")).await?;
    app.tap(&tid("service-information")).await?;
    app.type_into(&tid("contact-note"), NOTE).await?;
    app.tap(&tid("save-contact")).await?;
    wait_count(
        &app,
        &format!("{}[data-confirmed=\"true\"]", tid("contact-row")),
        1,
    )
    .await?;

    // "Lock": the PIN screen covers the list, which is not shown.
    app.tap(&tid("lock-now")).await?;
    app.find(&tid("lock-pin")).await?;
    ensure!(
        !app.exists(&format!("main:not([hidden]) {}", tid("contact-row")))
            .await?,
        "a record is visible behind the lock screen"
    );
    screenshots_pl_en(&mut app, "phone-lock").await?;
    app.find(&tid("lock-forgot")).await?;
    // A wrong PIN on the large pad.
    for _ in 0..6 {
        app.tap(&tid("pin-key-1")).await?;
    }
    app.tap(&tid("lock-submit")).await?;
    app.wait_for_text(&tid("lock-attempts"), "9").await?;
    screenshots_pl_en(&mut app, "phone-lock-wrong-pin").await?;
    // The page under the lock stays mounted (hidden): wait for the rows
    // to be shown, not merely present, or the test runs on while the PIN
    // is still being checked.
    let shown_row = format!("main:not([hidden]) {}", tid("contact-row"));
    app.type_into(&tid("lock-pin"), APP_PIN).await?;
    app.tap(&tid("lock-submit")).await?;
    app.wait_for_text(&shown_row, "Kapuścińska").await?;
    app.resize(TABLET.0, TABLET.1).await?;
    app.tap(&tid("lock-now")).await?;
    app.find(&tid("lock-pin")).await?;
    screenshots_pl_en(&mut app, "tablet-lock").await?;
    app.type_into(&tid("lock-pin"), APP_PIN).await?;
    app.tap(&tid("lock-submit")).await?;
    // Unlocked for real: a locked device holds no token and could not
    // learn that it is revoked below.
    app.find(&shown_row).await?;
    app.resize(PHONE.0, PHONE.1).await?;

    // Revoked by the office: the app says so and offers only erasing.
    let office = &world.office.engine;
    let devices = accounts::devices(&world.server.db).await?;
    let ewa = devices
        .iter()
        .find(|d| d.user == "ewa")
        .context("ewa's device")?;
    ensure!(accounts::revoke(&world.server.db, ewa.device).await?);
    app.find(&tid("revoked-erase"))
        .await
        .context("the app did not show that it was revoked")?;
    // It says what an erasure loses (the contact was confirmed: nothing)
    // and whom to call, and asks again before erasing.
    ensure!(
        app.find(&tid("revoked-loss"))
            .await?
            .attr("data-unsent")
            .await?
            .as_deref()
            == Some("0"),
        "the revoked screen miscounts what is unsent"
    );
    app.find(&tid("revoked-call")).await?;
    screenshots_pl_en(&mut app, "phone-revoked").await?;
    app.tap(&tid("revoked-erase")).await?;
    app.find(&tid("revoked-erase-yes")).await?;
    screenshots_pl_en(&mut app, "phone-revoked-confirm").await?;
    app.resize(TABLET.0, TABLET.1).await?;
    screenshots_pl_en(&mut app, "tablet-revoked-confirm").await?;
    app.resize(PHONE.0, PHONE.1).await?;
    app.tap(&tid("revoked-erase-no")).await?;
    app.find(&tid("revoked-erase")).await?;
    ensure!(office.sync_now().await.is_ok());

    // Nothing the person typed is on disk, anywhere the app writes
    // (its database and WebKit's storage and caches).
    let dir = app.close_keeping_data().await?;
    let files = files_under(dir.path())?;
    ensure!(files.len() > 2, "the app wrote nothing?");
    for (path, bytes) in &files {
        for secret in [ALIAS, "Kapuścińska", NOTE, "opatrunek", "siostrą"] {
            ensure!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds {secret:?} in plaintext",
                path.display()
            );
        }
    }
    Ok(())
}
