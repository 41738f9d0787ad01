//! Plots drawn from a sweep's CSV alone, as PNG or SVG.
//!
//! The kind of plot follows from the columns: a fault-tolerance CSV gives tolerance against
//! redundancy with both predictions, a storage-ratio CSV gives block size and block/primary
//! ratio against primary size, a durability CSV the share of blocks recoverable over time,
//! a multi-link CSV the share of blocks after a lost one that still verify against
//! branches removed, per number of links, and an adversaries CSV detection and costs
//! against the number of adversaries. Text is drawn with a DejaVu Sans font compiled into the
//! binary, so PNGs render the same on a machine with no fonts installed. The image is drawn
//! to a temporary file and renamed, so it is whole or absent.

mod adversaries;
mod durability;
mod fault_tolerance;
mod multi_link;
mod storage_ratio;
mod table;

use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;
use table::Table;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PlotError {
    #[error("{0}")]
    Input(String),
    #[error("{0}: unknown image format (use .png or .svg)")]
    Format(String),
    #[error(
        "cannot tell what to plot: the CSV has none of the fault-tolerance, storage-ratio, durability, multi-link or adversaries columns"
    )]
    Kind,
    #[error("drawing failed: {0}")]
    Draw(String),
    #[error("{path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Converts any drawing error into a [`PlotError`].
pub(crate) fn drawing<E: std::fmt::Display>(error: E) -> PlotError {
    PlotError::Draw(error.to_string())
}

/// The font every label uses.
pub(crate) const FONT: &str = "sans-serif";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// Colours of the plotted series, chosen to stay apart for readers with colour blindness.
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(150, 150, 150),
];

/// The faint grid between labelled ticks.
pub(crate) const FAINT: RGBColor = RGBColor(238, 238, 238);

/// Draws a chart's legend: the series' labels at `position`, `size` points high, in a
/// white box with a faint border, as every plot has it.
pub(crate) fn legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
    size: u32,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, size))
        .draw()
        .map_err(drawing)
}

/// A byte count on a decade axis: `1 kB`, `10 MB`.
pub(crate) fn bytes_label(value: &f64) -> String {
    let units = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    match units.iter().find(|(size, _)| *value >= *size) {
        Some((size, unit)) => format!("{} {unit}", value / size),
        None => format!("{value} B"),
    }
}

/// Draws the plot `csv` calls for into `out` (`.png` or `.svg`).
pub fn plot(csv: &Path, out: &Path) -> Result<(), PlotError> {
    register_font();
    let table = Table::read(csv)?;
    let extension = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let temporary = out.with_extension(format!("partial.{extension}"));
    let size = (1200, 800);
    let drawn = match extension.as_str() {
        "png" => draw(
            &table,
            BitMapBackend::new(&temporary, size).into_drawing_area(),
        ),
        "svg" => draw(
            &table,
            SVGBackend::new(&temporary, size).into_drawing_area(),
        ),
        _ => return Err(PlotError::Format(out.display().to_string())),
    };
    if let Err(error) = drawn {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    std::fs::rename(&temporary, out).map_err(|source| PlotError::Io {
        path: out.display().to_string(),
        source,
    })
}

fn draw<DB: DrawingBackend>(
    table: &Table,
    root: DrawingArea<DB, plotters::coord::Shift>,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(drawing)?;
    if table.has("removed_ideal") {
        fault_tolerance::draw(table, &root)?;
    } else if table.has("after_verified_ideal") {
        multi_link::draw(table, &root)?;
    } else if table.has("fraction") && table.has("time_days") {
        durability::draw(table, &root)?;
    } else if table.has("ratio") && table.has("primary_bytes") {
        storage_ratio::draw(table, &root)?;
    } else if table.has("predicted_detected") && table.has("adversary") {
        adversaries::draw(table, &root)?;
    } else {
        return Err(PlotError::Kind);
    }
    root.present().map_err(drawing)
}
