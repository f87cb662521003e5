//! What one server tells the others over the same PostgreSQL database:
//! `NOTIFY` inside the transactions that change a feed, `LISTEN` in each
//! server. PostgreSQL delivers a notification only when its transaction
//! commits, so another server never pokes its devices about a change they
//! cannot read yet, and no extra broker is needed. SQLite is one file of
//! one server: nothing to tell.
//!
//! A notice of an append carries the appended changes themselves when
//! they fit in a notification (PostgreSQL's limit is 8,000 bytes): the
//! other server then hands them to its live connections at once, without
//! reading them back from the feed. Reading back made every range of the
//! other server wait on the database, and under load the ranges after it
//! waited too.

use base64::Engine;
use odnowa_shared::ids::{DeviceId, DocId, SpaceId};
use odnowa_shared::records::RecordKind;
use odnowa_shared::sync::pull::FeedRow;

use super::{Db, Pool, StoreError, Visibility};

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
        /// The range's changes in feed order, each with who may be sent
        /// it live, when the notice could carry them.
        rows: Option<Vec<(FeedRow, Option<Visibility>)>>,
    },
    /// The connection to the database was lost and made again: what was
    /// said meanwhile is not known.
    Lost,
}

/// What one transaction tells of one space.
pub(crate) type Told = (SpaceId, DeviceId, bool, Option<(u64, u64)>);

/// The longest payload sent: PostgreSQL refuses one of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;

/// One change of an appended range, as a notice carries it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Carried<'a> {
    pub seq: u64,
    pub doc: DocId,
    pub kind: RecordKind,
    pub generation: u32,
    pub bytes: &'a [u8],
    pub visibility: Option<&'a Visibility>,
}

/// The payload of one notification: `<instance> <space> <origin> <c|->`,
/// then ` <after> <last>` when the range is known, then the range's
/// changes (`carried`, in feed order) when they fit: one word each,
/// `<seq>:<doc>:<kind>:<generation>:<who>:<bytes in base64>`, `<who>`
/// being `*` (every reader), `x` (an exchange only) or `o<org>`.
pub(crate) fn payload(instance: u64, told: Told, carried: &[Carried<'_>]) -> String {
    let (space, origin, catalogue, range) = told;
    let mut text = format!(
        "{instance:x} {space} {origin} {}",
        if catalogue { 'c' } else { '-' }
    );
    let Some((after, last)) = range else {
        return text;
    };
    text.push_str(&format!(" {after} {last}"));
    if carried.is_empty() || last.checked_sub(after) != Some(carried.len() as u64) {
        return text;
    }
    let without = text.len();
    let base64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    for row in carried {
        // Most of a row is its bytes: give up before encoding them when
        // they cannot fit.
        if text.len() + row.bytes.len() * 4 / 3 > MAX_PAYLOAD {
            text.truncate(without);
            return text;
        }
        let who = match row.visibility {
            None => "*".to_string(),
            Some(Visibility::Exchange) => "x".to_string(),
            Some(Visibility::Org(org)) => format!("o{org}"),
        };
        text.push_str(&format!(
            " {}:{}:{}:{}:{who}:",
            row.seq,
            row.doc,
            row.kind.as_str(),
            row.generation
        ));
        base64.encode_string(row.bytes, &mut text);
    }
    if text.len() > MAX_PAYLOAD {
        text.truncate(without);
    }
    text
}

/// One carried change; `None` when it does not read.
fn read_row(word: &str) -> Option<(FeedRow, Option<Visibility>)> {
    let mut fields = word.splitn(6, ':');
    let seq = fields.next()?.parse().ok()?;
    let doc = fields.next()?.parse().ok()?;
    let kind = fields.next()?.parse().ok()?;
    let generation = fields.next()?.parse().ok()?;
    let who = fields.next()?;
    let visibility = match who {
        "*" => None,
        "x" => Some(Visibility::Exchange),
        _ => Some(Visibility::Org(who.strip_prefix('o')?.to_string())),
    };
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields.next()?)
        .ok()?;
    Some((
        FeedRow {
            seq,
            doc,
            kind,
            generation,
            bytes,
        },
        visibility,
    ))
}

/// Reads a payload; `None` for one of this server's own or one that does
/// not parse. Carried changes that do not read, or are not exactly the
/// range in order, are left out (the range is read back instead).
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
    let rows = range.and_then(|(after, last)| {
        let rows: Vec<(FeedRow, Option<Visibility>)> =
            parts.map(read_row).collect::<Option<_>>()?;
        // Compared by differences: no sum can overflow, whatever the
        // payload says.
        let in_order = rows
            .iter()
            .enumerate()
            .all(|(i, (row, _))| row.seq.checked_sub(after) == Some(i as u64 + 1));
        (in_order && rows.len() as u64 == last - after).then_some(rows)
    });
    Some(Notice::Changed {
        space,
        origin,
        catalogue,
        range,
        rows,
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
        let text = payload(7, (space, origin, true, None), &[]);
        assert_eq!(read(7, &text), None);
        assert_eq!(
            read(8, &text),
            Some(Notice::Changed {
                space,
                origin,
                catalogue: true,
                range: None,
                rows: None,
            })
        );
        let text = payload(7, (space, origin, false, Some((4, 9))), &[]);
        assert_eq!(
            read(8, &text),
            Some(Notice::Changed {
                space,
                origin,
                catalogue: false,
                range: Some((4, 9)),
                rows: None,
            })
        );
        assert_eq!(read(8, "nonsense"), None);
        assert_eq!(read(8, "zz a b c"), None);
    }

    fn carried<'a>(
        seq: u64,
        doc: DocId,
        bytes: &'a [u8],
        who: Option<&'a Visibility>,
    ) -> Carried<'a> {
        Carried {
            seq,
            doc,
            kind: RecordKind::Person,
            generation: 2,
            bytes,
            visibility: who,
        }
    }

    #[test]
    fn a_notice_carries_a_small_range_and_reads_it_back() {
        let (space, origin) = (SpaceId::random(), DeviceId::random());
        let (a, b) = (DocId::random(), DocId::random());
        let org = Visibility::Org(uuid::Uuid::new_v4().to_string());
        let none = Visibility::Org(String::new());
        let rows = [
            carried(5, a, &[0, 1, 2, 255], None),
            carried(6, b, &[9; 40], Some(&org)),
            carried(7, a, &[], Some(&Visibility::Exchange)),
            carried(8, b, &[7], Some(&none)),
        ];
        let text = payload(7, (space, origin, false, Some((4, 8))), &rows);
        let Some(Notice::Changed {
            range,
            rows: Some(read_rows),
            ..
        }) = read(8, &text)
        else {
            panic!("the rows did not read back: {text}");
        };
        assert_eq!(range, Some((4, 8)));
        let expected: Vec<(u64, DocId, Vec<u8>, Option<Visibility>)> = rows
            .iter()
            .map(|r| (r.seq, r.doc, r.bytes.to_vec(), r.visibility.cloned()))
            .collect();
        let got: Vec<(u64, DocId, Vec<u8>, Option<Visibility>)> = read_rows
            .into_iter()
            .map(|(row, who)| {
                assert_eq!((row.kind, row.generation), (RecordKind::Person, 2));
                (row.seq, row.doc, row.bytes, who)
            })
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_range_too_large_or_not_whole_goes_without_its_rows() {
        let (space, origin, doc) = (SpaceId::random(), DeviceId::random(), DocId::random());
        let big = vec![1u8; 6_000];
        let rows = [carried(1, doc, &big, None)];
        let text = payload(7, (space, origin, false, Some((0, 1))), &rows);
        assert!(text.len() < 8_000, "{}", text.len());
        let Some(Notice::Changed { range, rows, .. }) = read(8, &text) else {
            panic!("the notice did not read");
        };
        assert_eq!((range, rows), (Some((0, 1)), None));
        // Rows that are not the whole range are not sent, and a range
        // whose words do not read is read back instead.
        let small = [carried(1, doc, &[1], None)];
        let text = payload(7, (space, origin, false, Some((0, 2))), &small);
        assert!(matches!(
            read(8, &text),
            Some(Notice::Changed { rows: None, .. })
        ));
        let text = payload(7, (space, origin, false, Some((0, 1))), &small);
        for broken in [
            text.replace(":*:", ":?:"),
            text.replace("1:", "2:"),
            format!("{text}!"),
            format!("{text} 2:{doc}:person:0:*:AQ"),
        ] {
            let Some(Notice::Changed { range, rows, .. }) = read(8, &broken) else {
                panic!("the notice did not read: {broken}");
            };
            assert_eq!((range, rows), (Some((0, 1)), None), "{broken}");
        }
        // A range at the end of the numbers, its row numbered 1: no
        // overflow, and not taken.
        let far = text.replacen(" 0 1 ", &format!(" {} {} ", u64::MAX - 1, u64::MAX), 1);
        let Some(Notice::Changed { range, rows, .. }) = read(8, &far) else {
            panic!("the notice did not read: {far}");
        };
        assert_eq!((range, rows), (Some((u64::MAX - 1, u64::MAX)), None));
    }
}
