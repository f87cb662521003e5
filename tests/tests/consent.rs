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

    // Another organisation's device: the person is there, hidden.
    jan.engine.sync_now().await?;
    ensure!(
        found(&jan, "wiesiek").await?.is_empty(),
        "not found by alias"
    );
    let listed = found(&jan, "").await?;
    let hidden = listed
        .iter()
        .find(|p| p.id == person.id)
        .context("still listed")?;
    ensure!(hidden.hidden && hidden.alias.is_empty() && hidden.birth_year.is_none());
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

    // Consent given again: visible everywhere again.
    ola.engine.give_consent(person.id, "services").await?;
    ola.engine.sync_now().await?;
    jan.engine.sync_now().await?;
    ensure!(found(&jan, "wiesiek").await?.len() == 1);
    Ok(())
}

odnowa_tests::on_both_backends!(a_withdrawn_consent_hides_the_person_outside_the_organisation);
