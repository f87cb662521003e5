//! What the office writes through the server (`sync_server::writer`):
//! catalogue services, sites and members, merging and unmerging duplicate
//! persons. Each write must reach a device at its next sync like any
//! device's change, name its author in the record's history, and refuse
//! bad input without storing anything. On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use anyhow::Result;
use odnowa_shared::api::PersonDraft;
use odnowa_shared::ids::{DocId, PersonId};
use odnowa_shared::office::{ServiceEdit, SiteEdit};
use odnowa_shared::records::{Catalogue, Person};
use odnowa_shared::time::Date;
use odnowa_sync_server::admin;
use odnowa_sync_server::writer::{OfficeAuthor, WriteError};
use odnowa_tests::{Backend, TestDevice, TestServer};

const TEAM: &str = "Streetwork — Org A";

fn office() -> OfficeAuthor {
    OfficeAuthor {
        user: odnowa_shared::ids::UserId::random(),
        name: "Anna Biuro".into(),
    }
}

async fn device_on(server: &TestServer, user: &str) -> Result<TestDevice> {
    server.device_on(user, &["registry", TEAM]).await
}

fn service(code: &str, pl: &str, en: &str) -> ServiceEdit {
    ServiceEdit {
        code: code.into(),
        name_pl: pl.into(),
        name_en: en.into(),
        org: None,
        retired: false,
        contract_from: None,
        contract_to: None,
        targets: BTreeMap::new(),
    }
}

async fn a_new_service_reaches_phones_at_the_next_sync(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    let org = admin::create_member(&server.sync, "Stowarzyszenie Przystań").await?;
    admin::create_space(&server.db, TEAM, Some("Stowarzyszenie Przystań")).await?;
    let phone = device_on(&server, "ola").await?;

    let mut blankets = service("blanket", "Koc", "Blanket");
    blankets.org = Some(org);
    blankets.contract_from = Some("2026-01-01".parse::<Date>()?);
    blankets.contract_to = Some("2026-12-31".parse::<Date>()?);
    blankets.targets.insert("unique_persons".into(), 120);
    let by = office();
    server.sync.put_service(&by, &blankets).await?;
    let site = server
        .sync
        .put_site(
            &by,
            &SiteEdit {
                id: None,
                name: "Świetlica Przystań".into(),
                site_kind: "day_room".into(),
                org: Some(org),
            },
        )
        .await?;
    assert_eq!(site.sites.len(), 1);

    phone.engine.sync_now().await?;
    let seen: Catalogue = phone
        .engine
        .get(DocId::catalogue())
        .await?
        .expect("the catalogue reached the phone");
    let blanket = &seen.services["blanket"];
    assert_eq!(blanket.name_pl, "Koc");
    assert_eq!(blanket.org, Some(org));
    assert_eq!(blanket.targets.get("unique_persons"), Some(&120));
    assert_eq!(seen.orgs[&org.to_string()].name, "Stowarzyszenie Przystań");
    assert_eq!(seen.sites.len(), 1);
    let chips = phone.engine.catalogue_view().await?;
    assert!(
        chips.services.iter().any(|s| s.code == "blanket"),
        "{chips:?}"
    );
    // The history says who wrote it.
    let history = phone.engine.history(DocId::catalogue()).await?;
    assert!(
        history
            .iter()
            .any(|h| h.author.as_deref() == Some("Anna Biuro · biuro")),
        "{history:?}"
    );

    // Renaming keeps everything else; bad edits are refused and change nothing.
    server
        .sync
        .put_service(&by, &service("blanket", "Koc wełniany", "Wool blanket"))
        .await?;
    let before = server.sync.catalogue().await?;
    for bad in [
        service("Blanket!", "Koc", "Blanket"),
        service("blanket", "", "Blanket"),
        {
            let mut s = service("blanket", "Koc", "Blanket");
            s.targets.insert("smiles".into(), 3);
            s
        },
        {
            let mut s = service("blanket", "Koc", "Blanket");
            s.contract_from = Some("2026-12-31".parse::<Date>()?);
            s.contract_to = Some("2026-01-01".parse::<Date>()?);
            s
        },
        {
            let mut s = service("blanket", "Koc", "Blanket");
            s.org = Some(odnowa_shared::ids::OrgId::random());
            s
        },
    ] {
        let refused = server.sync.put_service(&by, &bad).await;
        assert!(
            matches!(
                refused,
                Err(WriteError::Invalid(_) | WriteError::NotFound(_))
            ),
            "{bad:?} must be refused: {refused:?}"
        );
    }
    assert_eq!(server.sync.catalogue().await?, before);
    assert_eq!(before.services["blanket"].name_pl, "Koc wełniany");
    Ok(())
}

async fn merging_and_unmerging_persons(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    admin::create_space(&server.db, TEAM, None).await?;
    let phone = device_on(&server, "ola").await?;
    let draft = |alias: &str| PersonDraft {
        alias: alias.into(),
        birth_year: Some(1971),
        gender: "male".into(),
        consent: None,
        distinct_from: Vec::new(),
    };
    let zbyszek = phone.engine.create_person(&draft("Zbyszek")).await?.id;
    let zbigniew = phone.engine.create_person(&draft("Zbigniew")).await?.id;
    phone.engine.sync_now().await?;

    let by = office();
    let merged = server.sync.merge_person(&by, zbyszek, zbigniew).await?;
    assert_eq!(merged.merged_into, Some(zbigniew));

    phone.engine.sync_now().await?;
    let seen = person(&phone, zbyszek).await?;
    assert_eq!(seen.merged_into, Some(zbigniew));
    assert_eq!(seen.alias, "Zbyszek", "a merge changes nothing else");

    // A loop is refused; so are unknown persons and merging into oneself.
    assert!(matches!(
        server.sync.merge_person(&by, zbigniew, zbyszek).await,
        Err(WriteError::Invalid(_))
    ));
    assert!(matches!(
        server.sync.merge_person(&by, zbigniew, zbigniew).await,
        Err(WriteError::Invalid(_))
    ));
    assert!(matches!(
        server
            .sync
            .merge_person(&by, PersonId::random(), zbigniew)
            .await,
        Err(WriteError::NotFound(_))
    ));
    assert!(matches!(
        server
            .sync
            .merge_person(&by, zbyszek, PersonId::random())
            .await,
        Err(WriteError::NotFound(_))
    ));

    let unmerged = server.sync.unmerge_person(&by, zbyszek).await?;
    assert_eq!(unmerged.merged_into, None);
    assert!(matches!(
        server.sync.unmerge_person(&by, zbyszek).await,
        Err(WriteError::Invalid(_))
    ));
    phone.engine.sync_now().await?;
    assert_eq!(person(&phone, zbyszek).await?.merged_into, None);
    let history = phone.engine.history(zbyszek.doc_id()).await?;
    let by_office: Vec<&str> = history
        .iter()
        .filter(|h| h.author.as_deref() == Some("Anna Biuro · biuro"))
        .map(|h| h.message.as_str())
        .collect();
    assert_eq!(by_office, ["merge", "unmerge"], "{history:?}");
    Ok(())
}

async fn person(device: &TestDevice, id: PersonId) -> Result<Person> {
    device
        .engine
        .get::<Person>(id.doc_id())
        .await?
        .ok_or_else(|| anyhow::anyhow!("person {id} is not on the device"))
}

odnowa_tests::on_both_backends!(
    a_new_service_reaches_phones_at_the_next_sync,
    merging_and_unmerging_persons,
);
