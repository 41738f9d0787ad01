//! Durability over time: the share of placed blocks still recoverable, one line per
//! setting, each beside its closed-form estimate (dashed).

use super::table::Table;
use super::{drawing, legend, PlotError, FAINT, FONT, PALETTE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// Points (days, measured, predicted) per setting, named by the grid values.
type Lines = BTreeMap<String, Vec<(f64, f64, f64)>>;

/// Grid columns sit between `rows_in_run` and `seed`.
fn setting_columns(table: &Table) -> Vec<String> {
    let start = table
        .columns
        .iter()
        .position(|c| c == "rows_in_run")
        .map_or(0, |i| i + 1);
    let end = table
        .columns
        .iter()
        .position(|c| c == "seed")
        .unwrap_or(start);
    table.columns[start..end].to_vec()
}

/// `lifetime mean = 90 days` rather than `churn.lifetime.mean = 7776000.0`.
fn label(column: &str, value: &str) -> String {
    let parts: Vec<&str> = column.split('.').collect();
    let keep = if parts.last() == Some(&"mean") { 2 } else { 1 };
    let name = parts[parts.len().saturating_sub(keep)..].join(" ");
    let seconds = column.ends_with("mean") || column.ends_with("period");
    match value.parse::<f64>() {
        Ok(0.0) if column.ends_with("repair_period") => "no repair".into(),
        Ok(v) if seconds && v >= 86_400.0 => format!("{name} = {} days", v / 86_400.0),
        _ => format!("{name} = {value}"),
    }
}

fn lines(table: &Table) -> Result<Lines, PlotError> {
    let days = table.numbers("time_days")?;
    let fraction = table.numbers("fraction")?;
    let predicted = table.numbers("predicted")?;
    let settings = setting_columns(table);
    let values: Vec<Vec<String>> = settings
        .iter()
        .map(|c| table.text(c))
        .collect::<Result<_, _>>()?;
    let seeds = table.text("seed")?;
    let mut lines = Lines::new();
    for row in 0..days.len() {
        let mut name: Vec<String> = settings
            .iter()
            .zip(&values)
            .map(|(column, values)| label(column, &values[row]))
            .collect();
        name.push(format!("seed {}", seeds[row]));
        lines
            .entry(name.join(", "))
            .or_default()
            .push((days[row], fraction[row], predicted[row]));
    }
    Ok(lines)
}

pub fn draw<DB: DrawingBackend>(
    table: &Table,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    let lines = lines(table)?;
    let x_max = lines.values().flatten().map(|p| p.0).fold(1.0, f64::max);
    let y_min = lines
        .values()
        .flatten()
        .map(|p| p.1.min(p.2))
        .fold(1.0, f64::min);
    let y_min = (y_min - 0.05).clamp(0.0, 0.95);
    let title = format!("Durability: scenario \"{}\"", table.text("scenario")?[0]);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 28))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max * 1.02, y_min..1.005)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc("virtual time (days)")
        .y_desc("share of placed blocks still recoverable")
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 16))
        .light_line_style(FAINT)
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .draw()
        .map_err(drawing)?;
    for (colour, (name, points)) in PALETTE.iter().cycle().zip(&lines) {
        let style = colour.stroke_width(3);
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), style))
            .map_err(drawing)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        let predicted = points.iter().map(|p| (p.0, p.2));
        chart
            .draw_series(DashedLineSeries::new(
                predicted,
                6,
                6,
                colour.stroke_width(1),
            ))
            .map_err(drawing)?;
    }
    chart
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
        .map_err(drawing)?
        .label("dashed: closed-form estimate for the same setting")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(1)));
    legend(&mut chart, SeriesLabelPosition::LowerLeft, 14)
}
