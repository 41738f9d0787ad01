//! Shared helpers of the tests of the receiver defences (issue 12, item 7): the subject's
//! validation of one peer driven step by step (the peer asks for a chunk, the subject asks
//! for its headers, then challenges it), a peer's real headers signed again with its own
//! key after an edit, and what the subject blacklisted or handed on.

use crate::switchboard::{observations, sent, Emitted, Switchboard};
use medilanac::actors::{Breach, MinerTimer, Msg, Observation};
use medilanac::protocol::{BlockHeader, Evidence, KeyPair};
use medilanac::sim::{ActorId, Command, Time};

/// The default scenario run until quiet, its subject told of every miner of the run, so
/// it has peers to hand evidence on to.
pub fn known_to_all() -> Switchboard {
    let mut board = Switchboard::new(|_| {});
    let emitted = board.introduce_everyone();
    assert!(sent_by(&emitted, board.subject).is_empty(), "{emitted:?}");
    board
}

/// The key `peer` signs its branch with (miner `i` of the run is actor `i + 1`).
pub fn keys_of(board: &Switchboard, peer: ActorId) -> KeyPair {
    let keys = KeyPair::derive(board.world.seed, "miner", peer as u64 - 1);
    assert_eq!(
        keys.public().branch_id(),
        board.branch(peer),
        "the peer's key"
    );
    keys
}

/// Every header of `peer`'s branch, genesis first.
pub fn headers_of(board: &Switchboard, peer: ActorId) -> Vec<BlockHeader> {
    let blocks = board.miner(peer).blocks().iter();
    blocks.map(|block| block.header.clone()).collect()
}

/// Signs `header` again with `keys`.
pub fn sign(header: &mut BlockHeader, keys: &KeyPair) {
    header.signature = keys.sign(&header.signing_digest());
}

/// `peer`'s real header at `height`, changed by `edit` and signed again with the peer's
/// own key: a header only the peer could have made.
pub fn signed_variant(
    board: &Switchboard,
    peer: ActorId,
    height: usize,
    edit: impl FnOnce(&mut BlockHeader),
) -> BlockHeader {
    let mut header = headers_of(board, peer)[height].clone();
    edit(&mut header);
    sign(&mut header, &keys_of(board, peer));
    header
}

/// The commands `actor` emitted among `emitted`.
pub fn by(emitted: Emitted, actor: ActorId) -> Emitted {
    emitted
        .into_iter()
        .filter(|(who, _)| *who == actor)
        .collect()
}

/// Every message `actor` sent in `emitted`, with its addressee.
pub fn sent_by(emitted: &Emitted, actor: ActorId) -> Vec<(ActorId, &Msg)> {
    let all = emitted.iter();
    all.filter_map(|(who, command)| match command {
        Command::Send { to, msg } if *who == actor => Some((*to, msg)),
        _ => None,
    })
    .collect()
}

/// Every peer blacklisted in `emitted`, with the breach it was caught at.
pub fn blacklisted(emitted: &Emitted) -> Vec<(ActorId, Breach)> {
    let all = observations(emitted).into_iter();
    all.filter_map(|o| match o {
        Observation::PeerBlacklisted { peer, breach, .. } => Some((*peer, breach.clone())),
        _ => None,
    })
    .collect()
}

/// Whether `peer` passed a validation in `emitted`.
pub fn validated(emitted: &Emitted, peer: ActorId) -> bool {
    let mut all = observations(emitted).into_iter();
    all.any(|o| matches!(o, Observation::PeerValidated { peer: p, .. } if *p == peer))
}

/// The evidence `actor` handed on in `emitted`, by addressee.
pub fn evidence_sent(emitted: &Emitted, actor: ActorId) -> Vec<(ActorId, Evidence)> {
    let all = sent_by(emitted, actor).into_iter();
    all.filter_map(|(to, msg)| match msg {
        Msg::Evidence(evidence) => Some((to, Evidence::clone(evidence))),
        _ => None,
    })
    .collect()
}

/// The challenges (files and foreign chunks) sent to `peer` in `emitted`.
pub fn challenges(emitted: &Emitted, peer: ActorId) -> usize {
    let all = emitted.iter();
    all.filter(|(_, command)| {
        matches!(
            command,
            Command::Send {
                to,
                msg: Msg::GetFile { .. } | Msg::GetForeignChunk { .. },
            } if *to == peer
        )
    })
    .count()
}

/// What the peer does with the subject's requests in one validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answers {
    /// Headers and every challenge, as an honest peer does.
    All,
    /// Its headers only: the challenges are never answered (a withholder).
    HeadersOnly,
    /// Nothing at all (a peer that is down, or cut off).
    None,
}

/// The subject's first steps in validating `peer`: the peer asks it for a chunk, which
/// makes the subject ask for the peer's headers, and the peer's answer, through `lie`,
/// comes back. Returns what the subject emitted; its challenges, if it sent any, are
/// not delivered.
pub fn up_to_challenges(
    board: &mut Switchboard,
    peer: ActorId,
    lie: impl FnOnce(&mut Msg),
) -> Emitted {
    let subject = board.subject;
    let branch = board.branch(peer);
    let mut all = board.deliver(peer, subject, Msg::WantChunk { request: 0, branch });
    let get = sent(&all, subject, peer)
        .into_iter()
        .find(|m| matches!(m, Msg::GetHeaders { .. }))
        .expect("the subject validates a stranger that asks for a chunk")
        .clone();
    let reply = board.deliver(subject, peer, get);
    let mut headers = sent(&reply, peer, subject)
        .into_iter()
        .find(|m| matches!(m, Msg::Headers { .. }))
        .expect("a peer serves its headers")
        .clone();
    lie(&mut headers);
    all.extend(board.deliver(peer, subject, headers));
    by(all, subject)
}

/// The peer answers the challenges in `emitted` (through `lie`), and everything that
/// follows is routed until quiet. Returns what the subject emitted.
pub fn answer_challenges(
    board: &mut Switchboard,
    peer: ActorId,
    emitted: &Emitted,
    mut lie: impl FnMut(&mut Msg),
) -> Emitted {
    let subject = board.subject;
    let to_peer = emitted.iter().filter_map(|(who, command)| match command {
        Command::Send { to, msg } if *who == subject && *to == peer => Some(msg.clone()),
        _ => None,
    });
    let asked: Emitted = to_peer
        .filter(|m| matches!(m, Msg::GetFile { .. } | Msg::GetForeignChunk { .. }))
        .map(|msg| (subject, Command::Send { to: peer, msg }))
        .collect();
    let given = asked.len();
    let all = board.settle(asked, |from, to, msg| {
        if from == peer && to == subject {
            lie(msg);
        }
    });
    // `settle` hands back the challenges it started from: they were counted already.
    by(all.into_iter().skip(given).collect(), subject)
}

/// Leaves every request the subject has open to `peer` unanswered: the clock moves on and
/// the subject's timeout timer fires, each time past every deadline (with the default
/// settings a request is sent 3 times, waiting 1, 4 then 8 s), until the subject sends
/// the peer nothing more. Returns what the subject emitted.
pub fn leave_unanswered(board: &mut Switchboard, peer: ActorId) -> Emitted {
    let subject = board.subject;
    let mut all = Vec::new();
    for _ in 0..16 {
        board.now = board.now + Time::from_secs(20);
        let fired = board.fire(subject, MinerTimer::Timeout);
        let resent = !sent(&fired, subject, peer).is_empty();
        all.extend(fired);
        if !resent {
            return all;
        }
    }
    panic!("the subject never gave up on actor {peer}");
}

/// One whole validation of `peer` by the subject, the peer answering as `answers` says.
/// Returns what the subject emitted.
pub fn validation(board: &mut Switchboard, peer: ActorId, answers: Answers) -> Emitted {
    let subject = board.subject;
    if answers == Answers::None {
        let branch = board.branch(peer);
        let mut all = board.deliver(peer, subject, Msg::WantChunk { request: 0, branch });
        assert_eq!(sent(&all, subject, peer).len(), 2, "headers asked: {all:?}");
        all.extend(leave_unanswered(board, peer));
        return all;
    }
    let mut all = up_to_challenges(board, peer, |_| {});
    assert!(challenges(&all, peer) > 0, "{all:?}");
    let rest = match answers {
        Answers::All => answer_challenges(board, peer, &all, |_| {}),
        _ => leave_unanswered(board, peer),
    };
    all.extend(rest);
    all
}

/// Moves the clock past the subject's trust in its peers and the rest it gives a silent
/// one (30 s and 60 s by default), so the next chunk request starts a new validation.
pub fn wait_for_next_validation(board: &mut Switchboard) {
    board.now = board.now + Time::from_secs(61);
}
