//! Block size and block/primary ratio against primary size, one series per code.

use super::table::Table;
use super::{bytes_label, drawing, legend, PlotError, FAINT, FONT, PALETTE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// Per (k, m): points of (primary bytes, block bytes, ratio), in primary-size order.
type Series = BTreeMap<(u32, u32), Vec<(f64, f64, f64)>>;

fn series(table: &Table) -> Result<Series, PlotError> {
    let (k, m) = (table.numbers("k")?, table.numbers("m")?);
    let primary = table.numbers("primary_bytes")?;
    let block = table.numbers("block_bytes")?;
    let ratio = table.numbers("ratio")?;
    let mut series = Series::new();
    for i in 0..k.len() {
        let code = (k[i] as u32, m[i] as u32);
        series
            .entry(code)
            .or_default()
            .push((primary[i], block[i], ratio[i]));
    }
    for points in series.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(series)
}

pub fn draw<DB: DrawingBackend>(
    table: &Table,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    let series = series(table)?;
    let all = series.values().flatten();
    let x_min = all.clone().map(|p| p.0).fold(f64::MAX, f64::min) * 0.7;
    let x_max = all.clone().map(|p| p.0).fold(1.0, f64::max) * 1.4;
    let y_max = all.clone().map(|p| p.1).fold(1.0, f64::max) * 1.4;
    let r_max = all.map(|p| p.2).fold(1.0, f64::max) * 1.1;
    let title = format!(
        "Storage per block: scenario \"{}\"",
        table.text("scenario")?[0]
    );
    let root = root.titled(&title, (FONT, 28)).map_err(drawing)?;
    let (left, right) = root.split_horizontally(600);
    let mut sizes = ChartBuilder::on(&left)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(90)
        .build_cartesian_2d((x_min..x_max).log_scale(), (x_min..y_max).log_scale())
        .map_err(drawing)?;
    sizes
        .configure_mesh()
        .x_desc("primary data per block (bytes, header + records)")
        .y_desc("whole block (bytes)")
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 14))
        .light_line_style(FAINT)
        .x_label_formatter(&bytes_label)
        .y_label_formatter(&bytes_label)
        .draw()
        .map_err(drawing)?;
    let mut ratios = ChartBuilder::on(&right)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d((x_min..x_max).log_scale(), 0.0..r_max)
        .map_err(drawing)?;
    ratios
        .configure_mesh()
        .x_desc("primary data per block (bytes)")
        .y_desc("block size / primary size")
        .axis_desc_style((FONT, 18))
        .label_style((FONT, 14))
        .light_line_style(FAINT)
        .x_label_formatter(&bytes_label)
        .draw()
        .map_err(drawing)?;
    for (colour, ((k, m), points)) in PALETTE.iter().cycle().zip(&series) {
        let style = colour.stroke_width(3);
        let label = format!("k = {k}, m = {m}");
        sizes
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), style).point_size(4))
            .map_err(drawing)?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        ratios
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.2)), style).point_size(4))
            .map_err(drawing)?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        let limit = 1.0 + *m as f64 / *k as f64;
        ratios
            .draw_series(DashedLineSeries::new(
                [(x_min, limit), (x_max, limit)],
                6,
                6,
                colour.stroke_width(1),
            ))
            .map_err(drawing)?;
    }
    legend(&mut sizes, SeriesLabelPosition::UpperLeft, 15)?;
    ratios
        .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
        .map_err(drawing)?
        .label("dashed: 1 + m/k, the limit for large blocks")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.stroke_width(1)));
    legend(&mut ratios, SeriesLabelPosition::UpperRight, 15)?;
    Ok(())
}
