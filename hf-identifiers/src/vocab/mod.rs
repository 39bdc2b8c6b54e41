//! Embedded vocabularies, as sorted tables (tests keep them sorted and unique).

pub mod hub;
pub mod iso639;
