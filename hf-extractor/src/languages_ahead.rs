//! README languages detected while the network stage runs.
//!
//! Detecting a card's languages (`readme_languages`) is the largest CPU cost of a run after its
//! requests, and it needs nothing but the card. So when the run selects that asset, each card
//! is handed as it is journaled to background threads ([`LanguagesAhead::submit`]), which keep
//! the languages per card by the model's place in the journal ([`Stored`]: one place, one card,
//! so a card is only ever matched with its own languages). The asset then looks each model's
//! place up ([`KnownLanguages::of`]) and reads back and detects only the cards not seen: those
//! of models loaded from elsewhere (`--from`, `--resume`, shards), and those dropped because the
//! threads were behind — the hand-off never waits, so it never slows the requests, and the
//! queue of cards waiting is bounded.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use hf_enrich::readme_languages::{ReadmeLanguage, card_languages};

use crate::checkpoint::Stored;

/// Cards waiting for a thread, at most (4 KB each for a typical card).
const QUEUE: usize = 1024;

/// What each thread found: languages by the place of the card's model in the journal.
type Found = HashMap<Stored, Vec<ReadmeLanguage>>;

/// Background threads detecting the languages of the cards handed to them.
#[derive(Debug)]
pub(crate) struct LanguagesAhead {
    cards: Mutex<Option<SyncSender<(Stored, String)>>>,
    workers: Mutex<Vec<JoinHandle<Found>>>,
}

impl LanguagesAhead {
    /// Start the threads: one fewer than the cores (the requests need one), at least one.
    pub(crate) fn start() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self::start_on(cores.saturating_sub(1).max(1), QUEUE)
    }

    fn start_on(threads: usize, queue: usize) -> Self {
        let (cards, receiver) = sync_channel::<(Stored, String)>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        // A thread that cannot start leaves its cards to the asset.
        let workers = (0..threads)
            .filter_map(|_| {
                let receiver = Arc::clone(&receiver);
                std::thread::Builder::new()
                    .name("hf-languages".into())
                    .spawn(move || detect_all(&receiver))
                    .ok()
            })
            .collect();
        Self {
            cards: Mutex::new(Some(cards)),
            workers: Mutex::new(workers),
        }
    }

    /// Hand over the card of the model journaled `at`, if a thread can take it soon (else it
    /// is detected later, by the asset); never waits.
    pub(crate) fn submit(&self, at: Stored, card: Option<&str>) {
        let Some(card) = card else { return };
        let cards = self.cards.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cards) = cards.as_ref() {
            // Full (the threads are behind) or stopped: the asset detects it.
            let _ = cards.try_send((at, card.to_owned()));
        }
    }

    /// Stop taking cards, wait for the threads to finish the cards handed over, and return
    /// what they found. A second call finds nothing.
    pub(crate) fn known(&self) -> KnownLanguages {
        drop(
            self.cards
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        let workers =
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(PoisonError::into_inner));
        let mut known = Found::new();
        for worker in workers {
            // A panic in the detection is a bug of ours: it goes on as the caller's panic.
            known.extend(
                worker
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        KnownLanguages(known)
    }
}

impl Drop for LanguagesAhead {
    /// A run that ends before the asset (an error, or a selection without it) still stops the
    /// threads: they finish the cards queued and end.
    fn drop(&mut self) {
        self.known();
    }
}

/// One thread: detect the cards queued until the queue closes.
fn detect_all(receiver: &Mutex<Receiver<(Stored, String)>>) -> Found {
    let mut found = Found::new();
    loop {
        let card = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok((at, card)) = card else { return found };
        found.insert(at, card_languages(&card));
    }
}

/// The languages of the cards detected ahead.
#[derive(Debug, Default)]
pub(crate) struct KnownLanguages(Found);

impl KnownLanguages {
    /// The languages of the card of the model journaled `at`, if detected ahead.
    pub(crate) fn of(&self, at: Stored) -> Option<Vec<ReadmeLanguage>> {
        self.0.get(&at).cloned()
    }

    /// How many cards were detected ahead.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const EN: &str = "The weights were trained for three days on a small cluster, and the \
        evaluation shows steady gains on every benchmark we tried.";
    const ES: &str = "Este modelo fue entrenado con un gran conjunto de textos en español para \
        clasificar noticias según su tema principal.";

    fn sample_cards() -> Vec<String> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hub-samples/cards");
        let mut cards: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        cards.extend([EN.to_owned(), ES.to_owned(), format!("{EN}\n\n{ES}")]);
        cards
    }

    #[test]
    fn languages_found_ahead_are_those_found_later() {
        let cards = sample_cards();
        let ahead = LanguagesAhead::start_on(2, cards.len());
        for (n, card) in cards.iter().enumerate() {
            ahead.submit(Stored::at(n as u64), Some(card));
        }
        ahead.submit(Stored::at(cards.len() as u64), None);
        let known = ahead.known();
        assert_eq!(known.len(), cards.len());
        for (n, card) in cards.iter().enumerate() {
            assert_eq!(
                known.of(Stored::at(n as u64)),
                Some(card_languages(card)),
                "{card:.60}"
            );
        }
        assert_eq!(known.of(Stored::at(cards.len() as u64)), None, "no card");
        // Stopped: nothing more is taken, and nothing is found twice.
        ahead.submit(Stored::at(0), Some(EN));
        assert_eq!(ahead.known().len(), 0);
    }

    #[test]
    fn a_card_not_seen_or_dropped_is_not_known() {
        // No thread and a queue of one: the first card waits (and is never detected), the
        // others are dropped; none of the hand-offs waits.
        let cards = sample_cards();
        let ahead = LanguagesAhead::start_on(0, 1);
        for (n, card) in cards.iter().enumerate() {
            ahead.submit(Stored::at(n as u64), Some(card));
        }
        let known = ahead.known();
        assert_eq!(known.len(), 0);
        assert_eq!(known.of(Stored::at(0)), None);
    }
}
