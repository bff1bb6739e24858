//! Foundation and fine-tuned models (theory.md section 6).
