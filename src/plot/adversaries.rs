//! Hostile miners against their count, one series per kind: the share found out (with
//! the prediction dashed), how long it took, the honest blocks left unprotected, and the
//! bytes the adversaries cost and saved. Each point is the mean over the sweep's seeds,
//! its bar the lowest and highest seed.

use super::table::Table;
use super::{bytes_label, drawing, legend, PlotError, FAINT, FONT, PALETTE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// One panel: which column it shows, how the axis reads, and whether the prediction is
/// dashed beside it.
struct Panel {
    /// The column shown; `honest_blocks_lost` is shown as a share of `honest_blocks`.
    column: &'static str,
    title: &'static str,
    axis: &'static str,
    predicted: Option<&'static str>,
}

const PANELS: [Panel; 4] = [
    Panel {
        column: "detected",
        title: "share blacklisted by half of the honest miners",
        axis: "share of adversaries",
        predicted: Some("predicted_detected"),
    },
    Panel {
        column: "full_detection_s",
        title: "time until every adversary was found out",
        axis: "virtual seconds",
        predicted: None,
    },
    Panel {
        column: "honest_blocks_lost",
        title: "honest blocks with fewer than k chunks on honest branches",
        axis: "share of honest blocks",
        predicted: None,
    },
    Panel {
        column: "honest_bytes_wasted",
        title: "honest storage spent on duplicates and fabricated data",
        axis: "bytes",
        predicted: None,
    },
];

/// The series a row belongs to: its kind, and for generators whether records must be
/// certified (the one kind that setting changes). Rows of other kinds with certification
/// on repeat those with it off and are left out.
fn series_of(kind: &str, certified: &str) -> Option<String> {
    match (kind, certified) {
        ("generator", "true") => Some("generator, certified records".into()),
        (_, "true") => None,
        (kind, _) => Some(kind.replace('_', " ")),
    }
}

/// Per series, per adversary count: the values of `column` over the seeds.
type Points = BTreeMap<String, BTreeMap<u64, Vec<f64>>>;

fn points(table: &Table, column: &str) -> Result<Points, PlotError> {
    let kinds = table.text("adversary")?;
    let counts = table.numbers("count")?;
    let certified = match table.has("protocol.certified_patients") {
        true => table.text("protocol.certified_patients")?,
        false => vec![String::new(); kinds.len()],
    };
    let values = table.text(column)?;
    let per = match column {
        "honest_blocks_lost" => table.numbers("honest_blocks")?,
        _ => vec![1.0; kinds.len()],
    };
    let mut points = Points::new();
    for i in 0..kinds.len() {
        let Some(series) = series_of(&kinds[i], &certified[i]) else {
            continue;
        };
        let Ok(value) = values[i].parse::<f64>() else {
            continue; // empty: not reached, or nothing to measure
        };
        let value = value / per[i].max(1.0);
        let at = points.entry(series).or_default();
        at.entry(counts[i] as u64).or_default().push(value);
    }
    Ok(points)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

pub fn draw<DB: DrawingBackend>(
    table: &Table,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    let title = format!(
        "Hostile miners: scenario \"{}\"",
        table.text("scenario")?[0]
    );
    let root = root.titled(&title, (FONT, 28)).map_err(drawing)?;
    let names: Vec<String> = points(table, "count")?.into_keys().collect();
    let max_count = table.numbers("count")?.into_iter().fold(1.0, f64::max);
    for (area, panel) in root.split_evenly((2, 2)).iter().zip(&PANELS) {
        let measured = points(table, panel.column)?;
        let predicted = match panel.predicted {
            Some(column) => points(table, column)?,
            None => Points::new(),
        };
        let all = measured
            .values()
            .chain(predicted.values())
            .flat_map(|p| p.values().flatten());
        let highest = all.fold(0.0, |a: f64, &b| a.max(b));
        let y_max = match panel.column {
            "detected" => 1.05,
            "honest_blocks_lost" => (highest * 1.15).min(1.0),
            _ => highest.max(1.0) * 1.15,
        };
        let y_label = |y: &f64| match panel.column {
            "honest_bytes_wasted" => bytes_label(y),
            "full_detection_s" => format!("{y:.0}"),
            _ => format!("{y:.2}"),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(panel.title, (FONT, 18))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.3..max_count + 0.3, 0.0..y_max)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc("adversaries of the kind in the network")
            .y_desc(panel.axis)
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .light_line_style(FAINT)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&y_label)
            .draw()
            .map_err(drawing)?;
        for (index, (colour, name)) in PALETTE.iter().cycle().zip(&names).enumerate() {
            let style = colour.stroke_width(2);
            // Kinds often measure the same (every one found out): a small shift per
            // series keeps each visible.
            let shift = (index as f64 - (names.len() as f64 - 1.0) / 2.0) * 0.07;
            let at = |n: u64| n as f64 + shift;
            if let Some(series) = measured.get(name) {
                let line = series.iter().map(|(&n, v)| (at(n), mean(v)));
                chart
                    .draw_series(LineSeries::new(line, style).point_size(4))
                    .map_err(drawing)?
                    .label(name.clone())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
                let bars = series.iter().map(|(&n, v)| {
                    let low = v.iter().copied().fold(f64::MAX, f64::min);
                    let high = v.iter().copied().fold(f64::MIN, f64::max);
                    ErrorBar::new_vertical(at(n), low, mean(v), high, colour.stroke_width(1), 8)
                });
                chart.draw_series(bars).map_err(drawing)?;
            }
            if let Some(series) = predicted.get(name) {
                let line = series.iter().map(|(&n, v)| (at(n), mean(v)));
                chart
                    .draw_series(DashedLineSeries::new(line, 5, 5, colour.stroke_width(1)))
                    .map_err(drawing)?;
            }
        }
        if panel.predicted.is_some() {
            chart
                .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
                .map_err(drawing)?
                .label("dashed: predicted from challenges faced")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(1)));
            legend(&mut chart, SeriesLabelPosition::MiddleRight, 13)?;
        }
    }
    Ok(())
}
