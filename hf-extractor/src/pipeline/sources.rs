//! The two model sources of a run — the latest listing and the model-id file — and the files
//! they write.

use super::*;

impl HfExtractor {
    pub(super) fn latest_options(&self) -> LatestOptions {
        LatestOptions {
            num_models: self.config.num_models,
            update_recent: self.config.update_recent,
            threads: self.config.threads,
            filter_low_info: self.config.filter_low_info,
        }
    }

    /// The latest-N source, each model journaled as its card arrives.
    pub(super) async fn latest_source(
        &self,
        client: &HfClient,
        (arrivals, incremental, lookahead, cpu): Sources<'_>,
        mut replay: Option<LatestReplay>,
        on_model: &(dyn Fn(usize) + Sync),
    ) -> Result<SourceModels> {
        let checkpoint = arrivals.checkpoint();
        let collector = Collector::new(arrivals, ModelSource::Latest)
            .with_lookahead(lookahead.map(|l| Arc::clone(l.lookahead())));
        let collector = Arc::new(collector);
        let resume = replay.as_mut().and_then(LatestReplay::listing);
        if let Some(replay) = replay {
            collector.seed(replay.models);
        }
        // Identifying, journaling and rendering happen on the CPU pool, so the card loop only
        // hands the models over.
        let journal = Handoff::new(cpu);
        let handed = AtomicUsize::new(collector.len());
        let sink = |position: usize, model: FetchedModel| {
            journal.send(&collector, position, model);
            on_model(handed.fetch_add(1, Ordering::Relaxed) + 1);
        };
        let on_page = |page: &ListedPage| {
            if let Some(lookahead) = lookahead {
                let ids = page.items.iter().map(|info| info.id.as_str());
                lookahead.lookahead().listed(ids);
            }
            collector.note(checkpoint.append_page(page));
        };
        let on_listed = || {
            if let Some(lookahead) = lookahead {
                lookahead.source_listed();
            }
        };
        let plan = ListingPlan {
            since: incremental.since,
            resume,
            cards: incremental.cards(),
            on_page: Some(&on_page),
            on_listed: Some(&on_listed),
            slots: lookahead.map(RunLookahead::slots),
            room: Some(journal.room()),
        };
        let streamed = latest_models_streaming(client, self.latest_options(), &plan, &sink).await;
        journal.finish().await;
        if let Some(lookahead) = lookahead {
            lookahead.source_finished();
        }
        let models = keep_positions(collector.finish()?, &streamed.kept);
        Ok(SourceModels {
            outcome: streamed.outcome,
            models,
        })
    }

    /// The model-id file's source: (its models, what the file held, the failures of its
    /// lines), each model journaled as its card arrives.
    pub(super) async fn models_from_file(
        &self,
        client: &HfClient,
        ctx: Ctx<'_>,
        replay: Option<FileReplay>,
    ) -> Result<(SourceModels, ModelIdFileReport, Vec<FailureReport>)> {
        let (arrivals, incremental, lookahead, cpu) = ctx.sources();
        let observer = ctx.observer;
        let path = &self.config.models_file_path;
        let mut id_file = ModelIdFileReport {
            path: path.display().to_string(),
            ..ModelIdFileReport::default()
        };
        let mut failed = Vec::new();
        // The file's ids are every model this source gives (as asked).
        let listed = |ids: &[ModelIdEntry]| {
            if let Some(lookahead) = lookahead {
                lookahead
                    .lookahead()
                    .listed(ids.iter().map(|e| e.id.as_str()));
                lookahead.source_listed();
            }
        };
        let finished = || {
            if let Some(lookahead) = lookahead {
                lookahead.source_finished();
            }
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(path = %path.display(), "no model-id file; skipped");
                listed(&[]);
                finished();
                return Ok((SourceModels::default(), id_file, failed));
            }
            Err(e) => {
                listed(&[]);
                finished();
                failed.push(FailureReport {
                    asset: Asset::RawModelsFromFile.name().into(),
                    id: path.display().to_string(),
                    line: None,
                    status: None,
                    error: e.to_string(),
                });
                return Ok((SourceModels::default(), id_file, failed));
            }
        };
        let list = ModelIdList::parse(&text);
        listed(&list.entries);
        id_file.found = true;
        id_file.ids = list.entries.len();
        id_file.errors = list.errors.len();
        id_file.duplicates = list.duplicates.len();
        for error in &list.errors {
            tracing::warn!(path = %path.display(), line = error.line, reason = %error.reason, "model-id file: line skipped");
            failed.push(FailureReport {
                asset: Asset::RawModelsFromFile.name().into(),
                id: error.text.clone(),
                line: Some(error.line),
                status: None,
                error: error.reason.clone(),
            });
        }
        let total = list.entries.len() as u64;
        let checkpoint = arrivals.checkpoint();
        let collector = Collector::new(arrivals, ModelSource::File)
            .with_lookahead(lookahead.map(|l| Arc::clone(l.lookahead())));
        let collector = Arc::new(collector);
        let journal = Handoff::new(cpu);
        let mut outcome = SourceOutcome::default();
        let replay = replay.unwrap_or_default();
        for (_, entry, _) in &replay.models {
            if let Ok(model) = checkpoint.model(entry.at) {
                note_watermark(&mut outcome, &model.info);
            }
        }
        collector.seed(replay.models);
        outcome.failures = replay.failures;
        let outcome = std::sync::Mutex::new(outcome);
        let sink = |index: usize, result: std::result::Result<FetchedModel, ModelFailure>| {
            let mut outcome = outcome.lock().unwrap_or_else(|e| e.into_inner());
            match result {
                Ok(model) => {
                    note_watermark(&mut outcome, &model.info);
                    journal.send(&collector, index, model);
                }
                Err(failure) => {
                    collector.note(checkpoint.append(&Event::Failed {
                        position: index,
                        failure: failure.clone(),
                    }));
                    outcome.add(Err(failure));
                }
            }
            observer.progress(Asset::RawModelsFromFile, index as u64 + 1, Some(total));
        };
        let plan = IdsPlan {
            threads: self.config.threads,
            skip: replay.done,
            cards: incremental.cards(),
            room: Some(journal.room()),
        };
        models_from_ids_streaming(client, &list, &plan, &sink).await;
        journal.finish().await;
        finished();
        let models = SourceModels {
            outcome: outcome.into_inner().unwrap_or_else(|e| e.into_inner()),
            models: collector
                .finish()?
                .into_iter()
                .map(|(_, entry, found)| (entry, found))
                .collect(),
        };
        Ok((models, id_file, failed))
    }
}

/// A source's asset: its file (its models in source order, each with its own base models)
/// written, and its models handed on; `failed` (the source's own failures, such as the lines
/// of the model-id file) go before those of its models.
pub(super) async fn source_done(
    asset: Asset,
    ctx: Ctx<'_>,
    models: SourceModels,
    mut failed: Vec<FailureReport>,
) -> Result<Done> {
    for failure in &models.outcome.failures {
        failed.push(failure_report(asset.name(), failure));
    }
    /// Each model's place and base models, in source order.
    fn records(models: &SourceModels) -> Vec<RecordOf<'_>> {
        models
            .models
            .iter()
            .map(|(entry, found)| (entry.at, found.base_models()))
            .collect()
    }
    let (models, writing) =
        write_model_records(ctx.records(), asset, ctx.stamp, models, records).await?;
    let mut done = Done::written(models.models.len() as u64, Output::Writing(writing));
    done.failures = models.outcome.failures.len() as u64;
    done.failed = failed;
    Ok(done.giving(Value::Source(Arc::new(models))))
}

pub(super) fn failure_report(asset: &str, failure: &ModelFailure) -> FailureReport {
    FailureReport {
        asset: asset.to_owned(),
        id: failure.id.clone(),
        line: failure.line,
        status: failure.status,
        error: failure.error.clone(),
    }
}

pub(super) fn to_key(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
