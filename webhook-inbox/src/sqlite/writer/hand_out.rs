//! The hand-out: a round's claims that could take more rows than the table had due take
//! the round's new deliveries as they are stored, each inserted `running` under a lease
//! of its own ([`handed_owner`]) and handed over in memory, so that no claim statement
//! rewrites them and reads their bodies back. A crash or shutdown treats them as any
//! claimed row.

use std::time::SystemTime;

use crate::lease::{Claim, handed_owner};
use crate::unix_ms;

/// A claim of the round that could take more rows than the table had due.
#[derive(Debug)]
pub(super) struct Room {
    /// Which of the round's claims it is.
    pub(super) claim_at: usize,
    pub(super) claim: Claim,
    /// How many more rows it takes.
    pub(super) left: usize,
    /// How many it was handed so far.
    pub(super) handed: usize,
}

/// The lease a new row is stored under, handed to a claim.
#[derive(Debug)]
pub(super) struct HandedLease {
    /// Which of the round's claims takes the row.
    pub(super) claim_at: usize,
    pub(super) owner: String,
    pub(super) expires_at: i64,
}

/// Leases the next `submits` new rows to the claims with room, in order, while there is
/// room: one lease (or none) per submit.
pub(super) fn hand_out(rooms: &mut [Room], submits: usize) -> Vec<Option<HandedLease>> {
    let now = unix_ms::from_time(SystemTime::now());
    let mut rooms = rooms.iter_mut().filter(|room| room.left > 0).peekable();
    (0..submits)
        .map(|_| {
            while rooms.peek().is_some_and(|room| room.left == 0) {
                rooms.next();
            }
            let room = rooms.peek_mut()?;
            room.left -= 1;
            room.handed += 1;
            Some(HandedLease {
                claim_at: room.claim_at,
                owner: handed_owner(&room.claim.name, room.handed),
                expires_at: now.saturating_add(unix_ms::from_duration(room.claim.lease)),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Room, hand_out};
    use crate::lease::Claim;

    fn room(claim_at: usize, left: usize) -> Room {
        Room {
            claim_at,
            claim: Claim {
                name: format!("inst/{claim_at}"),
                lease: Duration::from_secs(30),
                limit: left,
            },
            left,
            handed: 0,
        }
    }

    #[test]
    fn new_rows_fill_each_claims_room_in_turn_and_the_rest_go_unleased() {
        let mut rooms = [room(0, 1), room(1, 0), room(2, 2)];
        let owners: Vec<Option<(usize, String)>> = hand_out(&mut rooms, 5)
            .into_iter()
            .map(|lease| lease.map(|lease| (lease.claim_at, lease.owner)))
            .collect();
        assert_eq!(
            owners,
            [
                Some((0, "inst/0/new1".to_owned())),
                Some((2, "inst/2/new1".to_owned())),
                Some((2, "inst/2/new2".to_owned())),
                None,
                None,
            ]
        );
    }
}
