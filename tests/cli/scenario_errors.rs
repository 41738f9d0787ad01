//! Scenario files the simulator cannot honour are refused with exit code 2 and a message
//! that names the field and the offending value, never with a panic or a silent default.

use crate::support::{medilanac, shipped, Run, ScenarioText};
use medilanac::scenario::{Scenario, ScenarioError};
use tempfile::TempDir;

/// `medilanac check FILE` on `text`, expected to refuse it naming each of `needles`.
fn refused(text: &ScenarioText, needles: &[&str]) -> Run {
    let root = TempDir::new().unwrap();
    let file = text.write(root.path(), "bad.toml");
    let run = medilanac(["check".as_ref(), file.as_os_str()]);
    run.expect(2).stderr_names(needles);
    assert!(
        !run.stdout.contains("ok"),
        "a refused file was reported ok\n{}",
        run.describe()
    );
    run
}

#[test]
fn valid_files_pass_check() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small().write(root.path(), "small.toml");
    let run = medilanac(["check".as_ref(), file.as_os_str()]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("ok (6 miners, 2 blocks each, k = 2, m = 4)"),
        "{}",
        run.describe()
    );
    assert!(run.stderr.is_empty());
    for name in [
        "default.toml",
        "dissertation.toml",
        "prototype-defaults.toml",
    ] {
        let path = shipped(name);
        medilanac(["check".as_ref(), path.as_os_str()]).expect(0);
    }
}

#[test]
fn unknown_key_at_top_level() {
    refused(&ScenarioText::small().set("minners", "6"), &["minners"]);
    // A typo of an optional key must not silently run the default.
    refused(
        &ScenarioText::small().set("durration", "10.0"),
        &["durration"],
    );
}

#[test]
fn unknown_key_in_protocol() {
    refused(&ScenarioText::small().set("protocol.kk", "2"), &["kk"]);
    let foreign = r#"{ rule = "size", treshold = 0 }"#;
    refused(
        &ScenarioText::small().set("protocol.foreign", foreign),
        &["treshold"],
    );
}

#[test]
fn unknown_key_in_patients() {
    refused(
        &ScenarioText::small().set("patients.record_sise", "64"),
        &["record_sise"],
    );
}

#[test]
fn unknown_key_in_miner() {
    refused(
        &ScenarioText::small().set("miner.block_intervall", "10.0"),
        &["block_intervall"],
    );
}

#[test]
fn unknown_key_in_network() {
    let text = ScenarioText::small()
        .set("network.latency", r#"{ kind = "constant", ms = 20.0 }"#)
        .set("network.losss", "0.1");
    refused(&text, &["losss"]);
    let latency = r#"{ kind = "constant", msec = 20.0 }"#;
    refused(
        &ScenarioText::small().set("network.latency", latency),
        &["msec"],
    );
}

#[test]
fn unknown_key_in_adversaries() {
    refused(
        &ScenarioText::small().set("adversaries.tamperer", "1"),
        &["tamperer"],
    );
}

#[test]
fn k_above_m() {
    let text = ScenarioText::small()
        .set("protocol.k", "5")
        .set("protocol.m", "4");
    refused(&text, &["protocol.k = 5", "m = 4"]);
}

#[test]
fn k_zero() {
    refused(
        &ScenarioText::small().set("protocol.k", "0"),
        &["protocol.k = 0"],
    );
}

#[test]
fn m_beyond_the_code() {
    let text = ScenarioText::small()
        .set("miners", "400")
        .set("protocol.m", "300");
    refused(&text, &["protocol.m = 300"]);
}

#[test]
fn no_miners() {
    refused(&ScenarioText::small().set("miners", "0"), &["miners = 0"]);
}

#[test]
fn too_few_miners_for_distinct_placement() {
    // m = 4 chunks on 4 other miners need at least 5 miners.
    refused(
        &ScenarioText::small().set("miners", "4"),
        &["miners = 4", "distinct"],
    );
    let any = ScenarioText::small()
        .set("miners", "4")
        .set("protocol.placement", "\"any\"");
    any.scenario();
}

#[test]
fn negative_times() {
    refused(
        &ScenarioText::small().set("duration", "-1.0"),
        &["duration = -1"],
    );
    refused(
        &ScenarioText::small().set("miner.block_interval", "-5"),
        // A [miner] time is read straight into virtual time, so the TOML reader refuses it
        // and shows the line.
        &["block_interval = -5", "-5 is not a number of seconds"],
    );
    refused(
        &ScenarioText::small().set("patients.interval", "0.0"),
        &["patients.interval = 0"],
    );
    refused(
        &ScenarioText::small().set("miner.request_timeout", "nan"),
        &["request_timeout = nan", "NaN is not a number of seconds"],
    );
}

#[test]
fn absurd_record_size() {
    refused(
        &ScenarioText::small().set("patients.record_size", "2147483648"),
        &["patients.record_size = 2147483648"],
    );
}

#[test]
fn loss_is_not_a_probability() {
    let text = ScenarioText::small()
        .set("network.latency", r#"{ kind = "constant", ms = 20.0 }"#)
        .set("network.loss", "1.5");
    refused(&text, &["network.loss = 1.5"]);
}

#[test]
fn wrong_type() {
    refused(
        &ScenarioText::small().set("miners", "\"ten\""),
        &["miners", "ten", "invalid type"],
    );
    refused(
        &ScenarioText::small().set("blocks", "-1"),
        &["blocks", "-1"],
    );
}

#[test]
fn missing_required_field() {
    refused(
        &ScenarioText::small().remove("blocks"),
        &["blocks", "missing"],
    );
}

#[test]
fn bad_latency() {
    let latency = r#"{ kind = "uniform", min_ms = 50.0, max_ms = 10.0 }"#;
    refused(
        &ScenarioText::small().set("network.latency", latency),
        &["network.latency", "min_ms: 50.0", "max_ms: 10.0"],
    );
}

#[test]
fn run_refuses_a_bad_file_before_running() {
    let root = TempDir::new().unwrap();
    let file = ScenarioText::small()
        .set("protocol.k", "5")
        .write(root.path(), "bad.toml");
    let run = medilanac(["run".as_ref(), file.as_os_str()]);
    run.expect(2).stderr_names(&["protocol.k = 5"]);
    assert!(run.stdout.is_empty(), "{}", run.describe());
}

#[test]
fn missing_file_is_bad_input() {
    let root = TempDir::new().unwrap();
    let file = root.path().join("absent.toml");
    for command in ["check", "run"] {
        let run = medilanac([command.as_ref(), file.as_os_str()]);
        run.expect(2).stderr_names(&["cannot read", "absent.toml"]);
    }
}

#[test]
fn library_names_the_field() {
    let cases = [
        (
            ScenarioText::small().set("protocol.k", "0"),
            "protocol.k",
            "0",
        ),
        (ScenarioText::small().set("miners", "0"), "miners", "0"),
        (
            ScenarioText::small()
                .set("network.latency", r#"{ kind = "constant", ms = 20.0 }"#)
                .set("network.loss", "1.5"),
            "network.loss",
            "1.5",
        ),
    ];
    for (text, want_field, want_value) in cases {
        match Scenario::parse(&text.text()) {
            Err(ScenarioError::Invalid { field, value, .. }) => {
                assert_eq!((field.as_str(), value.as_str()), (want_field, want_value));
            }
            Err(other) => panic!("{want_field}: wrong error {other}"),
            Ok(_) => panic!("{want_field} = {want_value} accepted"),
        }
    }
}

#[test]
fn region_matrix_that_is_not_square() {
    let regions = "{ latency_ms = [[10.0, 80.0], [80.0]] }";
    refused(
        &ScenarioText::small().set("network.regions", regions),
        &["network.regions.latency_ms", "square"],
    );
    let negative = "{ latency_ms = [[10.0, -1.0], [80.0, 10.0]] }";
    refused(
        &ScenarioText::small().set("network.regions", negative),
        &["network.regions.latency_ms = -1"],
    );
}

/// The patients' tables: each names its field and what was expected.
#[test]
fn patients_tables_with_impossible_values() {
    let fhir = || ScenarioText::small().set("protocol.records", "\"fhir\"");
    refused(
        &ScenarioText::small().set("records", "{ clear = 0.5 }"),
        &["records", "protocol.records = \"fhir\""],
    );
    refused(
        &fhir().set("records", "{ clear = 1.5 }"),
        &["records.clear", "1.5", "between 0 and 1"],
    );
    refused(
        &fhir().set(
            "records",
            "{ observation = { weight = 1, bytes = [900, 100] } }",
        ),
        &[
            "records.observation.bytes",
            "[900, 100]",
            "smallest <= largest",
        ],
    );
    refused(
        &fhir().set(
            "key_theft",
            "{ patient = 0, stolen_at = 50.0, noticed_at = 10.0 }",
        ),
        &["key_theft.noticed_at", "10", "stolen_at"],
    );
    refused(
        &fhir().set(
            "key_recovery",
            "{ threshold = 4, holders = 3, lost_at = 10.0 }",
        ),
        &["key_recovery.threshold", "4", "holders (3)"],
    );
    refused(
        &fhir().set(
            "key_recovery",
            "{ patient = 999, threshold = 1, holders = 1, lost_at = 1.0 }",
        ),
        &["key_recovery.patient", "999"],
    );
    refused(
        &fhir()
            .set(
                "key_theft",
                "{ patient = 0, stolen_at = 10.0, noticed_at = 20.0 }",
            )
            .set(
                "key_recovery",
                "{ patient = 0, threshold = 1, holders = 1, lost_at = 5.0 }",
            ),
        &["key_recovery.patient", "key_theft.patient"],
    );
}
