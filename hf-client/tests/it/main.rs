//! Integration tests of hf-client: HTTP behaviour against local mock servers serving the real
//! recorded Hub answers of `testdata/hub-samples/`. Nothing here touches the network.
#![allow(clippy::unwrap_used, missing_docs)]

mod arxiv;
mod cards;
mod datasets;
mod faults;
mod languages;
mod licenses;
mod listing;
mod model_info;
mod papers;
mod samples;
mod support;
mod tags;
mod tasks;
mod transport;
mod unreachable;
