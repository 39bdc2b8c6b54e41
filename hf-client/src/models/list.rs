//! `GET /api/models`: the listing, page by page or as a stream.

use futures::Stream;
use url::Url;

use crate::client::HfClient;
use crate::error::{Error, ResourceKind, Result};
use crate::pagination::{Page, parse_next_link};
use crate::wire::ModelInfo;

/// The largest page the Hub serves (and the default page size).
pub const MAX_PAGE_SIZE: usize = 1000;

/// How the listing is sorted (`sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sort {
    /// By last commit (`lastModified`).
    LastModified,
    /// By repository creation (`createdAt`).
    CreatedAt,
    /// By downloads of the last 30 days.
    Downloads,
    /// By likes.
    Likes,
    /// By the Hub's trending score.
    TrendingScore,
}

impl Sort {
    /// The value of the `sort` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastModified => "lastModified",
            Self::CreatedAt => "createdAt",
            Self::Downloads => "downloads",
            Self::Likes => "likes",
            Self::TrendingScore => "trendingScore",
        }
    }
}

/// The sort direction (`direction=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Largest / newest first (`-1`).
    Descending,
    /// Smallest / oldest first (`1`).
    Ascending,
}

macro_rules! model_properties {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A property that `expand[]` can ask for; the answer then holds only `_id`, `id` and the
        /// properties asked for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ModelProperty {
            $($(#[$doc])* $variant,)*
        }

        impl ModelProperty {
            /// Every property, in the Hub's alphabetical order.
            pub const ALL: &'static [ModelProperty] = &[$(Self::$variant,)*];

            /// The property's name as the Hub spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

model_properties! {
    /// `author`
    Author => "author",
    /// `baseModels`: the structured base-model relation.
    BaseModels => "baseModels",
    /// `cardData`: the README's YAML front matter.
    CardData => "cardData",
    /// `childrenModelCount`
    ChildrenModelCount => "childrenModelCount",
    /// `config`
    Config => "config",
    /// `createdAt`
    CreatedAt => "createdAt",
    /// `disabled`
    Disabled => "disabled",
    /// `downloads` (last 30 days)
    Downloads => "downloads",
    /// `downloadsAllTime`
    DownloadsAllTime => "downloadsAllTime",
    /// `evalResults`
    EvalResults => "evalResults",
    /// `gated`
    Gated => "gated",
    /// `gguf`
    Gguf => "gguf",
    /// `inference`
    Inference => "inference",
    /// `inferenceProviderMapping`
    InferenceProviderMapping => "inferenceProviderMapping",
    /// `lastModified`
    LastModified => "lastModified",
    /// `library_name`
    LibraryName => "library_name",
    /// `likes`
    Likes => "likes",
    /// `mask_token`
    MaskToken => "mask_token",
    /// `model-index`
    ModelIndex => "model-index",
    /// `pipeline_tag`
    PipelineTag => "pipeline_tag",
    /// `private`
    Private => "private",
    /// `resourceGroup`
    ResourceGroup => "resourceGroup",
    /// `safetensors`
    Safetensors => "safetensors",
    /// `sha`: the commit of `main`.
    Sha => "sha",
    /// `siblings`: the files.
    Siblings => "siblings",
    /// `spaces`
    Spaces => "spaces",
    /// `tags`
    Tags => "tags",
    /// `transformersInfo`
    TransformersInfo => "transformersInfo",
    /// `trendingScore`
    TrendingScore => "trendingScore",
    /// `usedStorage`
    UsedStorage => "usedStorage",
    /// `widgetData`
    WidgetData => "widgetData",
}

/// `GET /api/models`: list or search models, following `Link: <…>; rel="next"` pages.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use hf_client::models::{ModelProperty, Sort};
///
/// # async fn run(client: hf_client::HfClient) -> hf_client::Result<()> {
/// let recent: Vec<_> = client
///     .models()
///     .list()
///     .author("google")
///     .filter("license:apache-2.0")
///     .sort(Sort::LastModified)
///     .expand([ModelProperty::Sha, ModelProperty::Tags, ModelProperty::CardData])
///     .limit(2500)
///     .stream()
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct ListModels<'c> {
    client: &'c HfClient,
    search: Option<String>,
    author: Option<String>,
    filters: Vec<String>,
    pipeline_tag: Option<String>,
    sort: Option<Sort>,
    direction: Option<Direction>,
    limit: Option<usize>,
    page_size: usize,
    full: bool,
    card_data: bool,
    config: bool,
    expand: Vec<ModelProperty>,
}

impl<'c> ListModels<'c> {
    pub(crate) fn new(client: &'c HfClient) -> Self {
        Self {
            client,
            search: None,
            author: None,
            filters: Vec::new(),
            pipeline_tag: None,
            sort: None,
            direction: None,
            limit: None,
            page_size: MAX_PAGE_SIZE,
            full: false,
            card_data: false,
            config: false,
            expand: Vec::new(),
        }
    }

    /// Only models whose id contains this text (`search=`).
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Only models of this user or organisation (`author=`).
    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// Only models with this tag (`filter=`, repeatable: all must match), in the Hub's tag form:
    /// `text-classification`, `license:apache-2.0`, `dataset:squad`, `language:en`, `arxiv:…`.
    pub fn filter(mut self, tag: impl Into<String>) -> Self {
        self.filters.push(tag.into());
        self
    }

    /// Only models of this task (`pipeline_tag=`).
    pub fn pipeline_tag(mut self, task: impl Into<String>) -> Self {
        self.pipeline_tag = Some(task.into());
        self
    }

    /// Sort by this property (`sort=`). The Hub sorts descending unless told otherwise.
    pub fn sort(mut self, sort: Sort) -> Self {
        self.sort = Some(sort);
        self
    }

    /// The sort direction (`direction=-1` or `1`).
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = Some(direction);
        self
    }

    /// Stop after this many models in all (default: the whole listing).
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Models per page, 1 to [`MAX_PAGE_SIZE`] (the default, the Hub's largest page); sent as `limit=`.
    pub fn page_size(mut self, n: usize) -> Self {
        self.page_size = n.clamp(1, MAX_PAGE_SIZE);
        self
    }

    /// Most of each model's data (`full=true`); cannot be combined with `expand`.
    pub fn full(mut self, yes: bool) -> Self {
        self.full = yes;
        self
    }

    /// Add `cardData` (`cardData=true`); cannot be combined with `expand`.
    pub fn card_data(mut self, yes: bool) -> Self {
        self.card_data = yes;
        self
    }

    /// Add `config` (`config=true`); cannot be combined with `expand`.
    pub fn config(mut self, yes: bool) -> Self {
        self.config = yes;
        self
    }

    /// Return only `_id`, `id` and these properties (`expand[]=`, repeatable).
    pub fn expand(mut self, properties: impl IntoIterator<Item = ModelProperty>) -> Self {
        self.expand.extend(properties);
        self
    }

    /// The URL of the first page. Fails when `expand` is combined with `full`, `cardData` or
    /// `config`, as the Hub would.
    pub fn first_page_url(&self) -> Result<Url> {
        if !self.expand.is_empty() && (self.full || self.card_data || self.config) {
            return Err(Error::Config(
                "expand[] cannot be combined with full, cardData or config".into(),
            ));
        }
        let mut url = self.client.hub_url(&["api", "models"]);
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = &self.search {
                q.append_pair("search", s);
            }
            if let Some(a) = &self.author {
                q.append_pair("author", a);
            }
            for f in &self.filters {
                q.append_pair("filter", f);
            }
            if let Some(p) = &self.pipeline_tag {
                q.append_pair("pipeline_tag", p);
            }
            if let Some(s) = self.sort {
                q.append_pair("sort", s.as_str());
            }
            if let Some(d) = self.direction {
                q.append_pair(
                    "direction",
                    if d == Direction::Descending {
                        "-1"
                    } else {
                        "1"
                    },
                );
            }
            let page = self
                .limit
                .map_or(self.page_size, |l| l.clamp(1, self.page_size));
            q.append_pair("limit", &page.to_string());
            if self.full {
                q.append_pair("full", "true");
            }
            if self.card_data {
                q.append_pair("cardData", "true");
            }
            if self.config {
                q.append_pair("config", "true");
            }
            for p in &self.expand {
                q.append_pair("expand[]", p.as_str());
            }
        }
        Ok(url)
    }

    /// Fetch the first page.
    pub async fn first_page(&self) -> Result<Page<ModelInfo>> {
        self.page_at(self.first_page_url()?).await
    }

    /// Fetch the page at `url` — a first-page URL, or a [`Page::next`] kept from an earlier
    /// page (to resume a listing). The URL is requested verbatim.
    pub async fn page_at(&self, url: Url) -> Result<Page<ModelInfo>> {
        fetch_page(self.client, url).await
    }

    /// Every model of the listing (up to [`limit`](Self::limit)), page after page.
    pub fn stream(self) -> impl Stream<Item = Result<ModelInfo>> + 'c {
        let start = self.first_page_url();
        items_of(self.pages_from(start))
    }

    /// Like [`stream`](Self::stream), starting at a page URL kept from an earlier listing.
    pub fn stream_from(self, url: Url) -> impl Stream<Item = Result<ModelInfo>> + 'c {
        items_of(self.pages_from(Ok(url)))
    }

    /// The listing as a stream of pages, so a caller can checkpoint each [`Page::next`].
    /// Pages stop once [`limit`](Self::limit) models were served; the last page is cut to it.
    pub fn pages(self) -> impl Stream<Item = Result<Page<ModelInfo>>> + 'c {
        let start = self.first_page_url();
        self.pages_from(start)
    }

    /// Like [`pages`](Self::pages), starting at a page URL kept from an earlier listing.
    pub fn pages_from_url(self, url: Url) -> impl Stream<Item = Result<Page<ModelInfo>>> + 'c {
        self.pages_from(Ok(url))
    }

    fn pages_from(self, start: Result<Url>) -> impl Stream<Item = Result<Page<ModelInfo>>> + 'c {
        let client = self.client;
        let limit = self.limit;
        futures::stream::try_unfold(
            (start.map(Some), 0usize),
            move |(next, served)| async move {
                let Some(url) = next? else {
                    return Ok(None);
                };
                if limit.is_some_and(|l| served >= l) {
                    return Ok(None);
                }
                let mut page = fetch_page(client, url).await?;
                if let Some(l) = limit {
                    page.items.truncate(l.saturating_sub(served));
                }
                let served = served + page.items.len();
                // An empty page ends the listing even if it links further (no endless loop).
                let next = if page.items.is_empty() || limit.is_some_and(|l| served >= l) {
                    None
                } else {
                    page.next.clone()
                };
                Ok(Some((page, (Ok(next), served))))
            },
        )
    }
}

/// The items of the pages; the next page is fetched while the current one is served.
fn items_of<'c>(
    pages: impl Stream<Item = Result<Page<ModelInfo>>> + Send + 'c,
) -> impl Stream<Item = Result<ModelInfo>> + Send + 'c {
    crate::pagination::items_one_page_ahead(pages)
}

async fn fetch_page(client: &HfClient, url: Url) -> Result<Page<ModelInfo>> {
    let resp = client
        .get(url.clone())
        .await?
        .error_for_status(ResourceKind::Other, url.as_str())?;
    let items: Vec<ModelInfo> = resp.json()?;
    let next = resp
        .headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| parse_next_link(v, &resp.url));
    Ok(Page {
        items,
        next,
        url: resp.url,
    })
}
