//! SVG plots through plotters: lines and points, optional y error bars, optional
//! logarithmic axes.
//!
//! ```no_run
//! use semzip::report::{Plot, Series};
//! let de = vec![(1.0, 0.5), (2.0, 0.1)];
//! Plot::new("Emergence")
//!     .x_label("R")
//!     .y_label("unlearned")
//!     .series(Series::line("DE", de.clone()))
//!     .series(Series::points("simulation", de).with_y_errors(vec![0.01, 0.02]))
//!     .save("emergence.svg")
//!     .unwrap();
//! ```

use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use std::path::Path;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStyle {
    /// A polyline through the points in order.
    Line,
    /// A marker at each point.
    Points,
}

/// One named data series of a [`Plot`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    y_errors: Option<Vec<f64>>,
    style: SeriesStyle,
}

impl Series {
    /// A series drawn as a line.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            y_errors: None,
            style: SeriesStyle::Line,
        }
    }

    /// A series drawn as markers.
    pub fn points(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            points,
            y_errors: None,
            style: SeriesStyle::Points,
        }
    }

    /// Adds symmetric y error bars (half-widths, one per point; extra ones ignored).
    pub fn with_y_errors(mut self, errors: Vec<f64>) -> Self {
        self.y_errors = Some(errors);
        self
    }

    fn err(&self, i: usize) -> f64 {
        self.y_errors
            .as_ref()
            .and_then(|e| e.get(i))
            .copied()
            .filter(|e| e.is_finite() && *e > 0.0)
            .unwrap_or(0.0)
    }
}

/// A plot under construction: title, axis labels, series, axis scales.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    title: String,
    x_label: String,
    y_label: String,
    log_x: bool,
    log_y: bool,
    size: (u32, u32),
    series: Vec<Series>,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

impl Plot {
    /// An empty 800x560 plot with this title.
    pub fn new(title: impl Into<String>) -> Self {
        Plot {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            log_x: false,
            log_y: false,
            size: (800, 560),
            series: Vec::new(),
        }
    }

    /// Sets the x axis label.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Sets the y axis label.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Logarithmic x axis (points with x <= 0 are left out).
    pub fn log_x(mut self, on: bool) -> Self {
        self.log_x = on;
        self
    }

    /// Logarithmic y axis (points with y <= 0 are left out).
    pub fn log_y(mut self, on: bool) -> Self {
        self.log_y = on;
        self
    }

    /// Sets the image size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width.max(200), height.max(150));
        self
    }

    /// Adds a series.
    pub fn series(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    /// Whether a point can be drawn on this plot's axes.
    fn drawable(&self, (x, y): (f64, f64)) -> bool {
        x.is_finite() && y.is_finite() && (!self.log_x || x > 0.0) && (!self.log_y || y > 0.0)
    }

    /// The data ranges (x, y), padded, covering every drawable point and error bar.
    fn ranges(&self) -> Result<((f64, f64), (f64, f64))> {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for s in &self.series {
            for (i, &p) in s.points.iter().enumerate() {
                if !self.drawable(p) {
                    continue;
                }
                let e = s.err(i);
                x0 = x0.min(p.0);
                x1 = x1.max(p.0);
                let lo = if self.log_y && p.1 - e <= 0.0 {
                    p.1
                } else {
                    p.1 - e
                };
                y0 = y0.min(lo);
                y1 = y1.max(p.1 + e);
            }
        }
        if x0 > x1 {
            return Err(Error::invalid(format!(
                "plot '{}': no point can be drawn (empty series, or none positive on a log axis)",
                self.title
            )));
        }
        Ok((pad(x0, x1, self.log_x), pad(y0, y1, self.log_y)))
    }

    /// The plot as an SVG document.
    pub fn render_svg(&self) -> Result<String> {
        let (xr, yr) = self.ranges()?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            let fail = |e: String| Error::invalid(format!("plot '{}': {e}", self.title));
            let x = xr.0..xr.1;
            let y = yr.0..yr.1;
            // Log axes get explicit decade ticks: plotters' own are sparse.
            let log = |r: std::ops::Range<f64>| {
                let (bold, light) = log_ticks(r.start, r.end);
                r.log_scale().with_key_points(bold).with_light_points(light)
            };
            match (self.log_x, self.log_y) {
                (false, false) => self.draw(&root, x, y),
                (true, false) => self.draw(&root, log(x), y),
                (false, true) => self.draw(&root, x, log(y)),
                (true, true) => self.draw(&root, log(x), log(y)),
            }
            .map_err(fail)?;
            root.present().map_err(|e| fail(e.to_string()))?;
        }
        Ok(svg)
    }

    /// Writes the SVG to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let svg = self.render_svg()?;
        std::fs::write(path, svg).map_err(|e| Error::io(path, e))
    }

    fn draw<X, Y>(
        &self,
        root: &DrawingArea<SVGBackend<'_>, Shift>,
        x: X,
        y: Y,
    ) -> std::result::Result<(), String>
    where
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: ValueFormatter<f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        root.fill(&WHITE).map_err(|x| e(&x))?;
        // Shrink long titles to fit the width (about 0.55 em per character).
        let chars = self.title.chars().count().max(1) as f64;
        let size = (f64::from(self.size.0 - 20) / (0.55 * chars)).clamp(10.0, 22.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", size))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x, y)
            .map_err(|x| e(&x))?;
        chart
            .configure_mesh()
            .x_desc(self.x_label.as_str())
            .y_desc(self.y_label.as_str())
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(|x| e(&x))?;
        for (k, s) in self.series.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            let pts: Vec<(usize, (f64, f64))> = s
                .points
                .iter()
                .copied()
                .enumerate()
                .filter(|&(_, p)| self.drawable(p))
                .collect();
            let xy = pts.iter().map(|&(_, p)| p);
            let legend = match s.style {
                SeriesStyle::Line => chart
                    .draw_series(LineSeries::new(xy, color.stroke_width(2)))
                    .map_err(|x| e(&x))?,
                SeriesStyle::Points => chart
                    .draw_series(xy.map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(|x| e(&x))?,
            };
            legend
                .label(s.name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
            // Error bars: a vertical segment clipped at the axis on log scales.
            let bars: Vec<Vec<(f64, f64)>> = pts
                .iter()
                .filter_map(|&(i, (x, y))| {
                    let err = s.err(i);
                    if err == 0.0 {
                        return None;
                    }
                    let lo = if self.log_y && y - err <= 0.0 {
                        y
                    } else {
                        y - err
                    };
                    Some(vec![(x, lo), (x, y + err)])
                })
                .collect();
            chart
                .draw_series(bars.into_iter().map(|b| PathElement::new(b, color)))
                .map_err(|x| e(&x))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|x| e(&x))?;
        Ok(())
    }
}

/// Pads a data range by 5% (linear) or a factor (log) and widens empty ranges.
fn pad(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if log {
        let (a, b) = (lo.ln(), hi.ln());
        let d = if b - a < 1e-9 { 0.5 } else { 0.05 * (b - a) };
        ((a - d).exp(), (b + d).exp())
    } else {
        let d = if hi - lo < 1e-12 {
            0.5 * lo.abs().max(1e-3)
        } else {
            0.05 * (hi - lo)
        };
        (lo - d, hi + d)
    }
}

/// Tick values for a log axis over [lo, hi]: bold ticks at 1, 2, 5 (or only 1)
/// times powers of ten, light ones at every integer multiple.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let decades = hi.log10() - lo.log10();
    let mults: &[f64] = if decades <= 1.2 {
        &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
    } else if decades <= 4.0 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let within = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
    let mut bold = Vec::new();
    let mut light = Vec::new();
    for e in a..=b {
        let p = 10f64.powi(e);
        bold.extend(mults.iter().map(|m| m * p).filter(|&v| within(v)));
        light.extend((1..10).map(|m| f64::from(m) * p).filter(|&v| within(v)));
    }
    if bold.len() < 2 {
        // Less than a tick per end: label the ends themselves.
        bold = vec![lo, hi];
    }
    (bold, light)
}

/// A short tick label: plain decimals in a readable range, scientific otherwise.
fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.0e}")
    } else {
        let s = format!("{:.4}", round_sig(v, 3));
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// `v` rounded to `digits` significant digits.
fn round_sig(v: f64, digits: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Plot {
        Plot::new("test plot")
            .x_label("ratio")
            .y_label("error")
            .series(Series::line(
                "DE",
                vec![(1.0, 0.5), (2.0, 0.1), (4.0, 0.01)],
            ))
            .series(
                Series::points("sim", vec![(1.0, 0.52), (2.0, 0.11), (4.0, 0.0)])
                    .with_y_errors(vec![0.01, 0.02, 0.0]),
            )
    }

    #[test]
    fn renders_svg_with_labels_and_series() {
        let svg = sample().render_svg().unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("test plot"));
        assert!(svg.contains("ratio"));
        assert!(svg.contains("DE") && svg.contains("sim"));
        assert!(svg.contains("<circle"), "points are drawn as circles");
        assert!(svg.contains("<polyline"), "the line is a polyline");
    }

    #[test]
    fn log_axes_skip_nonpositive_points() {
        let lin = sample().render_svg().unwrap();
        let log = sample().log_x(true).log_y(true).render_svg().unwrap();
        let circles = |s: &str| s.matches("<circle").count();
        // The point at y = 0 is dropped on a log y axis.
        assert_eq!(circles(&lin), circles(&log) + 1);
    }

    #[test]
    fn nothing_drawable_is_an_error() {
        let p = Plot::new("empty")
            .log_y(true)
            .series(Series::points("zeros", vec![(1.0, 0.0)]));
        assert!(p.render_svg().is_err());
        assert!(Plot::new("none").render_svg().is_err());
    }

    #[test]
    fn pad_and_tick() {
        let (a, b) = pad(1.0, 1.0, false);
        assert!(a < 1.0 && b > 1.0);
        let (a, b) = pad(0.01, 1.0, true);
        assert!(a < 0.01 && a > 0.0 && b > 1.0);
        assert_eq!(tick(0.5), "0.5");
        assert_eq!(tick(2.0), "2");
        assert_eq!(tick(1e-5), "1e-5");
        assert_eq!(tick(1.23456), "1.23");
        let (bold, light) = log_ticks(0.9, 17.0);
        assert_eq!(bold, vec![1.0, 2.0, 5.0, 10.0]);
        assert_eq!(light.len(), 11, "0.9, 1..9 and 10");
        let (bold, _) = log_ticks(3e-5, 0.5);
        assert_eq!(bold, vec![1e-4, 1e-3, 1e-2, 0.1]);
        let (bold, _) = log_ticks(1.1, 1.2);
        assert_eq!(bold, vec![1.1, 1.2]);
    }
}
