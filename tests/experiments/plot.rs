//! `medilanac plot` (DESIGN section 4): a fault-tolerance, storage-ratio or multi-link CSV
//! becomes a PNG or an SVG with labelled axes; anything else is refused with exit code 2, and no
//! half-written image is ever left behind.

use crate::support::{files_in, medilanac, sweep_to, Run, ScenarioText};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn fault_tolerance_csv(dir: &Path) -> PathBuf {
    let text = ScenarioText::from_text(
        r#"
name = "plot-ft"
seed = 1
miners = 10
blocks = 3

[protocol]
k = 2
m = 4

[experiment]
kind = "fault_tolerance"
subjects = 4
prefix = 2
"#,
    )
    .sweep(
        1,
        &[
            ("protocol.k", "[1, 2, 3, 4]"),
            ("protocol.placement", r#"["distinct", "any"]"#),
        ],
    );
    let out = dir.join("ft.csv");
    sweep_to(&text, &out, false, None);
    out
}

fn storage_ratio_csv(dir: &Path) -> PathBuf {
    let text = ScenarioText::from_text(
        r#"
name = "plot-sr"
seed = 1
miners = 6
blocks = 3

[protocol]
k = 2
m = 3

[experiment]
kind = "storage_ratio"
"#,
    )
    .sweep(
        1,
        &[
            ("patients.record_size", "[64, 1024, 8192]"),
            ("protocol.m", "[3, 4]"),
        ],
    );
    let out = dir.join("sr.csv");
    sweep_to(&text, &out, false, None);
    out
}

fn multi_link_csv(dir: &Path) -> PathBuf {
    let text = ScenarioText::from_text(
        r#"
name = "plot-ml"
seed = 1
miners = 8
blocks = 6

[protocol]
k = 2
m = 4

[experiment]
kind = "multi_link"
subjects = 3
"#,
    )
    .sweep(2, &[("protocol.links", "[1, 2, 4]")]);
    let out = dir.join("ml.csv");
    sweep_to(&text, &out, false, None);
    out
}

#[test]
fn an_adversaries_csv_plots_to_png_and_svg() {
    let root = TempDir::new().unwrap();
    let csv = crate::adversaries::csv(root.path());
    // The panels, the series of both kinds and the prediction's legend.
    let words = [
        "adversaries-small",
        "blacklisted",
        "honest blocks",
        "tamperer",
        "duplicator",
        "predicted",
    ];
    plots_alike_twice_and_as_svg(&csv, "adversaries", &words);
}

fn summary_csv(dir: &Path) -> PathBuf {
    let text = ScenarioText::from_text(
        r#"
name = "plot-summary"
miners = 6
blocks = 1

[protocol]
k = 2
m = 4
"#,
    )
    .sweep(1, &[("protocol.k", "[1, 2]")]);
    let out = dir.join("summary.csv");
    sweep_to(&text, &out, false, None);
    out
}

fn plot(csv: &Path, out: &Path) -> Run {
    medilanac([
        "plot".as_ref(),
        csv.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
}

/// Asserts no `.partial.` file is in `dir`.
fn no_partial_files(dir: &Path) {
    let names = files_in(dir);
    assert!(
        names.iter().all(|n| !n.contains(".partial")),
        "a partial image was left behind: {names:?}"
    );
}

/// A plain white image of the plots' size, as the same library encodes it: what a plot with
/// nothing drawn would weigh.
fn blank_png(dir: &Path) -> u64 {
    use plotters::prelude::*;
    let path = dir.join("blank-reference.png");
    {
        let area = BitMapBackend::new(&path, (1200, 800)).into_drawing_area();
        area.fill(&WHITE).unwrap();
        area.present().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    std::fs::remove_file(&path).unwrap();
    size
}

/// Checks `path` is a PNG of the plots' size with far more in it than a blank image.
fn check_png(path: &Path, blank: u64) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(PNG_SIGNATURE),
        "{} is no PNG",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR", "the first chunk is not IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1200, 800), "image size");
    let size = bytes.len() as u64;
    assert!(
        size > 10_000 && size > 4 * blank,
        "{}: {size} bytes, a blank image has {blank}: nothing much was drawn",
        path.display()
    );
    bytes
}

/// The text of the `<text>` elements of an SVG.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|rest| {
            let (_, inner) = rest.split_once('>')?;
            let (text, _) = inner.split_once("</text>")?;
            Some(text.to_string())
        })
        .collect()
}

/// Checks `path` is an SVG whose text elements mention each of `words` (case-insensitive).
fn check_svg(path: &Path, words: &[&str]) -> String {
    let svg = std::fs::read_to_string(path).unwrap();
    assert!(
        svg.trim_start().starts_with("<svg"),
        "{} is no SVG",
        path.display()
    );
    assert!(
        svg.trim_end().ends_with("</svg>"),
        "{} is cut short",
        path.display()
    );
    let texts = svg_texts(&svg);
    assert!(
        texts.len() >= 10,
        "only {} text elements: {texts:?}",
        texts.len()
    );
    for word in words {
        let word = word.to_lowercase();
        assert!(
            texts.iter().any(|t| t.to_lowercase().contains(&word)),
            "no text element mentions {word:?}: {texts:?}"
        );
    }
    svg
}

/// Plots `csv` to `stem.png` twice (the same bytes both times) and to `stem.svg`, whose text
/// must mention each of `words`; no partial file is left.
fn plots_alike_twice_and_as_svg(csv: &Path, stem: &str, words: &[&str]) {
    let dir = csv.parent().unwrap();
    let blank = blank_png(dir);
    let png = dir.join(format!("{stem}.png"));
    let run = plot(csv, &png);
    run.expect(0);
    assert!(
        run.stdout.contains(&format!("{stem}.png")),
        "{}",
        run.describe()
    );
    let first = check_png(&png, blank);
    plot(csv, &png).expect(0);
    assert_eq!(
        std::fs::read(&png).unwrap(),
        first,
        "the same CSV plots another PNG"
    );
    let svg = dir.join(format!("{stem}.svg"));
    plot(csv, &svg).expect(0);
    check_svg(&svg, words);
    no_partial_files(dir);
}

#[test]
fn a_fault_tolerance_csv_plots_to_png_and_svg() {
    let root = TempDir::new().unwrap();
    let csv = fault_tolerance_csv(root.path());
    // The axes (redundancy m/k against branches removed), the title's scenario, and the
    // legend of both placements and the ideal.
    let words = [
        "redundancy",
        "m/k",
        "removed",
        "plot-ft",
        "distinct",
        "any",
        "ideal",
    ];
    plots_alike_twice_and_as_svg(&csv, "ft", &words);
    assert_eq!(files_in(root.path()), ["ft.csv", "ft.png", "ft.svg"]);
}

#[test]
fn a_storage_ratio_csv_plots_to_png_and_svg() {
    let root = TempDir::new().unwrap();
    let dir = root.path();
    let csv = storage_ratio_csv(dir);
    let blank = blank_png(dir);
    let png = dir.join("sr.png");
    plot(&csv, &png).expect(0);
    let bytes = check_png(&png, blank);

    // Upper-case extensions are images too.
    let upper = dir.join("SR.PNG");
    plot(&csv, &upper).expect(0);
    assert_eq!(std::fs::read(&upper).unwrap(), bytes);

    let svg = dir.join("sr.svg");
    plot(&csv, &svg).expect(0);
    // Both panels' axes (primary size against block size and against the ratio), the
    // scenario, and one legend entry per code.
    check_svg(
        &svg,
        &[
            "primary",
            "block size",
            "plot-sr",
            "k = 2, m = 3",
            "k = 2, m = 4",
            "1 + m/k",
        ],
    );
    no_partial_files(dir);
    assert_eq!(files_in(dir), ["SR.PNG", "sr.csv", "sr.png", "sr.svg"]);
}

#[test]
fn a_multi_link_csv_plots_to_png_and_svg() {
    let root = TempDir::new().unwrap();
    let csv = multi_link_csv(root.path());
    // The axes (branches removed against the share of later blocks), the title's scenario,
    // one legend entry per number of links, and the exact count, ideal and decoded share.
    let words = [
        "branches removed",
        "after the first lost one",
        "plot-ml",
        "L = 1 link:",
        "L = 2 links",
        "L = 4 links",
        "verifiable",
        "exact",
        "ideal",
        "decodes",
    ];
    plots_alike_twice_and_as_svg(&csv, "ml", &words);
    assert_eq!(files_in(root.path()), ["ml.csv", "ml.png", "ml.svg"]);
}

#[test]
fn a_csv_of_other_columns_is_refused() {
    let root = TempDir::new().unwrap();
    let dir = root.path();
    let csv = summary_csv(dir);
    for name in ["summary.png", "summary.svg"] {
        let out = dir.join(name);
        plot(&csv, &out)
            .expect(2)
            .stderr_names(&["fault-tolerance", "storage-ratio"]);
        assert!(!out.exists(), "{name} was written for a summary CSV");
        no_partial_files(dir);
    }

    // A header and no rows, a cell that is no number, and no file at all.
    let ft = fault_tolerance_csv(dir);
    let text = std::fs::read_to_string(&ft).unwrap();
    let header = text.lines().next().unwrap();
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, format!("{header}\n")).unwrap();
    plot(&empty, &dir.join("empty.png"))
        .expect(2)
        .stderr_names(&["no rows"]);

    let removed = header.split(',').position(|c| c == "removed").unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut cells: Vec<&str> = lines[2].split(',').collect();
    cells[removed] = "many";
    lines[2] = cells.join(",");
    let broken = dir.join("broken.csv");
    std::fs::write(&broken, lines.join("\n") + "\n").unwrap();
    plot(&broken, &dir.join("broken.svg"))
        .expect(2)
        .stderr_names(&["removed", "many"]);

    plot(&dir.join("missing.csv"), &dir.join("missing.png")).expect(2);
    no_partial_files(dir);
    assert_eq!(
        files_in(dir),
        ["broken.csv", "empty.csv", "ft.csv", "summary.csv"],
        "a refused plot left a file"
    );
}

#[test]
fn an_unknown_image_format_is_refused() {
    let root = TempDir::new().unwrap();
    let dir = root.path();
    let csv = storage_ratio_csv(dir);
    for name in ["plot.jpg", "plot.pdf", "plot"] {
        let out = dir.join(name);
        plot(&csv, &out)
            .expect(2)
            .stderr_names(&[name, ".png", ".svg"]);
        assert!(!out.exists());
    }
    no_partial_files(dir);
    assert_eq!(files_in(dir), ["sr.csv"]);
}
