//! A Hugging Face Hub client that survives the real Hub.

pub mod card;
pub mod wire;
