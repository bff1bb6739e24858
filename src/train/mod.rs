//! Training: from a corpus to a skill-text graph, a peeled codebook and its report.
