//! The multi-linked chain: of a subject's blocks after its first lost one, the share that
//! still verifies as branches are removed, one colour per number of links, beside the share
//! that decodes, the exact count from the gaps and the ideal for independent heights.

use super::table::Table;
use super::{drawing, legend, PlotError, FAINT, FONT, PALETTE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

/// Sums over every subject and seed of one number of links and one number of removals.
#[derive(Clone, Copy, Default)]
struct Sums {
    after: f64,
    decoded: f64,
    verified: f64,
    exact: f64,
    ideal_after: f64,
    ideal_verified: f64,
}

/// Per number of links, per number of branches removed.
type Groups = BTreeMap<u64, BTreeMap<u64, Sums>>;

fn groups(table: &Table) -> Result<Groups, PlotError> {
    let links = table.numbers("links")?;
    let removed = table.numbers("removed")?;
    let columns = [
        "after",
        "after_decoded",
        "after_verified",
        "after_exact",
        "after_ideal",
        "after_verified_ideal",
    ];
    let values: Vec<Vec<f64>> = columns
        .iter()
        .map(|c| table.numbers(c))
        .collect::<Result<_, _>>()?;
    let mut groups = Groups::new();
    for row in 0..links.len() {
        let sums = groups
            .entry(links[row] as u64)
            .or_default()
            .entry(removed[row] as u64)
            .or_default();
        sums.after += values[0][row];
        sums.decoded += values[1][row];
        sums.verified += values[2][row];
        sums.exact += values[3][row];
        sums.ideal_after += values[4][row];
        sums.ideal_verified += values[5][row];
    }
    Ok(groups)
}

/// Fewest blocks after a loss (summed over the subjects and seeds of one point) that make a
/// point: a share of one or two blocks says little.
const FEWEST: f64 = 10.0;

/// `part / whole` at each number of removals where `whole` reaches [`FEWEST`].
fn shares(
    by_removed: &BTreeMap<u64, Sums>,
    part: fn(&Sums) -> f64,
    whole: fn(&Sums) -> f64,
) -> Vec<(f64, f64)> {
    let points = by_removed.iter().filter(|(_, s)| whole(s) >= FEWEST);
    points
        .map(|(removed, s)| (*removed as f64, part(s) / whole(s)))
        .collect()
}

pub fn draw<DB: DrawingBackend>(
    table: &Table,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), PlotError> {
    let groups = groups(table)?;
    let miners = table.text("miners")?;
    let (k, m) = (table.text("k")?, table.text("m")?);
    let others = miners[0].parse::<f64>().unwrap_or(1.0) - 1.0;
    let x_max = table.numbers("removed")?.into_iter().fold(1.0, f64::max);
    let title = format!(
        "Multi-linked chain: scenario \"{}\", {} miners, k = {}, m = {}",
        table.text("scenario")?[0],
        miners[0],
        k[0],
        m[0]
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, 28))
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..x_max + 0.5, 0.0..1.02)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .x_desc(format!(
            "other branches removed (of {others}), in random order"
        ))
        .y_desc("share of the blocks after the first lost one")
        .axis_desc_style((FONT, 20))
        .label_style((FONT, 16))
        .light_line_style(FAINT)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .draw()
        .map_err(drawing)?;
    for (colour, (links, by_removed)) in PALETTE.iter().cycle().zip(&groups) {
        let plural = if *links == 1 { "" } else { "s" };
        let verified = shares(by_removed, |s| s.verified, |s| s.after);
        let style = colour.stroke_width(3);
        chart
            .draw_series(LineSeries::new(verified, style))
            .map_err(drawing)?
            .label(format!("L = {links} link{plural}: verifiable"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        let exact = shares(by_removed, |s| s.exact, |s| s.after);
        chart
            .draw_series(
                exact
                    .into_iter()
                    .map(|p| Circle::new(p, 5, colour.stroke_width(1))),
            )
            .map_err(drawing)?;
        let ideal = shares(by_removed, |s| s.ideal_verified, |s| s.ideal_after);
        chart
            .draw_series(DashedLineSeries::new(ideal, 10, 6, colour.stroke_width(2)))
            .map_err(drawing)?;
        let decoded = shares(by_removed, |s| s.decoded, |s| s.after);
        chart
            .draw_series(DashedLineSeries::new(decoded, 2, 5, colour.stroke_width(2)))
            .map_err(drawing)?;
    }
    let empty = || std::iter::empty::<PathElement<(f64, f64)>>();
    let ink = BLACK.stroke_width(2);
    chart
        .draw_series(empty())
        .map_err(drawing)?
        .label("circles: exact, from the gaps")
        .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.stroke_width(1)));
    chart
        .draw_series(empty())
        .map_err(drawing)?
        .label("dashed: ideal, independent heights")
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (8, 0)], ink)
                + PathElement::new([(13, 0), (20, 0)], ink)
        });
    chart
        .draw_series(empty())
        .map_err(drawing)?
        .label("dotted: decodes")
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (2, 0)], ink)
                + PathElement::new([(6, 0), (8, 0)], ink)
                + PathElement::new([(12, 0), (14, 0)], ink)
                + PathElement::new([(18, 0), (20, 0)], ink)
        });
    chart
        .draw_series(empty())
        .map_err(drawing)?
        .label(format!("(points from {FEWEST} or more such blocks)"))
        .legend(|(x, y)| EmptyElement::at((x, y)));
    legend(&mut chart, SeriesLabelPosition::UpperRight, 16)
}
