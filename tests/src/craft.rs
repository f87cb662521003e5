//! Crafted requests, as an attacker with one enrolled device sends them:
//! raw sync frames over HTTP, and Automerge changes made by hand on the
//! server's copy of a record.

use anyhow::{Context, Result};
use odnowa_shared::ids::DocId;
use odnowa_shared::protocol::{self, ClientMessage, DocPush, Refusal, ServerMessage, SyncRequest};
use serde_bytes::ByteBuf;

use crate::TestServer;

/// POSTs `body` to /v1/sync with the device token `token`; the status and
/// the decoded answer.
pub async fn post_frame(
    server: &TestServer,
    token: &str,
    body: Vec<u8>,
) -> Result<(u16, ServerMessage)> {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/sync", server.url()))
        .bearer_auth(token)
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    Ok((status, protocol::decode_server(&bytes)?))
}

/// Sends `request` as the device with `token`; its answer.
pub async fn exchange(
    server: &TestServer,
    token: &str,
    request: SyncRequest,
) -> Result<protocol::SyncResponse> {
    let frame = protocol::encode(&ClientMessage::Sync(request))?;
    match post_frame(server, token, frame).await? {
        (200, ServerMessage::Sync(answer)) => Ok(answer),
        other => anyhow::bail!("expected a sync answer, got {other:?}"),
    }
}

/// Pushes `push` as the device with `token`; the refusals of the answer.
pub async fn push(server: &TestServer, token: &str, push: DocPush) -> Result<Vec<Refusal>> {
    let answer = exchange(
        server,
        token,
        SyncRequest {
            request_id: 1,
            pushes: vec![push],
            ..SyncRequest::default()
        },
    )
    .await?;
    Ok(answer.refused)
}

/// The server's copy of `doc`, to build crafted changes on.
pub async fn server_copy(server: &TestServer, doc: DocId) -> Result<automerge::Automerge> {
    let (doc, _) = server.sync.load_current(doc).await?.context("stored")?;
    Ok(doc)
}

/// The changes of `edited` after `base`, as a push would carry them.
pub fn changes_after(base: &automerge::Automerge, edited: &automerge::Automerge) -> Vec<ByteBuf> {
    edited
        .get_changes(&base.get_heads())
        .into_iter()
        .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
        .collect()
}
