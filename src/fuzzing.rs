//! The bodies of the fuzz targets in `fuzz/`, one function per decoder that bytes from
//! outside the program reach.
//!
//! They live in the library, not in the fuzz crate, so that the nightly fuzz targets and the
//! stable corpus test (`tests/fuzz_corpus.rs`) run the very same code: each target is a thin
//! call to one of these, and `cargo test --release` replays every committed corpus file
//! through them. Each function decodes its input and, where the decoding succeeds, checks a
//! property that a faulty decoder would break (an encoding is canonical, a file written
//! back reads back the same, a resumed sweep keeps what it read). A bad input must come
//! back as [`Verdict::Rejected`]; a panic, or an assertion failing here, is a finding.

use crate::export::{self, BranchFile};
use crate::protocol::codec::{DecodeError, Reader, Writer};
use crate::protocol::{decode_block, Block, BlockHeader, BranchId, Chunk, Codec, Hash};
use crate::protocol::{notes_of, HeightStatus, Record, Verifier};
use crate::replay::{self, ReplayError};
use crate::scenario::Scenario;
use crate::sweep::{self, grid, grid::Job};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

/// What a target made of its input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The input decoded, and the target's property held.
    Accepted,
    /// The decoder refused the input, for this reason.
    Rejected(String),
}

impl Verdict {
    fn from<E: ToString>(result: Result<(), E>) -> Verdict {
        match result {
            Ok(()) => Verdict::Accepted,
            Err(error) => Verdict::Rejected(error.to_string()),
        }
    }
}

/// One fuzz target: its name (the file `fuzz/fuzz_targets/<name>.rs` and the corpus folder
/// `fuzz/corpus/<name>/`) and its body.
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]) -> Verdict,
}

/// Every target, in the order the README lists them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "header",
        run: header,
    },
    Target {
        name: "record",
        run: record,
    },
    Target {
        name: "block_primary",
        run: block_primary,
    },
    Target {
        name: "branch_file",
        run: branch_file,
    },
    Target {
        name: "chunks",
        run: chunks,
    },
    Target {
        name: "reconstruct",
        run: reconstruct,
    },
    Target {
        name: "scenario",
        run: scenario,
    },
    Target {
        name: "sweep_row",
        run: sweep_row,
    },
    Target {
        name: "sweep_resume",
        run: sweep_resume,
    },
];

/// The byte that separates branch files in an input of [`reconstruct`]: JSON text never
/// holds a NUL.
pub const FILE_SEPARATOR: u8 = 0;

/// Decodes one value with `decode` and checks that `encode` gives back exactly the bytes
/// it read: the encoding is canonical. Returns the value and the bytes left after it.
fn canonical<'a, T>(
    bytes: &'a [u8],
    decode: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    encode: impl FnOnce(&T, &mut Writer),
) -> Result<(T, usize), DecodeError> {
    let mut reader = Reader::new(bytes);
    let value = decode(&mut reader)?;
    let left = match reader.finish() {
        Ok(()) => 0,
        Err(DecodeError::TrailingBytes(left)) => left,
        Err(other) => panic!("finish fails only on trailing bytes, not {other:?}"),
    };
    let mut writer = Writer::default();
    encode(&value, &mut writer);
    assert_eq!(
        writer.bytes,
        bytes[..bytes.len() - left],
        "re-encoding the decoded value gives other bytes"
    );
    Ok((value, left))
}

/// `BlockHeader::decode`: a decoded header re-encodes to the bytes it came from, its
/// stated length is that of the encoding, and its primary size does not wrap around.
pub fn header(bytes: &[u8]) -> Verdict {
    Verdict::from(
        canonical(bytes, BlockHeader::decode, BlockHeader::encode).map(|(header, left)| {
            assert_eq!(header.encoded_len(), bytes.len() - left);
            assert!(header.primary_size() >= header.encoded_len() as u64);
            assert!(header.primary_size() >= header.body_size);
        }),
    )
}

/// `Record::decode`: a decoded record re-encodes to the bytes it came from, and its stated
/// length is that of the encoding.
pub fn record(bytes: &[u8]) -> Verdict {
    Verdict::from(
        canonical(bytes, Record::decode, Record::encode).map(|(record, left)| {
            assert_eq!(record.encoded_len(), bytes.len() - left);
        }),
    )
}

/// `Block::decode_primary`, what chunks decode to: the header and records re-encode to
/// exactly the input (trailing bytes are refused). The placement notes in the records the
/// block's own key signed are decoded too (`notes_of`), as a reader of a rebuilt branch
/// would.
pub fn block_primary(bytes: &[u8]) -> Verdict {
    Verdict::from(Block::decode_primary(bytes).map(|(header, records)| {
        let block = Block {
            header,
            records,
            foreign: Vec::new(),
        };
        assert_eq!(
            block.primary_bytes(),
            bytes,
            "primary data re-encodes otherwise"
        );
        let _ = notes_of(&block);
    }))
}

/// Parses a branch file's text as `reconstruct` reads it (bytes that are not UTF-8 are
/// refused, as reading a file into a string refuses them).
fn parse_branch_file(bytes: &[u8]) -> Result<BranchFile, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    BranchFile::parse(text)
}

/// The JSON `write` gives `file`.
fn branch_file_text(file: &BranchFile) -> String {
    serde_json::to_string_pretty(file).expect("branch files serialise")
}

/// `BranchFile::parse`: a file that parses is written back as text that parses to a file
/// written the same way.
pub fn branch_file(bytes: &[u8]) -> Verdict {
    Verdict::from(parse_branch_file(bytes).map(|file| {
        let text = branch_file_text(&file);
        let again = BranchFile::parse(&text).expect("a written branch file parses");
        assert_eq!(
            branch_file_text(&again),
            text,
            "a branch file reads back otherwise"
        );
    }))
}

/// What `reconstruct` does with the chunks of one branch file, under the file's own
/// parameters: each chunk is verified, and each set of chunks naming one block (source,
/// height, header hash) is decoded with `decode_block` *without* being verified first, so
/// the erasure decoder and `Block::decode_primary` see every shape of shard a file can
/// hold. A block that decodes is the block the chunks name.
pub fn chunks(bytes: &[u8]) -> Verdict {
    let file = match parse_branch_file(bytes) {
        Ok(file) => file,
        Err(reason) => return Verdict::Rejected(reason),
    };
    let params = &file.params;
    let codec = match Codec::new(params.k, params.m) {
        Ok(codec) => codec,
        Err(error) => return Verdict::Rejected(error.to_string()),
    };
    let mut verifier = Verifier::default();
    let mut blocks: BTreeMap<(BranchId, u64, Hash), Vec<&Chunk>> = BTreeMap::new();
    for chunk in file.blocks.iter().flat_map(|b| &b.foreign_chunks) {
        let _ = chunk.verify(params, &mut verifier);
        let h = &chunk.header;
        blocks
            .entry((h.source, h.height, h.header_hash))
            .or_default()
            .push(chunk);
    }
    for ((branch, height, header_hash), chunks) in blocks {
        let decoded = decode_block(
            params,
            &codec,
            branch,
            height,
            &header_hash,
            chunks.iter().copied(),
            &mut verifier,
        );
        if let Ok((header, records)) = decoded {
            assert_eq!(header.hash(), header_hash);
            assert_eq!((header.branch, header.height), (branch, height));
            let primary_len = chunks[0].header.primary_len;
            let block = Block {
                header,
                records,
                foreign: Vec::new(),
            };
            assert_eq!(block.primary_bytes().len() as u64, primary_len);
        }
    }
    Verdict::Accepted
}

/// `medilanac reconstruct` on a set of branch files, given one after another with
/// [`FILE_SEPARATOR`] between them: every branch they name (up to eight) is resolved by
/// its id and rebuilt from the others. The heights come in order, each decoded block is of
/// the branch and height it is reported at, a forged height does not blow up the report,
/// and the `--out` file of the rebuilt blocks reads back with exactly those blocks.
pub fn reconstruct(bytes: &[u8]) -> Verdict {
    let files: Result<Vec<BranchFile>, String> = bytes
        .split(|&b| b == FILE_SEPARATOR)
        .map(parse_branch_file)
        .collect();
    let files = match files {
        Ok(files) => files,
        Err(reason) => return Verdict::Rejected(reason),
    };
    let mut named: Vec<_> = files.iter().map(|f| f.branch).collect();
    let sources = files.iter().flat_map(|f| &f.blocks);
    named.extend(
        sources
            .flat_map(|b| &b.foreign_chunks)
            .map(|c| c.header.source),
    );
    named.sort();
    named.dedup();
    let mut verdict = Verdict::Accepted;
    for target in named.into_iter().take(8) {
        let found = export::resolve(&files, &target.to_string().to_ascii_uppercase());
        assert_eq!(found, Ok(target), "a full id names its own branch");
        let (result, params) = match export::rebuild(&files, target) {
            Ok(rebuilt) => rebuilt,
            Err(error) => {
                verdict = Verdict::Rejected(error.to_string());
                continue;
            }
        };
        let held = files
            .iter()
            .filter(|f| f.branch != target)
            .flat_map(|f| f.blocks.iter().flat_map(|b| &b.foreign_chunks))
            .filter(|c| c.header.source == target);
        let named_heights: std::collections::BTreeSet<u64> =
            held.map(|c| c.header.height).collect();
        let limit = (named_heights.len() as u64 + 1) * 1025;
        assert!(
            result.heights.len() as u64 <= limit,
            "{} heights reported for {} heights named",
            result.heights.len(),
            named_heights.len()
        );
        assert!(result.heights.windows(2).all(|w| w[0].height < w[1].height));
        for height in &result.heights {
            if let Some((header, _)) = &height.block {
                assert_eq!((header.branch, header.height), (target, height.height));
            }
            let decoded = height.block.is_some();
            match height.status {
                HeightStatus::Rebuilt | HeightStatus::Unlinked => assert!(decoded),
                HeightStatus::TooFewChunks { .. } | HeightStatus::Invalid(_) => {
                    assert!(!decoded)
                }
            }
        }
        let out = BranchFile::rebuilt(&params, &result);
        let again = BranchFile::parse(&branch_file_text(&out)).expect("--out reads back");
        let heights: Vec<u64> = again.blocks.iter().map(|b| b.height).collect();
        assert_eq!(heights, result.rebuilt());
    }
    verdict
}

/// `Scenario::parse`: a scenario that parses is written back as TOML that parses and is
/// written back the same; a sweep of at most 64 runs expands into its jobs (or fails with
/// an error) and its CSV header names every column once.
pub fn scenario(bytes: &[u8]) -> Verdict {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => return Verdict::Rejected(error.to_string()),
    };
    let scenario = match Scenario::parse(text) {
        Ok(scenario) => scenario,
        Err(error) => return Verdict::Rejected(error.to_string()),
    };
    let written = toml::to_string(&scenario).expect("a checked scenario serialises to TOML");
    let again = Scenario::parse(&written)
        .unwrap_or_else(|e| panic!("a written scenario fails to parse: {e}\n{written}"));
    let rewritten = toml::to_string(&again).expect("a checked scenario serialises to TOML");
    assert_eq!(rewritten, written, "a scenario reads back otherwise");
    let header = sweep::header(&scenario);
    let mut columns = header.clone();
    columns.sort();
    columns.dedup();
    assert_eq!(columns.len(), header.len(), "two columns share a name");
    if let Some(sweep) = &scenario.sweep {
        let points = sweep.grid.values().map(Vec::len).product::<usize>();
        if (points as u64) * sweep.seeds <= 64 {
            return Verdict::from(grid::jobs(&scenario).map(|jobs| {
                assert_eq!(jobs.len() as u64, points as u64 * sweep.seeds);
            }));
        }
    }
    Verdict::Accepted
}

/// The sweep the CSV targets read rows of: `scenarios/storage-ratio.toml`, its columns and
/// its runs.
fn storage_ratio() -> &'static (Scenario, Vec<String>, Vec<Job>) {
    static SWEEP: OnceLock<(Scenario, Vec<String>, Vec<Job>)> = OnceLock::new();
    SWEEP.get_or_init(|| {
        let text = include_str!("../scenarios/storage-ratio.toml");
        let base = Scenario::parse(text).expect("the shipped scenario parses");
        let jobs = grid::jobs(&base).expect("the shipped sweep expands");
        (base.clone(), sweep::header(&base), jobs)
    })
}

/// The name a fuzz input goes by in error messages.
const INPUT: &str = "fuzz input";

/// `replay --row` on a sweep CSV: `replay::parse_row` for rows 0 to 3, and
/// `replay::job_for_row` against `scenarios/storage-ratio.toml` for each row found. A row
/// found has the header's fields; a row matched to a run carries that run's grid values,
/// seed and digest.
pub fn sweep_row(bytes: &[u8]) -> Verdict {
    let (base, _, _) = storage_ratio();
    let path = Path::new(INPUT);
    let mut verdict = Verdict::Accepted;
    for index in 0..4 {
        let row = match replay::parse_row(bytes, path, index) {
            Ok(row) => row,
            Err(ReplayError::NoRow { .. }) if index > 0 => break,
            Err(error) => return Verdict::Rejected(error.to_string()),
        };
        assert_eq!(row.row, index);
        assert_eq!(row.fields.len(), row.columns.len());
        match replay::job_for_row(base, path, &row) {
            Ok((job, digest)) => {
                let paths = grid::paths(base);
                assert_eq!(row.fields[3..3 + paths.len()], job.values[..]);
                assert_eq!(row.fields[3 + paths.len()], job.seed.to_string());
                let text = row.fields.last().expect("a digest column");
                assert!(text.eq_ignore_ascii_case(&digest.to_string()));
            }
            Err(error) if verdict == Verdict::Accepted => {
                verdict = Verdict::Rejected(error.to_string())
            }
            Err(_) => {}
        }
    }
    verdict
}

/// `sweep --resume` on a sweep CSV of `scenarios/storage-ratio.toml`:
/// `sweep::complete_runs` counts the whole runs the text starts with and the bytes they
/// take. What it keeps lies within the text, holds no more runs than the sweep has, and
/// read again alone gives the same runs and length: resuming a resumed file loses nothing.
pub fn sweep_resume(bytes: &[u8]) -> Verdict {
    let (_, header, jobs) = storage_ratio();
    let (complete, keep) = match sweep::complete_runs(bytes, header, jobs) {
        Ok(found) => found,
        Err(reason) => return Verdict::Rejected(reason),
    };
    assert!(complete <= jobs.len());
    assert!(
        keep <= bytes.len() as u64,
        "keeps {keep} of {} bytes",
        bytes.len()
    );
    let kept = &bytes[..keep as usize];
    assert_eq!(
        sweep::complete_runs(kept, header, jobs),
        Ok((complete, keep)),
        "the kept part of the file reads otherwise"
    );
    Verdict::Accepted
}
