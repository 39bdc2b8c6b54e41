//! Whose requests are whose: the one place a run's HTTP requests are attributed to its assets
//! (each asset's `requests` in `run.json`).
//!
//! Every request a stage makes goes through a client [counted](HfClient::counted) for the
//! asset it is made for ([`Requests::client_for`]) — usually the stage's own asset; the legacy
//! dataset ids resolved while the lineage is followed are the dataset asset's. Requests made
//! ahead, while the cards came in, are counted by the run's lookahead for the asset that
//! would have made them ([`RunLookahead::requests_of`]). An asset's count is the sum of both
//! ([`Requests::of`]); assets run side by side, so no count is a difference of totals.

use std::sync::Mutex;

use hf_client::{HfClient, RequestCounter};

use crate::assets::Asset;
use crate::pipeline::run_lookahead::RunLookahead;

/// The counters of a run's requests, by asset.
pub(crate) struct Requests {
    client: HfClient,
    counters: Mutex<Vec<(Asset, RequestCounter)>>,
}

impl Requests {
    /// The ledger of a run whose requests go through `client`.
    pub(crate) fn new(client: &HfClient) -> Self {
        Self {
            client: client.clone(),
            counters: Mutex::new(Vec::new()),
        }
    }

    /// A client whose requests count as `asset`'s.
    pub(crate) fn client_for(&self, asset: Asset) -> HfClient {
        let (client, counter) = self.client.counted();
        self.counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((asset, counter));
        client
    }

    /// The requests of `asset`: those sent through its clients and those made ahead for it
    /// (waiting for the fetches ahead of its kinds to end).
    pub(crate) async fn of(&self, asset: Asset, lookahead: Option<&RunLookahead>) -> u64 {
        let own: u64 = self
            .counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(a, _)| *a == asset)
            .map(|(_, counter)| counter.get())
            .sum();
        let ahead = match lookahead {
            Some(lookahead) => lookahead.requests_of(asset).await,
            None => 0,
        };
        own + ahead
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::assets::Kind;

    #[tokio::test]
    async fn each_assets_count_is_the_requests_of_its_own_clients() {
        let hub = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::any())
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&hub)
            .await;
        let client = HfClient::builder()
            .with_endpoint(hub.uri())
            .without_token()
            .build()
            .unwrap();
        let requests = Requests::new(&client);
        let tasks = Asset::Enriched(Kind::Tasks);
        let datasets = Asset::Identified(Kind::Datasets);
        let url = |path: &str| client.endpoint().join(path).unwrap();
        // Two clients for one asset, one for another, and the run's own client beside.
        let (first, second) = (requests.client_for(tasks), requests.client_for(tasks));
        let other = requests.client_for(datasets);
        first.get(url("a")).await.unwrap();
        second.get(url("b")).await.unwrap();
        second.get(url("c")).await.unwrap();
        other.get(url("d")).await.unwrap();
        client.get(url("e")).await.unwrap();
        assert_eq!(requests.of(tasks, None).await, 3);
        assert_eq!(requests.of(datasets, None).await, 1);
        assert_eq!(requests.of(Asset::RawModels, None).await, 0);
    }
}
