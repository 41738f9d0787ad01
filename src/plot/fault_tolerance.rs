//! Fault tolerance against redundancy: every subject as a point, the mean per placement
//! policy, the exact count from the placement, and the hypergeometric ideal.

use super::table::Table;
use super::{drawing, legend, PlotError, FAINT, FONT, PALETTE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// Per placement policy, per redundancy: the measured, exact and ideal values of each row.
type Groups = BTreeMap<String, BTreeMap<u64, Vec<(f64, f64, f64)>>>;

fn groups(table: &Table) -> Result<(Groups, Vec<f64>), PlotError> {
    let redundancy = table.numbers("redundancy")?;
    let removed = table.numbers("removed")?;
    let exact = table.numbers("removed_exact")?;
    let ideal = table.numbers("removed_ideal")?;
    let placement = table.text("placement")?;
    let mut groups = Groups::new();
    for i in 0..redundancy.len() {
        let key = (redundancy[i] * 1e4).round() as u64;
        let at = groups
            .entry(placement[i].clone())
            .or_default()
            .entry(key)
            .or_default();
        at.push((removed[i], exact[i], ideal[i]));
    }
    Ok((groups, redundancy))
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    sum / count.max(1) as f64
}

pub fn draw<DB: DrawingBackend>(
    table: &Table,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    let (groups, redundancy) = groups(table)?;
    let removed = table.numbers("removed")?;
    let placements = table.text("placement")?;
    let miners = table.text("miners")?;
    let m = table.text("m")?;
    let x_max = redundancy.iter().cloned().fold(1.0, f64::max) * 1.05;
    let y_max = table
        .numbers("removed_ideal")?
        .iter()
        .chain(&removed)
        .cloned()
        .fold(1.0, f64::max)
        * 1.08;
    let title = format!(
        "Fault tolerance: scenario \"{}\", {} miners, m = {}",
        table.text("scenario")?[0],
        miners[0],
        m[0]
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 28))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0.8..x_max, 0.0..y_max)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("redundancy m/k (chunks stored per chunk needed)")
        .y_desc("branches removed when the first blocks were lost")
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 16))
        .light_line_style(FAINT)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(drawing)?;
    for (colour, (placement, by_redundancy)) in PALETTE.iter().zip(&groups) {
        let points = (0..removed.len())
            .filter(|&i| &placements[i] == placement)
            .map(|i| {
                let jitter = ((i % 7) as f64 - 3.0) * 0.02;
                Circle::new(
                    (redundancy[i] + jitter, removed[i]),
                    3,
                    colour.mix(0.35).filled(),
                )
            });
        chart
            .draw_series(points)
            .map_err(drawing)?
            .label(format!("placement \"{placement}\": one subject branch"))
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.mix(0.35).filled()));
        let line = |pick: fn(&(f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
            by_redundancy
                .iter()
                .map(|(key, rows)| (*key as f64 / 1e4, mean(rows.iter().map(pick))))
                .collect()
        };
        let measured = line(|r| r.0);
        chart
            .draw_series(LineSeries::new(measured.clone(), colour.stroke_width(3)))
            .map_err(drawing)?
            .label(format!("placement \"{placement}\": mean of the simulation"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3)));
        chart
            .draw_series(
                measured
                    .iter()
                    .map(|&point| Circle::new(point, 5, colour.filled())),
            )
            .map_err(drawing)?;
        chart
            .draw_series(DashedLineSeries::new(
                line(|r| r.1),
                4,
                6,
                BLACK.mix(0.8).stroke_width(1),
            ))
            .map_err(drawing)?
            .label(format!(
                "placement \"{placement}\": exact count from the placement (mean)"
            ))
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.8).stroke_width(1))
            });
        if placement == "distinct" || groups.len() == 1 {
            let ideal = line(|r| r.2);
            chart
                .draw_series(DashedLineSeries::new(
                    ideal,
                    10,
                    6,
                    RGBColor(120, 120, 120).stroke_width(3),
                ))
                .map_err(drawing)?
                .label("ideal: hypergeometric, each chunk on a distinct random branch")
                .legend(|(x, y)| {
                    PathElement::new(
                        [(x, y), (x + 20, y)],
                        RGBColor(120, 120, 120).stroke_width(3),
                    )
                });
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, 16)
}
