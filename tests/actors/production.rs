//! Building a block at the receiver of offers: rules 8, 9 and 12.

use crate::switchboard::{observations, sent, Emitted, Switchboard};
use medilanac::actors::message::{Declined, Refusal};
use medilanac::actors::{Breach, MinerTimer, Msg, NodeTimer, Observation};
use medilanac::protocol::ChunkId;
use medilanac::sim::ActorId;

/// The subject with records waiting, told of every miner, its block timer fired, and the
/// network settled; every message to the subject goes through `rewrite` first.
fn gather(mut rewrite: impl FnMut(&mut Msg)) -> (Switchboard, Emitted) {
    let mut board = Switchboard::new(|_| {});
    let subject = board.subject;
    board.submit_records(4);
    let mut emitted = board.introduce_everyone();
    emitted.extend(board.fire(subject, MinerTimer::Block));
    let mut all = board.settle(emitted, |_, to, msg| {
        if to == subject {
            rewrite(msg)
        }
    });
    // The first asks were refused while the peers validated the subject: ask again.
    for _ in 0..3 {
        let retry = board.fire(subject, MinerTimer::Retry);
        all.extend(board.settle(retry, |_, to, msg| {
            if to == subject {
                rewrite(msg)
            }
        }));
    }
    (board, all)
}

fn blocks_added(emitted: &Emitted) -> usize {
    let all = observations(emitted).into_iter();
    all.filter(|o| matches!(o, Observation::BlockAdded { .. }))
        .count()
}

#[test]
fn offered_chunks_are_taken_until_rule_8_is_met_and_the_block_is_sealed() {
    let (board, emitted) = gather(|_| {});
    assert_eq!(blocks_added(&emitted), 1, "one block sealed");
    let block = &board.miner(board.subject).blocks()[1];
    let genesis = board.miner(board.subject).blocks()[0].size().primary();
    let requirement = board.world.params.requirement(Some(genesis));
    let bytes = block.foreign.iter().map(|c| c.data.len() as u64).sum();
    assert!(requirement.is_met(block.foreign.len(), bytes));
    // Every source learns where its chunk went.
    for chunk in &block.foreign {
        let source = board
            .peers()
            .into_iter()
            .find(|&p| board.branch(p) == chunk.header.source);
        let placed = sent(&emitted, board.subject, source.expect("a peer's chunk"));
        assert!(placed.iter().any(|m| matches!(m, Msg::Placed { .. })));
    }
}

#[test]
fn a_miner_whose_peers_have_no_chunk_waits_and_never_seals_a_short_block() {
    let (board, emitted) = gather(|msg| {
        if let Msg::Offer { chunk, .. } = msg {
            *chunk = Err(Refusal::NoChunk);
        }
    });
    assert_eq!(blocks_added(&emitted), 0);
    assert_eq!(board.miner(board.subject).blocks().len(), 1, "genesis only");
    assert_eq!(board.miner(board.subject).stalled_draft(), Some(0));
    let retry = NodeTimer::Miner(MinerTimer::Retry);
    assert!(board
        .timers
        .iter()
        .any(|(actor, t)| *actor == board.subject && *t == retry));
}

/// Every other peer refuses, so the subject asks one source round after round: the
/// source's second offer is turned into a sibling of the chunk it gave first, which the
/// block being built already has. Rule 9 declines it, saying the draft holds one.
#[test]
fn a_second_chunk_of_a_block_already_in_the_draft_is_declined() {
    let sources = Switchboard::new(|_| {}).peers();
    let tried = sources.into_iter().find_map(|source| {
        let (board, all, sibling) = asked_one_source(source);
        Some((board, all, sibling?))
    });
    let (board, all, sibling) = tried.expect("some source is asked a second time");
    let subject = board.subject;
    let declined = all.iter().any(|(by, c)| {
        *by == subject
            && matches!(c, medilanac::sim::Command::Send {
                msg: Msg::Decline { chunk, why: Declined::InDraft }, ..
            } if *chunk == sibling)
    });
    assert!(declined, "the sibling is declined, the draft holding one");
    let draft = board.miner(subject).draft_gathered();
    assert_eq!(
        draft.map(|(chunks, _)| chunks),
        Some(1),
        "only the first was taken"
    );
}

/// The subject gathers with every peer but `source` refusing; `source`'s second offer is
/// turned into a sibling of its first. Returns the board, what was emitted, and the
/// sibling's id if `source` made a second offer.
fn asked_one_source(source: ActorId) -> (Switchboard, Emitted, Option<ChunkId>) {
    let mut board = Switchboard::new(|_| {});
    let subject = board.subject;
    let embedded = board.embedded_chunks();
    board.submit_records(4);
    let mut emitted = board.introduce_everyone();
    emitted.extend(board.fire(subject, MinerTimer::Block));
    let mut first: Option<medilanac::protocol::Chunk> = None;
    let mut sibling: Option<ChunkId> = None;
    let mut all = Vec::new();
    for round in 0..6 {
        if round > 0 {
            emitted = board.fire(subject, MinerTimer::Retry);
        }
        let rewrite = |from: ActorId, to: ActorId, msg: &mut Msg| {
            let Msg::Offer { chunk, .. } = msg else {
                return;
            };
            if to != subject || chunk.is_err() {
                return;
            }
            if from != source {
                *chunk = Err(Refusal::NoChunk);
                return;
            }
            let Ok(offered) = chunk else { return };
            match (&first, sibling) {
                (None, _) => first = Some((**offered).clone()),
                (Some(taken), None) => {
                    let twin = embedded.iter().find(|c| {
                        c.header.source == taken.header.source
                            && c.header.height == taken.header.height
                            && c.header.index != taken.header.index
                    });
                    if let Some(twin) = twin {
                        **offered = twin.clone();
                        sibling = Some(offered.id());
                    }
                }
                _ => {}
            }
        };
        all.extend(board.settle(std::mem::take(&mut emitted), rewrite));
    }
    (board, all, sibling)
}

#[test]
fn a_chunk_offered_by_a_peer_for_another_branch_gets_the_peer_blacklisted() {
    let board = Switchboard::new(|_| {});
    let embedded = board.embedded_chunks();
    drop(board);
    let (_, emitted) = gather(|msg| {
        if let Msg::Offer {
            chunk: Ok(chunk), ..
        } = msg
        {
            let other = embedded
                .iter()
                .find(|c| c.header.source != chunk.header.source);
            **chunk = other.expect("chunks of several branches").clone();
        }
    });
    let caught = observations(&emitted).into_iter().any(|o| {
        matches!(
            o,
            Observation::PeerBlacklisted {
                breach: Breach::OfferedForeign,
                ..
            }
        )
    });
    assert!(caught);
    assert_eq!(blocks_added(&emitted), 0);
}

#[test]
fn a_peer_the_miner_blacklisted_is_told_so_when_it_asks_for_a_chunk() {
    let (mut board, emitted) = gather(|msg| {
        if let Msg::Offer {
            chunk: Ok(chunk), ..
        } = msg
        {
            chunk.data = chunk.data.with_flipped_byte(0);
        }
    });
    let subject = board.subject;
    let liar = observations(&emitted)
        .into_iter()
        .find_map(|o| match o {
            Observation::PeerBlacklisted { peer, .. } => Some(*peer),
            _ => None,
        })
        .expect("a peer offered a bad chunk");
    let branch = board.branch(liar);
    let answer = board.deliver(liar, subject, Msg::WantChunk { request: 9, branch });
    let replies = sent(&answer, subject, liar);
    assert!(
        replies.iter().any(|m| matches!(
            m,
            Msg::Offer {
                chunk: Err(Refusal::Blacklisted),
                ..
            }
        )),
        "{replies:?}"
    );
}

/// Guards the check in `on_offer` that a chunk names the header its source showed: every
/// peer offers a valid chunk of its newest block as re-signed with another time, coded and
/// proven with its own key, so only the header hash it names differs from what the subject
/// checked.
#[test]
fn a_valid_chunk_of_another_version_of_the_newest_block_shows_an_equivocation() {
    use medilanac::protocol::{make_chunks, Block, BranchId, KeyPair};
    use std::collections::BTreeMap;
    let board = Switchboard::new(|_| {});
    let mut forged: BTreeMap<BranchId, medilanac::protocol::Chunk> = BTreeMap::new();
    for peer in board.peers() {
        let keys = KeyPair::derive(board.world.seed, "miner", peer as u64 - 1);
        let newest = board.miner(peer).blocks().last().unwrap().clone();
        let mut header = newest.header.clone();
        header.time += 1;
        header.signature = keys.sign(&header.signing_digest());
        let other = Block { header, ..newest };
        let auth = board.world.params.chunk_auth;
        let chunks = make_chunks(
            &board.world.codec,
            auth,
            &keys,
            &other.header,
            &other.primary_bytes(),
        );
        let chunk = chunks.into_iter().next().unwrap();
        chunk
            .verify(
                &board.world.params,
                &mut medilanac::protocol::Verifier::default(),
            )
            .expect("the other version's chunk is valid on its own");
        forged.insert(board.branch(peer), chunk);
    }
    drop(board);
    let (_, emitted) = gather(|msg| {
        if let Msg::Offer {
            chunk: Ok(chunk), ..
        } = msg
        {
            if let Some(other) = forged.get(&chunk.header.source) {
                **chunk = other.clone();
            }
        }
    });
    let caught: Vec<&Observation> = observations(&emitted)
        .into_iter()
        .filter(|o| {
            matches!(
                o,
                Observation::PeerBlacklisted {
                    breach: Breach::ChunkOfAnotherHeader { .. },
                    ..
                }
            )
        })
        .collect();
    assert!(!caught.is_empty(), "no offer of another version was caught");
    assert_eq!(
        blocks_added(&emitted),
        0,
        "a block took chunks of unseen headers"
    );
}

/// A sibling of a chunk the subject's sealed block 1 embeds is declined saying so: rule 9
/// bars that block for good, and the source, told, offers it to the subject no more.
#[test]
fn a_chunk_of_a_block_a_sealed_block_holds_is_declined_as_held_for_good() {
    let (mut board, _) = gather(|_| {});
    let subject = board.subject;
    let sealed = board.miner(subject).blocks()[1].foreign.clone();
    let embedded = board.embedded_chunks();
    let sibling = sealed
        .iter()
        .find_map(|held| {
            embedded.iter().find(|c| {
                c.header.source == held.header.source
                    && c.header.height == held.header.height
                    && c.header.index != held.header.index
            })
        })
        .expect("a block with chunks on several branches")
        .clone();
    board.submit_records(6); // sequences 4 and 5 are new
    let source = board
        .peers()
        .into_iter()
        .find(|&p| board.branch(p) == sibling.header.source);
    board.now = board.now + medilanac::sim::Time::from_secs(120); // peers no longer dry
    let mut swapped = false;
    let mut all = Vec::new();
    for timer in [MinerTimer::Block, MinerTimer::Retry, MinerTimer::Retry] {
        let emitted = board.fire(subject, timer);
        all.extend(board.settle(emitted, |from, to, msg| {
            if let Msg::Offer {
                chunk: Ok(chunk), ..
            } = msg
            {
                if to == subject && Some(from) == source && !swapped {
                    **chunk = sibling.clone();
                    swapped = true;
                }
            }
        }));
    }
    assert!(swapped, "the subject was offered a chunk");
    let id = sibling.id();
    let told = all.iter().any(|(by, c)| {
        *by == subject
            && matches!(c, medilanac::sim::Command::Send {
                msg: Msg::Decline { chunk, why: Declined::Held }, ..
            } if *chunk == id)
    });
    assert!(told, "declined as held by a sealed block");
}
