//! A consortium member's miner as its audit office, one message at a time: a transfer
//! notice is logged only when it comes from a member's own node, and every block a member
//! seals ends with an index that commits to what its entries give.

use crate::switchboard::Switchboard;
use medilanac::actors::consortium::Consortium;
use medilanac::actors::Msg;
use medilanac::protocol::audit::{advance, check_index, AuditRecord, Trail};
use medilanac::protocol::audit_event::{Activity, AuditEvent};
use medilanac::protocol::audit_tree::{apply, MemoryStore};
use medilanac::protocol::{Hash, PublicKey};

/// The default network with its first three miners (actors 1, 2, 3) as members.
fn board() -> Switchboard {
    Switchboard::new(|s| {
        s.consortium = Some(Consortium {
            institutions: 3,
            patients: 12,
            access_interval: 5.0,
            transfer_interval: 20.0,
            ..Consortium::default()
        })
    })
}

fn imports(board: &Switchboard, actor: usize) -> Vec<medilanac::protocol::audit_event::Fields> {
    board
        .miner(actor)
        .waiting_records()
        .iter()
        .filter_map(|r| match AuditRecord::of(r) {
            Some(Ok(AuditRecord::Entry(entry))) => Some(AuditEvent::parse(&entry.event).unwrap().1),
            _ => None,
        })
        .filter(|fields| fields.activity == Activity::Import)
        .collect()
}

#[test]
fn a_transfer_notice_from_outside_the_consortium_is_not_logged() {
    let mut board = board();
    let patient = PublicKey([5; 32]);
    let notice = || Msg::Transfer {
        patient,
        export: Hash([1; 32]),
    };
    let outsider = 5; // miner 4: in the network, not a member
    let before = imports(&board, 1).len();
    board.deliver(outsider, 1, notice());
    board.deliver(board.subject, 1, notice());
    assert_eq!(imports(&board, 1).len(), before);
    board.deliver(2, 1, notice());
    let logged = imports(&board, 1);
    assert_eq!(logged.len(), before + 1);
    let logged = &logged[before..];
    assert_eq!(logged[0].source.as_deref(), Some("Organization/1"));
    assert_eq!(logged[0].destination.as_deref(), Some("Organization/0"));
    assert_eq!(logged[0].patient, patient);
}

/// Replays a member's branch through the rule as any reader would: each block's entries
/// link up and its index names the root the entries give, block after block.
#[test]
fn every_block_a_member_seals_ends_with_the_index_its_entries_give() {
    let board = board();
    let member = board.miner(2);
    let key = member.blocks()[0].header.public_key;
    let mut trail = Trail::default();
    let mut tree = MemoryStore::started();
    let mut entries = 0;
    for block in &member.blocks()[1..] {
        let header = &block.header;
        let step = advance(&trail, &key, header.height, header.time, &block.records).unwrap();
        assert!(step.index.is_some(), "block {} has no index", header.height);
        let root = apply(&mut tree, header.height, &step.moved).unwrap();
        check_index(&trail, &step, root).unwrap();
        entries += step.entries.len();
        trail.take(&step);
    }
    assert!(entries > 5, "{entries} entries");
    // A non-member's blocks carry no audit records at all.
    let outsider = board.miner(5);
    let audit_records = outsider
        .blocks()
        .iter()
        .flat_map(|b| &b.records)
        .filter(|r| AuditRecord::of(r).is_some())
        .count();
    assert_eq!(audit_records, 0);
}
