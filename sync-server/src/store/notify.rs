//! What one server tells the others over the same PostgreSQL database:
//! `NOTIFY` inside the transactions that change a feed, `LISTEN` in each
//! server. PostgreSQL delivers a notification only when its transaction
//! commits, so another server never pokes its devices about a change they
//! cannot read yet, and no extra broker is needed. SQLite is one file of
//! one server: nothing to tell.

use odnowa_shared::ids::{DeviceId, SpaceId};

use super::{Db, Pool, StoreError};

/// The channel every server listens on.
pub const CHANNEL: &str = "odnowa_feed";

/// What another server did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Changes were appended to `space`'s feed (pushed by `origin`);
    /// `catalogue`: the catalogue was among them; `range`: the feed
    /// positions `after < seq <= last` they took, when they are all the
    /// transaction wrote there (an append; not an erasure).
    Changed {
        space: SpaceId,
        origin: DeviceId,
        catalogue: bool,
        range: Option<(u64, u64)>,
    },
    /// The connection to the database was lost and made again: what was
    /// said meanwhile is not known.
    Lost,
}

/// What one transaction tells of one space.
pub(crate) type Told = (SpaceId, DeviceId, bool, Option<(u64, u64)>);

/// The payload of one notification: `<instance> <space> <origin> <c|->`,
/// then ` <after> <last>` when the range is known.
pub(crate) fn payload(instance: u64, (space, origin, catalogue, range): Told) -> String {
    let mut text = format!(
        "{instance:x} {space} {origin} {}",
        if catalogue { 'c' } else { '-' }
    );
    if let Some((after, last)) = range {
        text.push_str(&format!(" {after} {last}"));
    }
    text
}

/// Reads a payload; `None` for one of this server's own or one that does
/// not parse.
fn read(own: u64, payload: &str) -> Option<Notice> {
    let mut parts = payload.split(' ');
    let instance = u64::from_str_radix(parts.next()?, 16).ok()?;
    if instance == own {
        return None;
    }
    let space = parts.next()?.parse().ok()?;
    let origin = parts.next()?.parse().ok()?;
    let catalogue = parts.next()? == "c";
    let range = match (parts.next(), parts.next()) {
        (Some(after), Some(last)) => {
            let (after, last) = (after.parse().ok()?, last.parse().ok()?);
            (after < last).then_some((after, last))
        }
        _ => None,
    };
    Some(Notice::Changed {
        space,
        origin,
        catalogue,
        range,
    })
}

impl Db {
    /// Notices of the other servers on this database, while the receiver
    /// is held and the database open (`None` on SQLite). One connection of
    /// the pool listens; when it is lost, [`Notice::Lost`] comes and it
    /// listens again.
    pub async fn listen(&self) -> Result<Option<tokio::sync::mpsc::Receiver<Notice>>, StoreError> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen(CHANNEL).await?;
        let (tx, rx) = tokio::sync::mpsc::channel(4096);
        let own = self.instance;
        let mut closing = self.closing.subscribe();
        tokio::spawn(async move {
            loop {
                let notice = tokio::select! {
                    _ = tx.closed() => break,
                    _ = async { closing.wait_for(|closed| *closed).await.map(|_| ()) } => break,
                    received = listener.try_recv() => match received {
                        Ok(Some(notification)) => match read(own, notification.payload()) {
                            Some(notice) => notice,
                            None => continue,
                        },
                        // The connection closed; the next call connects
                        // and listens again.
                        Ok(None) => Notice::Lost,
                        Err(e) => {
                            tracing::warn!(error = %e, "listening to the other servers failed; trying again");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                            Notice::Lost
                        }
                    },
                };
                // A full queue means this server is behind: it hears of
                // everything at once instead.
                let sent = match tx.try_send(notice) {
                    Ok(()) => Ok(()),
                    Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                        tx.send(Notice::Lost).await
                    }
                    Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => break,
                };
                if sent.is_err() {
                    break;
                }
            }
        });
        Ok(Some(rx))
    }

    /// This server's mark on what it tells the others (made at random
    /// when the database was opened).
    pub fn instance(&self) -> u64 {
        self.instance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_reads_back_and_ones_own_is_skipped() {
        let space = SpaceId::random();
        let origin = DeviceId::random();
        let text = payload(7, (space, origin, true, None));
        assert_eq!(read(7, &text), None);
        assert_eq!(
            read(8, &text),
            Some(Notice::Changed {
                space,
                origin,
                catalogue: true,
                range: None,
            })
        );
        let text = payload(7, (space, origin, false, Some((4, 9))));
        assert_eq!(
            read(8, &text),
            Some(Notice::Changed {
                space,
                origin,
                catalogue: false,
                range: Some((4, 9)),
            })
        );
        assert_eq!(read(8, "nonsense"), None);
        assert_eq!(read(8, "zz a b c"), None);
    }
}
