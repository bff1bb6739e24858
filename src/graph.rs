//! The skill-text bipartite graph: N skills, T texts, an edge (s, t) when text t
//! needs skill s.
//!
//! Stored as compressed sparse rows in both directions with `u32` indices: 8 bytes
//! per edge for the two adjacency arrays plus 4 bytes per node for the offsets
//! (`8 + 4 (N + T + 2) / E` bytes per edge, about 10.4 at N = 10^6, R = 1.2 with
//! the `poly:0.5x^2+0.28x^3+0.22x^8` profile).

use crate::{Error, Result};

/// A skill-text bipartite graph with both adjacency directions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillTextGraph {
    skill_offsets: Vec<u32>,
    skill_texts: Vec<u32>,
    text_offsets: Vec<u32>,
    text_skills: Vec<u32>,
}

impl SkillTextGraph {
    /// Builds a graph from each text's list of skills (CSR rows indexed by text).
    ///
    /// `text_offsets` has T + 1 entries, starting at 0; `text_skills[text_offsets[t]..
    /// text_offsets[t + 1]]` are the skills of text t, each below `num_skills`. A
    /// skill listed twice in one text is kept twice; callers that want sets dedupe.
    pub fn from_text_rows(
        num_skills: usize,
        text_offsets: Vec<u32>,
        text_skills: Vec<u32>,
    ) -> Result<Self> {
        let (skill_offsets, skill_texts) = transpose(num_skills, &text_offsets, &text_skills)?;
        Ok(SkillTextGraph {
            skill_offsets,
            skill_texts,
            text_offsets,
            text_skills,
        })
    }

    /// Builds a graph from each skill's list of texts (CSR rows indexed by skill).
    pub fn from_skill_rows(
        num_texts: usize,
        skill_offsets: Vec<u32>,
        skill_texts: Vec<u32>,
    ) -> Result<Self> {
        let (text_offsets, text_skills) = transpose(num_texts, &skill_offsets, &skill_texts)?;
        Ok(SkillTextGraph {
            skill_offsets,
            skill_texts,
            text_offsets,
            text_skills,
        })
    }

    /// Builds a graph from (skill, text) edges in any order.
    pub fn from_edges(num_skills: usize, num_texts: usize, edges: &[(u32, u32)]) -> Result<Self> {
        let mut rows = RowsBuilder::new();
        let mut by_text: Vec<Vec<u32>> = vec![Vec::new(); num_texts];
        for &(s, t) in edges {
            if s as usize >= num_skills || t as usize >= num_texts {
                return Err(Error::invalid(format!(
                    "edge ({s}, {t}) is outside a graph of {num_skills} skills and {num_texts} texts"
                )));
            }
            by_text[t as usize].push(s);
        }
        for skills in &by_text {
            rows.push_row(skills)?;
        }
        let (offsets, items) = rows.finish();
        Self::from_text_rows(num_skills, offsets, items)
    }

    /// Number of skills N.
    pub fn num_skills(&self) -> usize {
        self.skill_offsets.len() - 1
    }

    /// Number of texts T.
    pub fn num_texts(&self) -> usize {
        self.text_offsets.len() - 1
    }

    /// Number of edges E.
    pub fn num_edges(&self) -> usize {
        self.text_skills.len()
    }

    /// Texts per skill, R = T / N (0 for a graph without skills).
    pub fn ratio(&self) -> f64 {
        if self.num_skills() == 0 {
            0.0
        } else {
            self.num_texts() as f64 / self.num_skills() as f64
        }
    }

    /// The texts that need skill `s`.
    #[inline]
    pub fn texts_of(&self, s: u32) -> &[u32] {
        let s = s as usize;
        &self.skill_texts[self.skill_offsets[s] as usize..self.skill_offsets[s + 1] as usize]
    }

    /// The skills that text `t` needs.
    #[inline]
    pub fn skills_of(&self, t: u32) -> &[u32] {
        let t = t as usize;
        &self.text_skills[self.text_offsets[t] as usize..self.text_offsets[t + 1] as usize]
    }

    /// Degree of skill `s` (number of texts needing it).
    #[inline]
    pub fn skill_degree(&self, s: u32) -> usize {
        (self.skill_offsets[s as usize + 1] - self.skill_offsets[s as usize]) as usize
    }

    /// Degree of text `t` (number of skills it needs).
    #[inline]
    pub fn text_degree(&self, t: u32) -> usize {
        (self.text_offsets[t as usize + 1] - self.text_offsets[t as usize]) as usize
    }

    /// Histogram of skill degrees: entry k counts the skills of degree k.
    pub fn skill_degree_histogram(&self) -> Vec<u64> {
        histogram(&self.skill_offsets)
    }

    /// Histogram of text degrees: entry k counts the texts of degree k.
    pub fn text_degree_histogram(&self) -> Vec<u64> {
        histogram(&self.text_offsets)
    }

    /// Bytes held by the graph's arrays.
    pub fn heap_bytes(&self) -> usize {
        4 * (self.skill_offsets.len()
            + self.skill_texts.len()
            + self.text_offsets.len()
            + self.text_skills.len())
    }
}

/// Appends CSR rows one at a time, checking that the edge count fits in `u32`.
#[derive(Debug, Clone)]
pub struct RowsBuilder {
    offsets: Vec<u32>,
    items: Vec<u32>,
}

impl Default for RowsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl RowsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        RowsBuilder {
            offsets: vec![0],
            items: Vec::new(),
        }
    }

    /// An empty builder with room for `rows` rows and `items` entries.
    pub fn with_capacity(rows: usize, items: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        RowsBuilder {
            offsets,
            items: Vec::with_capacity(items),
        }
    }

    /// Appends one row.
    pub fn push_row(&mut self, row: &[u32]) -> Result<()> {
        self.items.extend_from_slice(row);
        self.close_row()
    }

    /// Appends one entry to the row being built.
    #[inline]
    pub fn push_item(&mut self, item: u32) {
        self.items.push(item);
    }

    /// Ends the row being built.
    pub fn close_row(&mut self) -> Result<()> {
        let end = u32::try_from(self.items.len())
            .map_err(|_| Error::invalid("graph too large: more than 2^32 - 1 edges"))?;
        self.offsets.push(end);
        Ok(())
    }

    /// Number of rows closed so far.
    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The offsets (rows + 1 entries) and the entries.
    pub fn finish(self) -> (Vec<u32>, Vec<u32>) {
        (self.offsets, self.items)
    }
}

fn histogram(offsets: &[u32]) -> Vec<u64> {
    let mut hist = Vec::new();
    for w in offsets.windows(2) {
        let d = (w[1] - w[0]) as usize;
        if d >= hist.len() {
            hist.resize(d + 1, 0);
        }
        hist[d] += 1;
    }
    hist
}

/// Transposes CSR rows into CSR columns by counting sort (rows stay in increasing
/// order within each column).
fn transpose(num_cols: usize, offsets: &[u32], items: &[u32]) -> Result<(Vec<u32>, Vec<u32>)> {
    if offsets.first() != Some(&0) || *offsets.last().unwrap_or(&0) as usize != items.len() {
        return Err(Error::invalid(
            "malformed CSR rows: offsets do not span the items",
        ));
    }
    if offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(Error::invalid("malformed CSR rows: offsets decrease"));
    }
    u32::try_from(num_cols).map_err(|_| Error::invalid("graph too large: 2^32 or more nodes"))?;
    let mut col_offsets = vec![0u32; num_cols + 1];
    for &c in items {
        let c = c as usize;
        if c >= num_cols {
            return Err(Error::invalid(format!(
                "node index {c} is out of range (only {num_cols} nodes)"
            )));
        }
        col_offsets[c + 1] += 1;
    }
    for i in 0..num_cols {
        col_offsets[i + 1] += col_offsets[i];
    }
    let mut cursor = col_offsets.clone();
    let mut col_items = vec![0u32; items.len()];
    for (row, w) in offsets.windows(2).enumerate() {
        for &c in &items[w[0] as usize..w[1] as usize] {
            let slot = &mut cursor[c as usize];
            col_items[*slot as usize] = row as u32;
            *slot += 1;
        }
    }
    Ok((col_offsets, col_items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_agree() {
        let g = SkillTextGraph::from_edges(3, 2, &[(0, 0), (1, 0), (2, 1), (0, 1)]).unwrap();
        assert_eq!(g.num_edges(), 4);
        assert_eq!(g.skills_of(0), &[0, 1]);
        assert_eq!(g.skills_of(1), &[2, 0]);
        assert_eq!(g.texts_of(0), &[0, 1]);
        assert_eq!(g.texts_of(2), &[1]);
        assert_eq!(g.skill_degree_histogram(), vec![0, 2, 1]);
        assert_eq!(g.text_degree_histogram(), vec![0, 0, 2]);
        let h = SkillTextGraph::from_skill_rows(2, vec![0, 2, 3, 4], vec![0, 1, 0, 1]).unwrap();
        assert_eq!(h.skills_of(1), &[0, 2]);
    }

    #[test]
    fn rejects_out_of_range_edges() {
        assert!(SkillTextGraph::from_edges(1, 1, &[(1, 0)]).is_err());
        assert!(SkillTextGraph::from_text_rows(1, vec![0, 1], vec![5]).is_err());
        assert!(SkillTextGraph::from_text_rows(1, vec![0, 2], vec![0]).is_err());
    }
}
