//! Multiple classes of skills and texts (theory.md section 7).
