//! Validating peers before trusting them (DESIGN rule 11).
//!
//! The miner fetches the peer's headers it has not checked yet, checks links, signatures
//! and branch id, then challenges the peer for randomly chosen files and one foreign chunk
//! and checks each answer against the header's Merkle root. A peer that passes is trusted
//! for a while; one that fails any check is blacklisted for good.

use super::peers::{Commitments, Standing};
use super::requests::Purpose;
use super::Miner;
use crate::actors::message::{ChunkAnswer, FileAnswer, Msg};
use crate::actors::observation::Observation;
use crate::actors::{Breach, Ctx, World};
use crate::protocol::validate::extend_headers;
use crate::protocol::BlockHeader;
use crate::sim::{ActorId, Level, Time};
use rand::Rng;

impl Miner {
    /// Starts (or restarts) validating `peer` by fetching its unchecked headers.
    pub(super) fn validate(&mut self, peer: ActorId, ctx: &mut Ctx) {
        let Some(known) = self.disk.peers.get_mut(peer) else {
            return;
        };
        known.standing = Standing::Unknown;
        self.mem.rounds.get_mut(peer).validating = 1;
        ctx.observe(Observation::ValidationStarted { peer });
        let from = known.tip.next_height();
        self.request(
            peer,
            Purpose::Headers,
            |request| Msg::GetHeaders { request, from },
            ctx,
        );
    }

    pub(super) fn on_headers(
        &mut self,
        from: ActorId,
        headers: Vec<BlockHeader>,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let Some(peer) = self.disk.peers.get_mut(from) else {
            return;
        };
        if let Err(invalid) =
            extend_headers(&world.params, &mut peer.tip, &headers, &mut world.verifier)
        {
            let signed = matches!(invalid.error.rule(), 5 | 8)
                || invalid.error == crate::protocol::BlockError::GenesisNotEmpty;
            let evidence = signed
                .then(|| self.evidence_in(from, &headers, invalid.height))
                .flatten();
            let breach = Breach::Block(invalid);
            return match evidence {
                Some(evidence) => self.convict(from, breach, evidence, None, ctx),
                None => self.blacklist(from, breach, ctx),
            };
        }
        if peer.tip.branch() != Some(peer.branch) {
            return self.blacklist(from, Breach::WrongBranch, ctx);
        }
        peer.headers.extend(headers.iter().map(Commitments::from));
        if let Some(newest) = headers.last() {
            peer.last_header = Some(Box::new(newest.clone()));
        }
        self.send_challenges(from, ctx);
    }

    fn send_challenges(&mut self, from: ActorId, ctx: &mut Ctx) {
        let peer = self.disk.peers.get(from).expect("peer is known");
        let heights = || (0u64..).zip(&peer.headers);
        let with_files: Vec<(u64, u32)> = heights()
            .filter(|(_, h)| h.file_count > 0)
            .map(|(height, h)| (height, h.file_count))
            .collect();
        let with_chunks: Vec<(u64, u32)> = heights()
            .filter(|(_, h)| h.chunk_count > 0)
            .map(|(height, h)| (height, h.chunk_count))
            .collect();
        let mut challenges = Vec::new();
        for _ in 0..self
            .config
            .settings
            .challenges
            .min(with_files.len() as u32 * 4)
        {
            let (height, count) = with_files[ctx.rng.gen_range(0..with_files.len())];
            challenges.push(Purpose::File {
                height,
                index: ctx.rng.gen_range(0..count),
            });
        }
        if !with_chunks.is_empty() {
            let (height, count) = with_chunks[ctx.rng.gen_range(0..with_chunks.len())];
            challenges.push(Purpose::ForeignChunk {
                height,
                index: ctx.rng.gen_range(0..count),
            });
        }
        if challenges.is_empty() {
            return self.trust(from, ctx);
        }
        self.mem.rounds.get_mut(from).validating = challenges.len();
        for purpose in challenges {
            match purpose {
                Purpose::File { height, index } => self.request(
                    from,
                    purpose,
                    |request| Msg::GetFile {
                        request,
                        height,
                        index,
                    },
                    ctx,
                ),
                Purpose::ForeignChunk { height, index } => {
                    let make = |request| Msg::GetForeignChunk {
                        request,
                        height,
                        index,
                    };
                    self.request(from, purpose, make, ctx)
                }
                Purpose::Headers | Purpose::Chunk | Purpose::Audit { .. } => {
                    unreachable!("only challenges are built here")
                }
            }
        }
    }

    pub(super) fn on_file(
        &mut self,
        from: ActorId,
        height: u64,
        index: u32,
        answer: FileAnswer,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let Some(header) = self
            .disk
            .peers
            .get(from)
            .and_then(|p| p.headers.get(height as usize))
        else {
            return;
        };
        let certified = |record: &crate::protocol::Record| {
            !world.params.certified_patients || world.certified.contains(&record.patient)
        };
        let answered = answer.as_deref().map(|(record, proof)| {
            let leaf = record.leaf();
            let valid = proof.proves(&header.files_root, index, header.file_count, &leaf)
                && record.verify_with_leaf(&leaf, &mut world.verifier);
            (valid, certified(record))
        });
        let outcome = match answered {
            Some((true, true)) => Ok(()),
            Some((true, false)) => Err(Breach::UncertifiedRecord { height, index }),
            _ => Err(Breach::BadFile { height, index }),
        };
        self.challenge_answered(from, outcome, ctx);
    }

    pub(super) fn on_foreign_chunk(
        &mut self,
        from: ActorId,
        height: u64,
        index: u32,
        answer: ChunkAnswer,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        let Some(peer) = self.disk.peers.get(from) else {
            return;
        };
        let Some(header) = peer.headers.get(height as usize) else {
            return;
        };
        let valid = answer.is_some_and(|answer| {
            let (chunk, proof) = &*answer;
            let leaf = chunk.leaf();
            let params = &world.params;
            proof.proves(&header.chunks_root, index, header.chunk_count, &leaf)
                && chunk.header.source != peer.branch
                && chunk
                    .verify_with_leaf(&leaf, params, &mut world.verifier)
                    .is_ok()
        });
        let outcome = valid
            .then_some(())
            .ok_or(Breach::BadForeignChunk { height, index });
        self.challenge_answered(from, outcome, ctx);
    }

    fn challenge_answered(&mut self, from: ActorId, outcome: Result<(), Breach>, ctx: &mut Ctx) {
        if let Err(breach) = outcome {
            return self.blacklist(from, breach, ctx);
        }
        let round = self.mem.rounds.get_mut(from);
        match round.validating {
            0 => {}
            1 => self.trust(from, ctx),
            _ => round.validating -= 1,
        }
    }

    /// A challenge to `peer` went unanswered after every retry, though the peer answered
    /// the headers it was asked first (the rest of that validation is dropped, so a
    /// validation counts one miss at most). Returns whether that makes `missed_challenges`
    /// validations in a row with a miss, with none passed in between, and the peer is now
    /// blacklisted as a withholder. Counting whole validations, not answers, keeps a peer
    /// that answers one challenge of each validation from resetting the count.
    pub(super) fn challenge_missed(&mut self, peer: ActorId, ctx: &mut Ctx) -> bool {
        let limit = self.config.settings.missed_challenges;
        let Some(known) = self.disk.peers.get_mut(peer) else {
            return false;
        };
        known.missed += 1;
        let missed = known.missed;
        if limit == 0 || missed < limit {
            return false;
        }
        let suspension = self.config.settings.suspension;
        let standing = match suspension == Time::ZERO {
            true => Standing::Blacklisted,
            false => {
                // Doubled for each further validation withheld in, up to 2^16 suspensions.
                let repeats = (missed - limit).min(16);
                let until = ctx.now + suspension.times(1 << repeats);
                Standing::Suspended { until }
            }
        };
        self.bar(peer, Breach::Withheld { missed }, standing, ctx);
        true
    }

    fn trust(&mut self, peer: ActorId, ctx: &mut Ctx) {
        let until = ctx.now + self.config.settings.trust_period;
        let Some(known) = self.disk.peers.get_mut(peer) else {
            return;
        };
        known.standing = Standing::Trusted { until };
        known.missed = 0;
        self.mem.rounds.get_mut(peer).validating = 0;
        self.stats.validations_passed += 1;
        let (number, branch) = (self.number, known.branch);
        ctx.log(Level::Debug, || {
            format!("Miner {number}: validated {}", branch.short())
        });
        ctx.observe(Observation::PeerValidated { peer, branch });
        self.gossip_header(peer, ctx);
    }

    /// Marks `peer` as failed for good and forgets what was asked of it.
    pub(super) fn blacklist(&mut self, peer: ActorId, breach: Breach, ctx: &mut Ctx) {
        self.bar(peer, breach, Standing::Blacklisted, ctx);
    }

    /// Bars `peer` for `breach`, for good or for a suspension (`standing`), and forgets
    /// what was asked of it.
    fn bar(&mut self, peer: ActorId, breach: Breach, standing: Standing, ctx: &mut Ctx) {
        let Some(known) = self.disk.peers.get_mut(peer) else {
            return;
        };
        if known.standing == Standing::Blacklisted {
            return;
        }
        known.standing = standing;
        self.mem.rounds.get_mut(peer).validating = 0;
        self.stats.validations_failed += 1;
        self.mem.requests.drop_peer(peer);
        let (number, branch) = (self.number, known.branch);
        ctx.log(Level::Info, || {
            let (rule, short) = (breach.rule(), branch.short());
            match standing {
                Standing::Suspended { until } => format!(
                    "Miner {number}: suspended {short} until {until} (rule {rule}): {breach}"
                ),
                _ => format!("Miner {number}: blacklisted {short} (rule {rule}): {breach}"),
            }
        });
        ctx.observe(Observation::PeerBlacklisted {
            peer,
            branch,
            breach,
        });
    }
}
