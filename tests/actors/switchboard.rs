//! A switchboard for driving real nodes one message at a time, with no engine.
//!
//! It starts from a real network (the default scenario run until it went quiet, so every
//! miner has a branch of real blocks) and adds one fresh honest miner, the subject, that
//! knows nobody yet. A test hands a node one message or timer and reads the commands the
//! handler emitted. `settle` routes messages between nodes at zero latency until none are
//! left, letting a test rewrite any message on the way; timers are collected, never fired
//! unless a test fires them.

use medilanac::actors::{Miner, Msg, Node, NodeTimer, Observation, World};
use medilanac::protocol::{BranchId, Chunk, KeyPair};
use medilanac::scenario::{Scenario, DEFAULT};
use medilanac::sim::{stream, Actor, ActorId, Command, Context, Out, Rng, Time};
use medilanac::simulation::network_at;

/// The exchange's actor id in every run.
pub const EXCHANGE: ActorId = 0;

pub struct Switchboard {
    pub nodes: Vec<Node>,
    pub world: World,
    pub now: Time,
    rngs: Vec<Rng>,
    /// The fresh miner.
    pub subject: ActorId,
    /// Timers set so far, by whom.
    pub timers: Vec<(ActorId, NodeTimer)>,
}

/// What one handler emitted, by the node that emitted it.
pub type Emitted = Vec<(ActorId, Command<Node>)>;

impl Switchboard {
    /// The default scenario, changed by `edit`, run until quiet; plus the subject.
    pub fn new(edit: impl FnOnce(&mut Scenario)) -> Switchboard {
        let mut scenario = Scenario::parse(DEFAULT).expect("the default scenario parses");
        edit(&mut scenario);
        let until = Time::from_secs_f64(scenario.duration);
        let (mut nodes, world) = network_at(&scenario, scenario.seed, until);
        let subject = nodes.len();
        let keys = KeyPair::derive(scenario.seed, "subject", 0);
        let config = scenario.miner_config();
        let miner = Miner::new(subject, keys, EXCHANGE, config);
        nodes.push(Node::Miner(Box::new(miner)));
        let rngs = (0..nodes.len())
            .map(|id| stream(scenario.seed, "switchboard", id as u64))
            .collect();
        let mut board = Switchboard {
            nodes,
            world,
            now: until,
            rngs,
            subject,
            timers: Vec::new(),
        };
        board.handle(subject, |node, ctx, world| node.start(ctx, world));
        board
    }

    /// The subject, stalled with a draft of 4 records: every peer says it has no chunk.
    pub fn stalled() -> Switchboard {
        let mut board = Switchboard::new(|_| {});
        let subject = board.subject;
        board.submit_records(4);
        let mut emitted = board.introduce_everyone();
        emitted.extend(board.fire(subject, medilanac::actors::MinerTimer::Block));
        board.settle(emitted, |_, to, msg| {
            if let (true, Msg::Offer { chunk, .. }) = (to == subject, msg) {
                *chunk = Err(medilanac::actors::message::Refusal::NoChunk);
            }
        });
        assert!(board.miner(subject).stalled_draft().is_some());
        board
    }

    pub fn miner(&self, actor: ActorId) -> &Miner {
        self.nodes[actor].as_miner().expect("a miner")
    }

    pub fn branch(&self, actor: ActorId) -> BranchId {
        self.miner(actor).branch()
    }

    /// Actor ids of the miners of the run (the subject left out).
    pub fn peers(&self) -> Vec<ActorId> {
        (0..self.subject)
            .filter(|&id| self.nodes[id].as_miner().is_some())
            .collect()
    }

    /// Runs one handler of `actor` and returns what it emitted.
    pub fn handle(
        &mut self,
        actor: ActorId,
        handler: impl FnOnce(&mut Node, &mut Context<Node>, &mut World),
    ) -> Emitted {
        let mut out = Out::default();
        let mut ctx = Context::new(actor, self.now, &mut self.rngs[actor], &mut out);
        handler(&mut self.nodes[actor], &mut ctx, &mut self.world);
        let emitted: Emitted = out.drain().map(|command| (actor, command)).collect();
        for (_, command) in &emitted {
            if let Command::SetTimer { timer, .. } = command {
                self.timers.push((actor, *timer));
            }
        }
        emitted
    }

    /// Hands `to` one message from `from`.
    pub fn deliver(&mut self, from: ActorId, to: ActorId, msg: Msg) -> Emitted {
        self.handle(to, |node, ctx, world| node.receive(from, msg, ctx, world))
    }

    /// Fires `timer` at `actor`.
    pub fn fire(&mut self, actor: ActorId, timer: impl Into<NodeTimer>) -> Emitted {
        let timer = timer.into();
        self.handle(actor, |node, ctx, world| node.timer(timer, ctx, world))
    }

    /// Routes what `emitted` sends, and what the answers send, until no message is left;
    /// `rewrite` sees each message (from, to) before it is delivered. Messages to patients
    /// and the exchange are delivered too. Returns everything emitted on the way, `emitted`
    /// included.
    pub fn settle(
        &mut self,
        emitted: Emitted,
        mut rewrite: impl FnMut(ActorId, ActorId, &mut Msg),
    ) -> Emitted {
        let mut all = Vec::new();
        let mut queue = std::collections::VecDeque::new();
        let mut take = |emitted: Emitted, queue: &mut std::collections::VecDeque<_>| {
            for (from, command) in emitted {
                if let Command::Send { to, msg } = &command {
                    queue.push_back((from, *to, msg.clone()));
                }
                all.push((from, command));
            }
        };
        take(emitted, &mut queue);
        let mut delivered = 0;
        while let Some((from, to, mut msg)) = queue.pop_front() {
            delivered += 1;
            assert!(delivered < 100_000, "the switchboard never went quiet");
            if to >= self.nodes.len() {
                continue;
            }
            rewrite(from, to, &mut msg);
            let emitted = self.deliver(from, to, msg);
            take(emitted, &mut queue);
        }
        all
    }

    /// The subject learns every miner of the run from the exchange's list.
    pub fn introduce_everyone(&mut self) -> Emitted {
        // As the exchange lists them: the subject among them, or it announces itself again.
        let mut everyone = self.peers();
        everyone.push(self.subject);
        everyone.sort_unstable();
        let list = everyone
            .into_iter()
            .map(|id| (id, self.branch(id)))
            .collect();
        self.deliver(EXCHANGE, self.subject, Msg::Peers(list))
    }

    /// Hands the subject `count` signed records of one patient of its own.
    pub fn submit_records(&mut self, count: u64) {
        let keys = KeyPair::derive(1, "subject-patient", 0);
        let patient = self.nodes.len(); // an address no node has: acknowledgements are dropped
        for sequence in 0..count {
            let payload = medilanac::protocol::Bytes::from(vec![sequence as u8; 64]);
            let record = medilanac::protocol::Record::new(&keys, sequence, payload);
            self.deliver(patient, self.subject, Msg::Submit(Box::new(record)));
        }
    }

    /// Every foreign chunk embedded in the run's branches.
    pub fn embedded_chunks(&self) -> Vec<Chunk> {
        let miners = self.nodes.iter().filter_map(Node::as_miner);
        let blocks = miners.flat_map(|miner| miner.blocks().iter());
        blocks
            .flat_map(|block| block.foreign.iter().cloned())
            .collect()
    }
}

/// The observations in `emitted`.
pub fn observations(emitted: &Emitted) -> Vec<&Observation> {
    let all = emitted.iter();
    all.filter_map(|(_, command)| match command {
        Command::Observe(observation) => Some(observation),
        _ => None,
    })
    .collect()
}

/// The messages in `emitted` sent by `from` to `to`.
pub fn sent(emitted: &Emitted, from: ActorId, to: ActorId) -> Vec<&Msg> {
    let all = emitted.iter();
    all.filter_map(|(by, command)| match command {
        Command::Send { to: at, msg } if *by == from && *at == to => Some(msg),
        _ => None,
    })
    .collect()
}
