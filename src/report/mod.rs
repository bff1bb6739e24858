//! Output of analyses: readable tables, JSON and SVG plots.
