//! Aligned text tables: headers, one row per result, numbers right-aligned.

use std::fmt;

/// A text table built row by row and rendered to a `String` (or with `Display`).
///
/// A column whose cells all look like numbers (or `-` for "none") is right-aligned,
/// header included; other columns are left-aligned. Columns are separated by two
/// spaces and the header is underlined with dashes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headers.
    pub fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells render empty, extra cells widen the table.
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
        self
    }

    /// Number of rows (the header not counted).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as lines of text, each ending in a newline.
    pub fn render(&self) -> String {
        let cols = self
            .rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(self.headers.len()))
            .max()
            .unwrap_or(0);
        let cell = |row: &[String], c: usize| row.get(c).map_or("", String::as_str).to_string();
        let mut width = vec![0usize; cols];
        let mut numeric = vec![true; cols];
        for c in 0..cols {
            width[c] = cell(&self.headers, c).chars().count();
            for row in &self.rows {
                let v = cell(row, c);
                width[c] = width[c].max(v.chars().count());
                if !v.is_empty() && !looks_numeric(&v) {
                    numeric[c] = false;
                }
            }
        }
        let line = |row: &[String]| {
            let parts: Vec<String> = (0..cols)
                .map(|c| {
                    let v = cell(row, c);
                    if numeric[c] {
                        format!("{v:>w$}", w = width[c])
                    } else {
                        format!("{v:<w$}", w = width[c])
                    }
                })
                .collect();
            let mut s = parts.join("  ").trim_end().to_string();
            s.push('\n');
            s
        };
        let mut out = line(&self.headers);
        let rule: Vec<String> = width.iter().map(|&w| "-".repeat(w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

fn looks_numeric(s: &str) -> bool {
    let s = s.trim();
    s == "-" || s.parse::<f64>().is_ok() || s.trim_end_matches('%').parse::<f64>().is_ok()
}

/// Formats a number for a table: 4 significant digits, scientific notation for
/// very small or large magnitudes, `-` for NaN (no value).
pub fn number(v: f64) -> String {
    if v.is_nan() {
        return "-".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        format!("{v:.3e}")
    } else {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_right_text_left() {
        let mut t = Table::new(["name", "ratio"]);
        t.row(["a", "1.5"]).row(["longer", "12.25"]);
        let out = t.render();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0], "name    ratio");
        assert_eq!(lines[1], "------  -----");
        assert_eq!(lines[2], "a         1.5");
        assert_eq!(lines[3], "longer  12.25");
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn ragged_rows_and_dash_cells() {
        let mut t = Table::new(["x"]);
        t.row(["1", "extra"]).row(["-"]);
        let out = t.to_string();
        assert!(out.lines().nth(2).unwrap().ends_with("extra"));
        // "-" keeps the column numeric, so it is right-aligned under "x".
        assert_eq!(out.lines().nth(3).unwrap(), "-");
    }

    #[test]
    fn number_formatting() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::NAN), "-");
        assert_eq!(number(1.23456), "1.235");
        assert_eq!(number(123.456), "123.5");
        assert_eq!(number(0.01234), "0.01234");
        assert_eq!(number(1.5e-5), "1.500e-5");
        assert!(number(-2.5).starts_with("-2.5"));
    }
}
