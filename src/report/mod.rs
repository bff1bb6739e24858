//! Output of analyses: readable tables, JSON and SVG plots.
//!
//! One small exporter per format, shared by every command:
//! - [`Table`]: aligned text columns (numbers right-aligned) rendered to a `String`;
//! - [`to_json_pretty`]: any `serde::Serialize` value as pretty JSON;
//! - [`Plot`]: SVG line/point plots with optional y error bars and log axes;

pub mod json;
pub mod svg;
pub mod table;

pub use json::to_json_pretty;
pub use svg::{Plot, Series, SeriesStyle};
pub use table::Table;
