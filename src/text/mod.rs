//! Texts and skills: segmentation, skill extraction and the synthetic language.
