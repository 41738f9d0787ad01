//! Sealed records through the erasure code (rule 16 beside rules 6 and 10): encryption
//! happens before coding, so any k of a block's m chunks give back every sealed entry byte
//! for byte, and it still opens for each reader the patient chose and for nobody else.

use crate::support::{config, miner_keys, patient_keys};
use medilanac::protocol::codec::{Reader, Writer};
use medilanac::protocol::entry::{context, Body, Entry};
use medilanac::protocol::envelope::{Envelope, OpenError, ReaderKeys};
use medilanac::protocol::{make_chunks, Block, BranchTip, Bytes, ChunkAuth, Codec, Record};
use medilanac::sim::stream;
use proptest::prelude::*;

proptest! {
    #![proptest_config(config(24))]

    /// Guards the order of sealing and coding in `Patient::submit_next` and
    /// `make_chunks`: what the code rebuilds is the sealed entry, unchanged.
    #[test]
    fn any_k_chunks_rebuild_sealed_entries_byte_for_byte_and_they_still_open(
        sizes in proptest::collection::vec(1usize..3000, 1..5),
        readers in 1usize..4,
        k in 1u16..5,
        extra in 0u16..4,
        pick in any::<u64>(),
    ) {
        let m = k + extra;
        let keys: Vec<ReaderKeys> =
            (0..readers as u64).map(|i| ReaderKeys::derive(3, "reader", i)).collect();
        let publics: Vec<_> = keys.iter().map(ReaderKeys::public).collect();
        let patient = patient_keys(0);
        let mut plaintexts = Vec::new();
        let records: Vec<Record> = sizes
            .iter()
            .enumerate()
            .map(|(sequence, &size)| {
                let plaintext: Vec<u8> = (0..size).map(|i| (i * 7 + sequence) as u8).collect();
                let context = context(&patient.public(), sequence as u64);
                let rng = &mut stream(pick, "seal", sequence as u64);
                let envelope = Envelope::seal(&plaintext, &publics, &context, rng);
                plaintexts.push(plaintext);
                let entry = Entry { prev: None, body: Body::Data(envelope) };
                Record::new(&patient, sequence as u64, Bytes::from(entry.to_payload()))
            })
            .collect();
        let miner = miner_keys(0);
        let mut tip = BranchTip::new();
        let genesis = Block::seal(&miner, &tip, 0, vec![], vec![]);
        tip.push_block(&genesis, genesis.hash(), 1);
        let block = Block::seal(&miner, &tip, 1, records.clone(), vec![]);
        let codec = Codec::new(k, m).unwrap();
        let chunks = make_chunks(&codec, ChunkAuth::Commitment, &miner, &block.header, &block.primary_bytes());
        // Any k of the m chunks, by a shuffle the case draws.
        use rand::seq::SliceRandom;
        let mut order: Vec<usize> = (0..m as usize).collect();
        order.shuffle(&mut stream(pick, "pick", 0));
        let shards: Vec<(usize, &[u8])> =
            order[..k as usize].iter().map(|&i| (i, &chunks[i].data[..])).collect();
        let primary = codec.decode(&shards, chunks[0].header.primary_len).unwrap();
        let (_, rebuilt) = Block::decode_primary(&primary).unwrap();
        prop_assert_eq!(&rebuilt, &records);
        for (record, plaintext) in rebuilt.iter().zip(&plaintexts) {
            let Body::Data(envelope) = Entry::of(record).unwrap().body else { unreachable!() };
            let context = context(&record.patient, record.sequence);
            for key in &keys {
                prop_assert_eq!(&envelope.open(key, &context).unwrap(), plaintext);
            }
            let outsider = ReaderKeys::derive(3, "reader", 99);
            prop_assert_eq!(envelope.open(&outsider, &context), Err(OpenError::NotAReader));
            let mut writer = Writer::default();
            envelope.encode(&mut writer);
            let mut reader = Reader::new(&writer.bytes);
            prop_assert_eq!(Envelope::decode(&mut reader).unwrap(), envelope);
        }
    }
}
