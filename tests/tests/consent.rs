//! Consent through real parts (SQLite and PostgreSQL): recorded on the
//! person with when, by whom, for which organisation and what it covers;
//! after a withdrawal, the person's details are hidden on devices of other
//! organisations and in the office pages, and stay visible to the
//! organisation that recorded it.

use anyhow::{Context, Result, ensure};
use odnowa_shared::api::{ErrorKind, PersonDraft, PersonView};
use odnowa_shared::office::{PersonSummary, Timeline};
use odnowa_shared::records::Person;
use odnowa_tests::office::OfficeClient;
use odnowa_tests::{Backend, TestDevice, TestServer};

const ORG_A: &str = "Stowarzyszenie Przystań";
const ORG_B: &str = "Spółdzielnia Odnowa";
const STREET_A: &str = "Streetwork — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";
const ALIAS: &str = "Wiesiek spod mostu";

async fn found(device: &TestDevice, query: &str) -> Result<Vec<PersonView>> {
    Ok(device.engine.search_persons(query).await?)
}

async fn a_withdrawn_consent_hides_the_person_outside_the_organisation(
    backend: Backend,
) -> Result<()> {
    let server = TestServer::start(backend).await?;
    server
        .members(&[(ORG_A, &[STREET_A]), (ORG_B, &[STREET_B])])
        .await?;
    let ola = server.device_on("ola", &["registry", STREET_A]).await?;
    let ewa = server.device_on("ewa", &["registry", STREET_A]).await?;
    let jan = server.device_on("jan", &["registry", STREET_B]).await?;

    // Ola registers the person with their consent.
    let person = ola
        .engine
        .create_person(&PersonDraft {
            alias: ALIAS.into(),
            birth_year: Some(1968),
            gender: "m".into(),
            consent: Some("services".into()),
            distinct_from: Vec::new(),
        })
        .await?;
    let given = person.consent.clone().context("consent recorded")?;
    ensure!(given.scope == "services" && given.withdrawn_at.is_none());
    ola.engine.sync_now().await?;
    let stored = ola
        .engine
        .get::<Person>(person.id.doc_id())
        .await?
        .context("stored")?;
    let consent = stored.consent.context("on the record")?;
    ensure!(consent.recorded_by == Some(server.db.user_by_name("ola").await?));
    ensure!(consent.org == Some(server.db.org_by_name(ORG_A).await?));

    jan.engine.sync_now().await?;
    ensure!(
        found(&jan, "wiesiek").await?.len() == 1,
        "visible while consent holds"
    );

    // Bad input: no scope; nothing to withdraw twice.
    let refused = ola
        .engine
        .give_consent(person.id, "  ")
        .await
        .expect_err("no scope");
    ensure!(odnowa_shared::api::CommandError::from(refused).kind == ErrorKind::Invalid);

    // The person withdraws consent, recorded by Ola.
    let view = ola.engine.withdraw_consent(person.id).await?;
    ensure!(
        !view.hidden && view.alias == ALIAS,
        "her organisation still sees them"
    );
    ensure!(view.consent.as_ref().and_then(|c| c.withdrawn_at).is_some());
    let twice = ola
        .engine
        .withdraw_consent(person.id)
        .await
        .expect_err("twice");
    ensure!(odnowa_shared::api::CommandError::from(twice).kind == ErrorKind::Invalid);
    ola.engine.sync_now().await?;

    // Another organisation's device: what it must not show, it no longer
    // holds (the server withholds the entry and the device drops it).
    jan.engine.sync_now().await?;
    ensure!(
        found(&jan, "wiesiek").await?.is_empty(),
        "not found by alias"
    );
    ensure!(
        !found(&jan, "").await?.iter().any(|p| p.id == person.id),
        "not listed"
    );
    ensure!(
        jan.engine
            .get::<Person>(person.id.doc_id())
            .await?
            .is_none(),
        "dropped from the device"
    );
    // A device of that organisation enrolled later never receives it.
    let piotr = server.device_on("piotr", &["registry", STREET_B]).await?;
    piotr.engine.sync_now().await?;
    ensure!(
        piotr
            .engine
            .get::<Person>(person.id.doc_id())
            .await?
            .is_none()
    );
    // Nor may it change the entry of another organisation's consent.
    let refused = jan
        .engine
        .give_consent(person.id, "services")
        .await
        .expect_err("not on the device");
    ensure!(odnowa_shared::api::CommandError::from(refused).kind != ErrorKind::Internal);
    // A colleague of the same organisation sees them.
    ewa.engine.sync_now().await?;
    ensure!(found(&ewa, "wiesiek").await?.len() == 1);

    // The office pages: no alias, birth year or gender, to anyone.
    let biuro = OfficeClient::user(&server, "biuro", "office", None).await?;
    let search: Vec<PersonSummary> = biuro
        .get("/persons?q=wies")
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(search.is_empty(), "not found by alias in the office");
    let timeline: Timeline = biuro
        .get(&format!("/persons/{}/timeline", person.id))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(timeline.person.hidden && timeline.person.alias.is_empty());
    ensure!(timeline.person.birth_year.is_none());
    let rows = server.db.person_summaries(&[person.id]).await?;
    ensure!(rows.len() == 1 && rows[0].alias.is_empty() && rows[0].gender.is_empty());

    // Consent given again: visible everywhere again, and the devices that
    // dropped the entry receive it whole once more.
    ola.engine.give_consent(person.id, "services").await?;
    ola.engine.sync_now().await?;
    for device in [&jan, &piotr] {
        device.engine.sync_now().await?;
        ensure!(found(device, "wiesiek").await?.len() == 1);
        ensure!(
            device.engine.heads(person.id.doc_id()).await?
                == ola.engine.heads(person.id.doc_id()).await?
        );
    }
    // And they keep it: a later exchange changes nothing.
    jan.engine.sync_now().await?;
    ensure!(found(&jan, "wiesiek").await?.len() == 1);
    Ok(())
}

odnowa_tests::on_both_backends!(a_withdrawn_consent_hides_the_person_outside_the_organisation);
