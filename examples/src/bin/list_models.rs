//! Lists models of the Hub (placeholder until the client lands).
fn main() {}
