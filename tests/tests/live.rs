//! Live updates through real parts (SQLite and PostgreSQL): a save on one
//! device reaches the live connections of the devices that read its space
//! as the changes themselves, taken without an exchange; a device that did
//! not ask for them (an app before live updates) is poked as before; a
//! registry entry withheld from an organisation never goes live to its
//! devices (they are poked, and the exchange leaves the entry out).

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use odnowa_shared::api::PersonDraft;
use odnowa_shared::ids::DocId;
use odnowa_shared::protocol::ServerMessage;
use odnowa_shared::records::Contact;
use odnowa_shared::time::Timestamp;
use odnowa_tests::sim::{Live, SimDevice};
use odnowa_tests::{Backend, TestServer};

const ORG_A: &str = "Stowarzyszenie Przystań";
const ORG_B: &str = "Spółdzielnia Odnowa";
const STREET_A: &str = "Streetwork — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";

/// A simulated device of a new user reading `spaces`, synced, with a live
/// connection that has had one exchange (its cursors known to the server).
async fn live_device(
    server: &TestServer,
    name: &str,
    spaces: &[&str],
    takes_live: bool,
) -> Result<(SimDevice, Live)> {
    let code = server.user_with_code(name, spaces, &[]).await?;
    let mut device = SimDevice::enrol(&server.url(), &code, name).await?;
    device.sync_http().await?;
    let mut live = device.connect_with(takes_live).await?;
    let mut meanwhile = Vec::new();
    live.exchange(&mut device, &[], &mut meanwhile).await?;
    Ok((device, live))
}

/// What one device heard within `secs`: the documents live updates
/// brought (taken as the app takes them), and how many pokes came.
async fn hear(
    device: &mut SimDevice,
    live: &mut Live,
    until: impl Fn(&BTreeSet<DocId>, u32) -> bool,
    secs: u64,
) -> Result<(BTreeSet<DocId>, u32)> {
    let mut docs = BTreeSet::new();
    let mut pokes = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !until(&docs, pokes) {
        let message = match tokio::time::timeout_at(deadline, live.next()).await {
            Ok(message) => message?.context("the live connection closed")?,
            Err(_) => break,
        };
        match message {
            ServerMessage::Live(update) => match device.take_live(update)? {
                Some(taken) => docs.extend(taken),
                None => bail!("a live update that did not follow the device's cursor"),
            },
            ServerMessage::Poke(_) => pokes += 1,
            other => bail!("an unasked message: {other:?}"),
        }
    }
    Ok((docs, pokes))
}

async fn saves_reach_live_devices_without_an_exchange(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    server
        .members(&[(ORG_A, &[STREET_A]), (ORG_B, &[STREET_B])])
        .await?;
    let ola = server.device_on("ola", &["registry", STREET_A]).await?;
    let worker = ola.engine.identity().await.context("enrolled")?.user;
    let (mut ala, mut ala_live) =
        live_device(&server, "ala", &["registry", STREET_A], true).await?;
    let (mut bea, mut bea_live) =
        live_device(&server, "bea", &["registry", STREET_B], true).await?;
    let (mut old, mut old_live) =
        live_device(&server, "old", &["registry", STREET_A], false).await?;

    // Ola registers a person and records a contact with them.
    let person = ola
        .engine
        .create_person(&PersonDraft {
            alias: "Zenek".into(),
            birth_year: Some(1970),
            gender: "m".into(),
            consent: Some("services".into()),
            distinct_from: Vec::new(),
        })
        .await?;
    let team = server.db.space_by_name(STREET_A).await?;
    let contact = Contact::new(team, worker, Timestamp::now()).with_person(person.id);
    ola.engine.save(&contact).await?;
    ola.engine.sync_now().await?;
    let both = BTreeSet::from([person.id.doc_id(), contact.id]);

    // A colleague's device takes both, as changes, without an exchange.
    let (docs, pokes) = hear(&mut ala, &mut ala_live, |d, _| both.is_subset(d), 20).await?;
    ensure!(both.is_subset(&docs), "live updates brought {docs:?}");
    ensure!(pokes == 0, "{pokes} pokes beside the live updates");
    ala.settle()?;
    for doc in &both {
        ensure!(
            ala.copy(*doc).map(|d| d.get_heads()) == Some(ola.engine.heads(*doc).await?),
            "the live copy of {doc} is the saved one"
        );
    }
    // Its cursor moved with them: the next exchange brings nothing again.
    let mut meanwhile = Vec::new();
    let after = ala_live.exchange(&mut ala, &[], &mut meanwhile).await?;
    ensure!(
        after.received.is_empty(),
        "sent again: {:?}",
        after.received
    );

    // Another organisation's device: the registry entry, not the team's
    // contact.
    let entry = person.id.doc_id();
    let (docs, _) = hear(&mut bea, &mut bea_live, |d, _| d.contains(&entry), 20).await?;
    ensure!(
        docs.contains(&entry) && !docs.contains(&contact.id),
        "{docs:?}"
    );

    // An app that did not ask for live updates is poked.
    let (docs, pokes) = hear(&mut old, &mut old_live, |_, p| p > 0, 20).await?;
    ensure!(pokes > 0 && docs.is_empty(), "pokes {pokes}, live {docs:?}");

    // The person withdraws consent, recorded by Ola: the entry goes live
    // to her organisation only; the other is poked, and its exchange
    // leaves the withdrawal out.
    ola.engine.withdraw_consent(person.id).await?;
    ola.engine.sync_now().await?;
    let (docs, _) = hear(&mut ala, &mut ala_live, |d, _| d.contains(&entry), 20).await?;
    ensure!(
        docs.contains(&entry),
        "Ola's colleague took the withdrawal live"
    );
    let (docs, pokes) = hear(&mut bea, &mut bea_live, |_, p| p > 0, 20).await?;
    ensure!(
        pokes > 0 && !docs.contains(&entry),
        "the other organisation: pokes {pokes}, live {docs:?}"
    );
    bea.settle()?;
    let heads_before = bea.copy(entry).map(|d| d.get_heads());
    let exchanged = bea_live.exchange(&mut bea, &[], &mut meanwhile).await?;
    ensure!(
        !exchanged.received.contains(&entry),
        "the withheld entry was sent to the other organisation"
    );
    bea.settle()?;
    ensure!(bea.copy(entry).map(|d| d.get_heads()) == heads_before);
    Ok(())
}

odnowa_tests::on_both_backends!(saves_reach_live_devices_without_an_exchange);
