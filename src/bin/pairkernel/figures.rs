//! SVG line charts with `plotters`: the scaling run's figures.
//!
//! SVG only: plotters' bitmap backend needs a font file or the system's fonts (fontconfig) to
//! draw text, while an SVG names its font and leaves drawing it to the viewer.

use std::path::Path;

use plotters::prelude::*;

/// One line of a chart: its legend label, colour and points (x, y); points with a non-finite or
/// non-positive y (e.g. not measured) are left out.
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

/// A vertical marker line at `x` with a label, e.g. where the output outgrows a cache.
pub struct Marker {
    pub x: f64,
    pub label: String,
}

/// A chart: title, axis descriptions, scales and what to draw.
pub struct Chart<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub log_x: bool,
    pub log_y: bool,
    pub series: &'a [Series],
    pub markers: &'a [Marker],
}

/// Draws `chart` into the SVG file `path`.
pub fn draw(path: &Path, chart: &Chart<'_>) -> Result<(), String> {
    let finite = |&(x, y): &(f64, f64)| x > 0.0 && y.is_finite() && y > 0.0;
    let points: Vec<(f64, f64)> = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().copied().filter(finite))
        .collect();
    if points.is_empty() {
        return Err(format!("{}: nothing to draw", path.display()));
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in &points {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    let error = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| error(&e))?;
    let x_log = (x0 / 1.1)..(x1 * 1.1);
    let x_linear = 0.0..(x1 * 1.04);
    let y_log = (y0 / 1.5)..(y1 * 1.5);
    let y_linear = 0.0..(y1 * 1.15);
    // The same chart on each kind of axes (plotters types them apart).
    macro_rules! plot_on {
        ($x:expr, $y:expr, $y_bounds:expr) => {{
            let mut plot = ChartBuilder::on(&root)
                .caption(chart.title, ("sans-serif", 24))
                .margin(16)
                .x_label_area_size(56)
                .y_label_area_size(80)
                .build_cartesian_2d($x, $y)
                .map_err(|e| error(&e))?;
            plot.configure_mesh()
                .x_labels(12)
                .x_desc(chart.x_desc)
                .y_desc(chart.y_desc)
                .x_label_formatter(&|x| format!("{x:.0}"))
                .label_style(("sans-serif", 15))
                .axis_desc_style(("sans-serif", 17))
                .draw()
                .map_err(|e| error(&e))?;
            let (y_low, y_high): (f64, f64) = $y_bounds;
            // Marker labels low in the plot, clear of the legend in the upper left.
            let label_y = if chart.log_y {
                y_low * (y_high / y_low).powf(0.12)
            } else {
                y_low + 0.12 * (y_high - y_low)
            };
            draw_lines(&mut plot, chart, (y_low, y_high, label_y)).map_err(|e| error(&e))?;
        }};
    }
    match (chart.log_x, chart.log_y) {
        (true, true) => plot_on!(
            x_log.log_scale(),
            y_log.clone().log_scale(),
            (y_log.start, y_log.end)
        ),
        (true, false) => plot_on!(
            x_log.log_scale(),
            y_linear.clone(),
            (y_linear.start, y_linear.end)
        ),
        (false, true) => plot_on!(
            x_linear,
            y_log.clone().log_scale(),
            (y_log.start, y_log.end)
        ),
        (false, false) => plot_on!(x_linear, y_linear.clone(), (y_linear.start, y_linear.end)),
    }
    root.present().map_err(|e| error(&e))
}

/// The series, the markers and the legend, on either kind of y axis.
fn draw_lines<'a, X, Y>(
    plot: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<X, Y>>,
    chart: &Chart<'_>,
    (y_low, y_high, label_y): (f64, f64, f64),
) -> Result<(), DrawingAreaErrorKind<<SVGBackend<'a> as DrawingBackend>::ErrorType>>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    for series in chart.series {
        let color = series.color;
        let style = color.stroke_width(2);
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| x > 0.0 && y.is_finite() && y > 0.0)
            .collect();
        let drawn = if series.dashed {
            plot.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?
        } else {
            plot.draw_series(LineSeries::new(points.clone(), style))?
        };
        drawn.label(series.label.as_str()).legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
        });
        plot.draw_series(points.iter().map(|&p| Circle::new(p, 2, color.filled())))?;
    }
    for marker in chart.markers {
        let grey = RGBColor(120, 120, 120);
        plot.draw_series(DashedLineSeries::new(
            vec![(marker.x, y_low), (marker.x, y_high)],
            4,
            4,
            grey.stroke_width(1),
        ))?;
        plot.draw_series(std::iter::once(Text::new(
            marker.label.clone(),
            (marker.x * 1.01, label_y),
            ("sans-serif", 15).into_font().color(&grey),
        )))?;
    }
    plot.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
}
