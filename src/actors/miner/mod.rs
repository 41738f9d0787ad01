//! Miners: each keeps its own signed branch and backs up the others.
//!
//! A miner turns patients' records into blocks, gathers foreign chunks for each block from
//! peers it has validated, hands its own chunks to validated peers, and answers the
//! headers, files and chunks others ask for. Its handlers only push commands into the
//! context's buffer; the protocol rules it applies are the pure functions of
//! [`crate::protocol`]. Its state is split into what survives a crash and what does not
//! (`state.rs`).

mod audit_office;
mod chain;
mod evidence;
mod own_chunks;
mod peers;
mod production;
mod repair;
mod requests;
mod serving;
mod settings;
mod state;
mod validation;

use super::consortium::Membership;
use super::message::Msg;
use super::observation::Observation;
use super::{Breach, Ctx, World};
use crate::protocol::entry::{admit, Body, Entry};
use crate::protocol::envelope::ReaderKeys;
use crate::protocol::{
    Block, BranchId, BranchTip, KeyPair, Params, PlacementNote, PublicKey, Record, RecordFormat,
};
use crate::sim::{ActorId, Time, Timer};
pub use settings::MinerSettings;
use state::{Disk, Memory};

/// A miner's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MinerTimer {
    /// Start the next block.
    Block,
    /// Ask peers for chunks again after waiting.
    Retry,
    /// Audit the holders of the miner's chunks.
    Repair,
    /// Retry or give up the requests past their deadline.
    Timeout,
    /// Announce again, unless a list from the exchange has named the miner since.
    Announce,
    /// A consortium member's next access to a patient's records.
    Access,
    /// A consortium member's next transfer of records to another member.
    Transfer,
}

impl Timer for MinerTimer {
    fn code(&self) -> u64 {
        *self as u64
    }
}

/// What a miner is asked to do and how it goes about it.
#[derive(Clone, Debug)]
pub struct MinerConfig {
    /// Blocks to add after genesis.
    pub blocks: u64,
    /// Most records one block takes: one per patient, so a backlog is spread over blocks.
    pub records_per_block: usize,
    /// Chunks per block (the protocol's m), which a repair threshold of 0 stands for.
    pub chunks_per_block: usize,
    /// The scenario's `[miner]` table.
    pub settings: MinerSettings,
    /// The miner's share of the consortium's workload, when it is a member.
    pub membership: Option<Membership>,
}

impl MinerConfig {
    /// A block whose live holders fall below this has its lost chunks placed again.
    pub fn repair_threshold(&self) -> usize {
        match self.settings.repair_threshold {
            0 => self.chunks_per_block,
            threshold => threshold,
        }
    }
}

/// What one miner did, for the run summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MinerStats {
    pub validations_passed: u64,
    pub validations_failed: u64,
    pub chunks_gathered: u64,
    pub chunks_rejected: u64,
    pub chunks_offered: u64,
    pub timeouts: u64,
    pub retries: u64,
    pub records_rejected: u64,
    pub audits: u64,
    pub holders_lost: u64,
    /// Chunks offered again after their holder was lost.
    pub chunks_freed: u64,
}

/// An honest miner: the machine (its number and settings), what it keeps on disk and what
/// it holds in memory. Adversaries wrap one (`crate::actors::adversary`).
pub struct Miner {
    /// The miner's number, as logs name it.
    pub number: usize,
    exchange: ActorId,
    config: MinerConfig,
    disk: Disk,
    mem: Memory,
    /// Times the machine booted; request ids carry it.
    boots: u64,
    /// Audit rounds so far; picks which chunk each holder is asked for.
    audit_round: usize,
    /// Times the miner came back wiped; its keys are derived from this.
    incarnation: u64,
    /// Branches lost to wipes, kept only for the run's accounting.
    retired: Vec<Vec<Block>>,
    /// The institution's reading key (FHIR records), derived when first needed.
    reader: Option<ReaderKeys>,
    pub stats: MinerStats,
}

impl Miner {
    pub fn new(number: usize, keys: KeyPair, exchange: ActorId, config: MinerConfig) -> Miner {
        Miner {
            number,
            exchange,
            config,
            disk: Disk::new(keys),
            mem: Memory::default(),
            boots: 0,
            audit_round: 0,
            incarnation: 0,
            retired: Vec::new(),
            reader: None,
            stats: MinerStats::default(),
        }
    }

    pub fn branch(&self) -> BranchId {
        self.disk.branch
    }

    pub fn blocks(&self) -> &[Block] {
        self.disk.chain.blocks()
    }

    /// Whether the miner has checked a termination of `patient`'s record (rule 17).
    pub fn knows_termination_of(&self, patient: &PublicKey) -> bool {
        self.disk.terminated.contains_key(patient)
    }

    pub fn tip(&self) -> &BranchTip {
        self.disk.chain.tip()
    }

    /// Whether the miner added all the blocks it was asked to and sealed every record it
    /// accepted: a record acknowledged to its patient is never left out of a block because
    /// the block count ran out.
    pub fn is_done(&self) -> bool {
        self.disk.chain.tip().next_height() > self.config.blocks && self.disk.pending.is_empty()
    }

    /// Foreign chunks the miner has gathered for a block it could not finish.
    pub fn stalled_draft(&self) -> Option<usize> {
        self.mem.draft.as_ref().map(|draft| draft.foreign.len())
    }

    /// Foreign chunks and bytes of chunk data gathered for the block being built, if one is.
    pub fn draft_gathered(&self) -> Option<(usize, u64)> {
        let draft = self.mem.draft.as_ref()?;
        let bytes = draft.foreign.iter().map(|c| c.data.len() as u64).sum();
        Some((draft.foreign.len(), bytes))
    }

    /// Records accepted but not in a block yet, those of an unfinished draft included.
    pub fn waiting_records(&self) -> &[Record] {
        &self.disk.pending
    }

    /// What the miner is waiting on at `now`, in words, for reports of a run that did not
    /// converge: the block it builds and what its draft gathered, its peers by standing,
    /// and its open requests.
    pub fn waiting_for(&self, now: Time) -> String {
        let height = self.tip().next_height();
        let work = match self.draft_gathered() {
            Some((chunks, bytes)) => {
                format!("block {height} gathered {chunks} foreign chunks ({bytes} bytes)")
            }
            None if self.disk.pending.is_empty() => format!("block {height} has no records"),
            None => format!(
                "block {height} not started, {} records",
                self.disk.pending.len()
            ),
        };
        let peers: Vec<&peers::Peer> = self.disk.peers.iter().map(|(_, peer)| peer).collect();
        let trusted = peers.iter().filter(|p| p.is_trusted(now)).count();
        let barred = peers.iter().filter(|p| !p.may_supply()).count();
        let open: Vec<String> = self
            .mem
            .requests
            .iter()
            .map(|r| format!("{:?} from actor {}", r.purpose.kind(), r.peer))
            .collect();
        format!(
            "{work}; {} peers known, {trusted} trusted, {barred} barred; requests open: [{}]",
            peers.len(),
            open.join(", ")
        )
    }

    /// Whether the block this miner is building would meet rule 8 with what it gathered
    /// and every chunk `suppliers` could still offer it (`None`: it builds none). A miner
    /// for which this is false waits for chunks that only a block not yet built can make.
    pub fn could_finish_with(&self, suppliers: &[&Miner], params: &Params) -> Option<bool> {
        let (mut chunks, mut bytes) = self.draft_gathered()?;
        for supplier in suppliers.iter().filter(|s| s.branch() != self.branch()) {
            let source = supplier.branch();
            let holds = |height: u64| self.has_one_of(source, height);
            let (more, more_bytes) = supplier.disk.own.takeable(params.placement, holds);
            chunks += more;
            bytes += more_bytes;
        }
        let requirement = params.requirement(self.tip().last_primary());
        Some(requirement.is_met(chunks, bytes))
    }

    /// Own chunks no holder has confirmed embedding.
    pub fn unplaced_chunks(&self) -> usize {
        self.disk.own.unplaced()
    }

    /// Branches this miner lost when it came back wiped.
    pub fn retired(&self) -> &[Vec<Block>] {
        &self.retired
    }

    /// What an operator can do with its own miner and the honest one never does: seal the
    /// block being built with what it gathered so far, whether or not that meets rule 8.
    pub(crate) fn seal_draft(&mut self, ctx: &mut Ctx, world: &mut World) {
        if self.mem.draft.is_some() {
            self.finish_block(ctx, world);
        }
    }

    /// An operator's power: delete the foreign chunk data of the newest block from disk
    /// (its header still commits to it).
    pub(crate) fn discard_foreign_data(&mut self) {
        self.disk.chain.drop_foreign_data();
    }

    /// An operator's power: sign with the miner's key.
    pub(crate) fn keys(&self) -> &KeyPair {
        &self.disk.keys
    }

    /// An operator's power: let each block take `extra` records more than the patients
    /// send per block.
    pub(crate) fn take_more_records(&mut self, extra: usize) {
        self.config.records_per_block += extra;
    }

    pub fn start(&mut self, ctx: &mut Ctx, world: &mut World) {
        if self.disk.chain.blocks().is_empty() {
            self.seal(Vec::new(), Vec::new(), ctx, world);
        }
        let number = self.number;
        let short = self.branch().short();
        ctx.log(crate::sim::Level::Info, || {
            format!("Miner {number}: Initialised. PubKey hash: {short}..")
        });
        self.announce(ctx);
        ctx.set_timer(self.config.settings.block_interval, MinerTimer::Block);
        if self.config.settings.repair_period > Time::ZERO {
            ctx.set_timer(self.config.settings.repair_period, MinerTimer::Repair);
        }
        self.start_office(ctx);
    }

    /// Comes back after a crash. What was in memory (open requests, the block being
    /// gathered, validations under way) is gone; the disk survives unless `wiped`, in
    /// which case the miner starts over as a new branch under a new key.
    pub fn restart(&mut self, wiped: bool, ctx: &mut Ctx, world: &mut World) {
        self.mem = Memory::default();
        self.boots += 1;
        if wiped {
            self.incarnation += 1;
            let role = format!("miner/{}", self.incarnation);
            let keys = KeyPair::derive(world.seed, &role, self.number as u64);
            let lost = std::mem::replace(&mut self.disk, Disk::new(keys));
            self.retired.push(lost.chain.into_blocks());
        }
        let number = self.number;
        ctx.log(crate::sim::Level::Info, || {
            let how = if wiped {
                "wiped, as a new branch"
            } else {
                "with its data"
            };
            format!("Miner {number}: back {how}")
        });
        self.start(ctx, world);
    }

    pub fn receive(&mut self, from: ActorId, msg: Msg, ctx: &mut Ctx, world: &mut World) {
        if let Some(id) = msg.reply_to() {
            if self.mem.requests.peer_of(id) != Some(from) {
                return; // a late, duplicated or misdirected reply
            }
            let request = self.mem.requests.close(id).expect("request is open");
            let claimed = self.disk.peers.get(from).map(|peer| peer.branch);
            if let Some(branch) = msg
                .replier_branch()
                .filter(|b| claimed.is_some_and(|c| c != *b))
            {
                // The peer came back wiped, under a new key: know it afresh.
                self.learn_peer(from, branch, ctx);
                self.gather(ctx, world);
                return;
            }
            self.on_reply(from, request.purpose, msg, ctx, world);
            self.gather(ctx, world);
            return;
        }
        match msg {
            Msg::Peers(list) => {
                let mut listed = false;
                for (actor, branch) in list {
                    match actor == ctx.me {
                        true => listed |= branch == self.branch(),
                        false => self.learn_peer(actor, branch, ctx),
                    }
                }
                if from == self.exchange {
                    self.mem.listed = listed;
                    if !listed {
                        self.announce(ctx);
                    }
                }
                self.gather(ctx, world);
            }
            Msg::Submit(record) => self.accept_record(from, *record, ctx, world),
            Msg::Terminated(record) => self.learn_termination(*record, ctx, world),
            Msg::KeyShare { patient, share } => {
                self.disk.key_shares.insert(patient, *share);
                ctx.send(from, Msg::ShareKept { patient });
            }
            Msg::ShareWanted { patient } => self.give_back_share(from, patient, ctx, world),
            Msg::Transfer { patient, .. } => self.on_transfer(from, patient, ctx, world),
            Msg::GetHeaders {
                request,
                from: height,
            } => {
                let headers = self.disk.chain.headers_from(height);
                let branch = self.branch();
                ctx.send(
                    from,
                    Msg::Headers {
                        request,
                        branch,
                        headers,
                    },
                );
            }
            Msg::GetFile {
                request,
                height,
                index,
            } => self.serve_file(from, request, height, index, ctx),
            Msg::GetForeignChunk {
                request,
                height,
                index,
            } => self.serve_foreign_chunk(from, request, height, index, ctx),
            Msg::WantChunk { request, branch } => {
                self.serve_chunk(from, request, branch, ctx, world)
            }
            // Only the branch that sent a placement notice can hold what it reports.
            Msg::Placed {
                chunk,
                holder,
                height,
                position,
            } if self
                .disk
                .peers
                .get(from)
                .is_some_and(|peer| peer.branch == holder) =>
            {
                let at = own_chunks::Where {
                    actor: from,
                    height,
                    position,
                };
                if !self.disk.own.placed(chunk, holder, at) {
                    return;
                }
                ctx.observe(Observation::ChunkPlaced { chunk, holder });
                if world.params.placement_notes {
                    self.disk.notes.push(PlacementNote {
                        height: chunk.height,
                        index: chunk.index,
                        holder,
                        holder_height: height,
                        position,
                    });
                }
            }
            Msg::Decline { chunk, why } => {
                if let Some(peer) = self.disk.peers.get(from) {
                    let until = ctx.now + self.config.settings.offer_timeout;
                    self.disk.own.declined(chunk, peer.branch, why, until);
                }
            }
            Msg::Seen(header) => self.on_seen(*header, ctx, world),
            Msg::Evidence(evidence) => self.on_evidence(from, evidence, ctx, world),
            _ => {}
        }
    }

    fn on_reply(
        &mut self,
        from: ActorId,
        purpose: requests::Purpose,
        msg: Msg,
        ctx: &mut Ctx,
        world: &mut World,
    ) {
        use requests::Purpose;
        match (purpose, msg) {
            (Purpose::Headers, Msg::Headers { headers, .. }) => {
                self.on_headers(from, headers, ctx, world)
            }
            (Purpose::File { height, index }, Msg::File { answer, .. }) => {
                self.on_file(from, height, index, answer, ctx, world)
            }
            (Purpose::ForeignChunk { height, index }, Msg::ForeignChunk { answer, .. }) => {
                self.on_foreign_chunk(from, height, index, answer, ctx, world)
            }
            (Purpose::Chunk, Msg::Offer { chunk, .. }) => self.on_offer(from, chunk, ctx, world),
            (
                Purpose::Audit {
                    chunk,
                    height,
                    position,
                },
                Msg::ForeignChunk { answer, .. },
            ) => self.on_audit(from, (chunk, height, position), answer, ctx),
            _ => self.blacklist(from, Breach::WrongAnswer, ctx),
        }
    }

    pub fn timer(&mut self, timer: MinerTimer, ctx: &mut Ctx, world: &mut World) {
        match timer {
            MinerTimer::Block => self.start_block(ctx, world),
            MinerTimer::Repair => self.audit_holders(ctx),
            MinerTimer::Retry => {
                self.mem.retry_armed = false;
                self.mem.rounds.new_round();
                ctx.send(self.exchange, Msg::ListPeers);
                self.gather(ctx, world);
            }
            MinerTimer::Timeout => self.check_timeouts(ctx, world),
            MinerTimer::Announce => self.announce_again(ctx),
            MinerTimer::Access => self.on_access_timer(ctx, world),
            MinerTimer::Transfer => self.on_transfer_timer(ctx, world),
        }
    }

    /// Announces the miner's branch to the exchange, and keeps announcing it, at a wait
    /// that doubles up to the longest backoff, until a list from the exchange names it.
    /// An announcement can be lost, or sent before the exchange is up; a miner the
    /// exchange does not list is found by no peer that starts later, and a miner with
    /// nothing left to build never asks for the list that would tell it so.
    fn announce(&mut self, ctx: &mut Ctx) {
        let branch = self.branch();
        ctx.send(self.exchange, Msg::Announce { branch });
        if self.mem.announce_wait.is_none() {
            let wait = self.config.settings.request_timeout;
            ctx.set_timer(wait, MinerTimer::Announce);
            self.mem.announce_wait = Some(wait);
        }
    }

    /// Announce timer: no list has named the miner since it announced, so once more.
    fn announce_again(&mut self, ctx: &mut Ctx) {
        let Some(wait) = self.mem.announce_wait.take() else {
            return;
        };
        if self.mem.listed {
            return;
        }
        let branch = self.branch();
        ctx.send(self.exchange, Msg::Announce { branch });
        let next = wait.times(2).min(self.config.settings.backoff_max);
        ctx.set_timer(next, MinerTimer::Announce);
        self.mem.announce_wait = Some(next);
    }

    /// Knows `actor` as serving `branch`. An actor that changed branch came back wiped:
    /// what was asked of its old branch will not be answered, and with repair on, the
    /// chunks it held are placed again without waiting for the next audit.
    fn learn_peer(&mut self, actor: ActorId, branch: BranchId, ctx: &mut Ctx) {
        if self.disk.peers.get(actor).map(|peer| peer.branch) != Some(branch) {
            // A peer new to this miner (or back wiped) has not heard the terminations
            // flooded before it came.
            for termination in self.disk.terminated.values() {
                ctx.send(actor, Msg::Terminated(Box::new(termination.clone())));
            }
        }
        let Some(old) = self.disk.peers.learn(actor, branch) else {
            return;
        };
        *self.mem.rounds.get_mut(actor) = peers::Round::default();
        self.mem.requests.drop_peer(actor);
        if self.config.settings.repair_period > Time::ZERO {
            self.holder_lost(old, "came back wiped", ctx);
        }
    }

    /// Keeps a validly signed record once, however often it is resent, and acknowledges it.
    /// With FHIR records the entry must pass [`admit`] first; a refused one is answered
    /// with the reason, and a termination is passed on to every peer.
    fn accept_record(&mut self, from: ActorId, record: Record, ctx: &mut Ctx, world: &mut World) {
        if !record.verify(&mut world.verifier) {
            self.stats.records_rejected += 1;
            return;
        }
        let (patient, sequence) = (record.patient, record.sequence);
        if self.disk.kept.contains(&(patient, sequence)) {
            // A resend of a record taken before (it passed admission then).
            ctx.send(from, Msg::Stored { sequence });
            return;
        }
        let mut terminates = false;
        if world.params.records == RecordFormat::Fhir {
            let terminated = self.disk.terminated.contains_key(&patient);
            match admit(&record, Some(self.reading_keys(world)), terminated) {
                Err(why) => {
                    self.stats.records_rejected += 1;
                    let rule = why.rule();
                    ctx.observe(Observation::RecordRefused {
                        patient,
                        sequence,
                        rule,
                    });
                    ctx.send(from, Msg::Refused { sequence, why });
                    return;
                }
                Ok(entry) => terminates = matches!(entry.body, Body::Terminate { .. }),
            }
        }
        self.disk.kept.insert((patient, sequence));
        // A finished miner has no block timer armed: the record wakes it.
        if self.is_done() {
            ctx.set_timer(self.config.settings.block_interval, MinerTimer::Block);
        }
        self.disk.pending.push(record.clone());
        ctx.observe(Observation::RecordStored { patient, sequence });
        ctx.send(from, Msg::Stored { sequence });
        // After the termination itself is stored: nothing under the key is taken after it.
        if terminates {
            self.spread_termination(&record, ctx);
        }
    }

    /// The institution's reading key, derived once.
    fn reading_keys(&mut self, world: &World) -> &ReaderKeys {
        let number = self.number;
        self.reader
            .get_or_insert_with(|| super::identities::miner_reading_keys(world.seed, number))
    }

    /// Hands a patient who lost its keys the share it left here, opened with the
    /// institution's reading key; nothing if the share is gone (a wipe) or does not open.
    fn give_back_share(&mut self, from: ActorId, patient: PublicKey, ctx: &mut Ctx, world: &World) {
        let Some(sealed) = self.disk.key_shares.get(&patient).cloned() else {
            return;
        };
        let keys = self.reading_keys(world);
        if let Some(share) = super::key_recovery::open_share(&sealed, keys, &patient) {
            ctx.send(from, Msg::ShareBack { patient, share });
        }
    }

    /// Rule 17 everywhere: a peer's word that a record was terminated counts only with the
    /// patient's signed termination, checked here as the patient's own miner checked it.
    fn learn_termination(&mut self, record: Record, ctx: &mut Ctx, world: &mut World) {
        if world.params.records != RecordFormat::Fhir
            || self.disk.terminated.contains_key(&record.patient)
            || !record.verify(&mut world.verifier)
        {
            return;
        }
        if let Ok(Entry {
            body: Body::Terminate { .. },
            ..
        }) = Entry::of(&record)
        {
            self.spread_termination(&record, ctx);
        }
    }

    /// Records a termination and floods it to every peer, once.
    fn spread_termination(&mut self, record: &Record, ctx: &mut Ctx) {
        if self
            .disk
            .terminated
            .insert(record.patient, record.clone())
            .is_some()
        {
            return;
        }
        ctx.observe(Observation::RecordTerminated {
            patient: record.patient,
        });
        let peers: Vec<ActorId> = self.disk.peers.iter().map(|(actor, _)| actor).collect();
        for peer in peers {
            ctx.send(peer, Msg::Terminated(Box::new(record.clone())));
        }
    }

    /// Sends a new request, with a timeout.
    fn request(
        &mut self,
        peer: ActorId,
        purpose: requests::Purpose,
        make: impl FnOnce(u64) -> Msg,
        ctx: &mut Ctx,
    ) {
        let deadline = ctx.now + self.config.settings.request_timeout;
        let msg = self
            .mem
            .requests
            .open(peer, purpose, deadline, self.boots, make);
        ctx.send(peer, msg);
        self.arm_timeouts(ctx);
    }

    /// Arms the timeout timer for the earliest open deadline, unless it fires by then.
    fn arm_timeouts(&mut self, ctx: &mut Ctx) {
        let Some(next) = self.mem.requests.next_deadline() else {
            return;
        };
        if self.mem.timeouts_due.is_some_and(|due| due <= next) {
            return;
        }
        self.mem.timeouts_due = Some(next);
        ctx.set_timer(next - ctx.now, MinerTimer::Timeout);
    }

    /// Timeout timer: retries or gives up every request past its deadline, then re-arms.
    fn check_timeouts(&mut self, ctx: &mut Ctx, world: &mut World) {
        if self.mem.timeouts_due.is_some_and(|due| due <= ctx.now) {
            self.mem.timeouts_due = None;
        }
        for id in self.mem.requests.expired(ctx.now) {
            self.request_timed_out(id, ctx, world);
        }
        self.arm_timeouts(ctx);
    }

    fn request_timed_out(&mut self, id: u64, ctx: &mut Ctx, world: &mut World) {
        let attempts = self.config.settings.attempts;
        let Some(request) = self.mem.requests.get(id) else {
            return;
        };
        self.stats.timeouts += 1;
        if request.attempts < attempts {
            self.stats.retries += 1;
            let wait = self
                .config
                .settings
                .request_timeout
                .times(1 << (request.attempts + 1).min(16));
            ctx.send(request.peer, request.msg.clone());
            self.mem.requests.retried(id, ctx.now + wait);
            return;
        }
        let request = self.mem.requests.close(id).expect("request is open");
        match request.purpose {
            requests::Purpose::Audit { .. } => {
                self.audit_failed(request.peer, "did not answer an audit", ctx)
            }
            requests::Purpose::File { .. } | requests::Purpose::ForeignChunk { .. } => {
                if self.challenge_missed(request.peer, ctx) {
                    return self.gather(ctx, world);
                }
            }
            requests::Purpose::Headers | requests::Purpose::Chunk => {}
        }
        let until = ctx.now + self.config.settings.backoff_max;
        if let Some(peer) = self.disk.peers.get_mut(request.peer) {
            let barred = peer.standing == peers::Standing::Blacklisted;
            if !barred && peer.standing.suspended_until(ctx.now).is_none() {
                peer.standing = peers::Standing::Resting { until };
                self.mem.rounds.get_mut(request.peer).validating = 0;
            }
        }
        self.mem.requests.drop_peer(request.peer);
        let number = self.number;
        ctx.log(crate::sim::Level::Debug, || {
            format!("Miner {number}: actor {} does not answer", request.peer)
        });
        self.gather(ctx, world);
    }
}
