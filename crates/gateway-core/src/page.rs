//! Pagination: one page at a time ([`PageRequest`] → [`Page`]), or every item of every page as a
//! stream ([`paginate`]) that stops with an error instead of looping when a provider hands back a
//! cursor it already gave.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt};

use crate::{Error, ErrorContext};

/// An opaque position in a listing, handed out in [`Page::next`] and passed back in
/// [`PageRequest::cursor`]. Each provider decides what it holds (a page number, a `since_id`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageCursor(String);

impl PageCursor {
    /// Wraps a provider's cursor text.
    pub fn new(cursor: impl Into<String>) -> Self {
        Self(cursor.into())
    }

    /// The cursor text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PageCursor({:?})", self.0)
    }
}

impl fmt::Display for PageCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which page to fetch: `cursor` `None` is the first page; `limit` is the page size to ask for
/// (`None`: the provider's default; providers cap it at their maximum).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageRequest {
    /// Where to continue; `None` for the first page.
    pub cursor: Option<PageCursor>,
    /// Items per page to ask for.
    pub limit: Option<u32>,
}

impl PageRequest {
    /// The first page with the provider's default size.
    pub fn first() -> Self {
        Self::default()
    }

    /// The page at `cursor`.
    pub fn at(cursor: PageCursor) -> Self {
        Self {
            cursor: Some(cursor),
            limit: None,
        }
    }

    /// Sets the page size.
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next: Option<PageCursor>,
    /// The total number of items across all pages, when the provider says.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page of `items` followed by `next`.
    pub fn new(items: Vec<T>, next: Option<PageCursor>) -> Self {
        Self {
            items,
            next,
            total: None,
        }
    }

    /// Sets the total.
    pub fn with_total(mut self, total: Option<u64>) -> Self {
        self.total = total;
        self
    }
}

/// How many empty pages in a row [`paginate`] follows before it calls the listing stuck. An empty
/// page can be legitimate (a provider whose first page lists master accounts when there are none),
/// but not many of them in a row.
pub const MAX_EMPTY_PAGES: u32 = 3;

/// Every item of every page, fetched one page after another with `fetch`, starting at `first`.
///
/// The stream ends after the page with no `next` cursor, or with one [`Error`] item: the first
/// error `fetch` returns, or an [`Error::Provider`] when the listing stops making progress (a
/// provider bug that would otherwise loop forever): a page's `next` cursor repeats one already
/// seen, or more than [`MAX_EMPTY_PAGES`] pages in a row are empty yet point to a next page (a
/// `total_pages` that keeps growing).
pub fn paginate<'a, T, F, Fut>(first: PageRequest, fetch: F) -> BoxStream<'a, Result<T, Error>>
where
    T: Send + 'a,
    F: FnMut(PageRequest) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Page<T>, Error>> + Send + 'a,
{
    struct State<F> {
        next: Option<PageRequest>,
        seen: HashSet<PageCursor>,
        empty_in_a_row: u32,
        fetch: F,
    }
    let mut seen = HashSet::new();
    if let Some(c) = &first.cursor {
        seen.insert(c.clone());
    }
    let state = State {
        next: Some(first),
        seen,
        empty_in_a_row: 0,
        fetch,
    };
    stream::unfold(state, |mut state| async move {
        let request = state.next.take()?;
        let limit = request.limit;
        let page = match (state.fetch)(request).await {
            Ok(page) => page,
            Err(e) => return Some((vec![Err(e)], state)),
        };
        state.empty_in_a_row = if page.items.is_empty() {
            state.empty_in_a_row + 1
        } else {
            0
        };
        let mut items: Vec<Result<T, Error>> = page.items.into_iter().map(Ok).collect();
        if let Some(cursor) = page.next {
            if state.empty_in_a_row > MAX_EMPTY_PAGES {
                items.push(Err(Error::Provider(ErrorContext::new(format!(
                    "pagination did not advance: {} empty pages in a row, next cursor {cursor}",
                    state.empty_in_a_row
                )))));
            } else if state.seen.insert(cursor.clone()) {
                state.next = Some(PageRequest {
                    cursor: Some(cursor),
                    limit,
                });
            } else {
                items.push(Err(Error::Provider(ErrorContext::new(format!(
                    "pagination did not advance: cursor {cursor} was returned twice"
                )))));
            }
        }
        Some((items, state))
    })
    .flat_map(stream::iter)
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[tokio::test]
    async fn walks_every_page() {
        let s = paginate(PageRequest::first(), |req| async move {
            let n: u32 = req.cursor.map_or(0, |c| c.as_str().parse().unwrap());
            let next = (n < 2).then(|| PageCursor::new((n + 1).to_string()));
            Ok(Page::new(vec![n * 10, n * 10 + 1], next))
        });
        let all: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(all, vec![0, 1, 10, 11, 20, 21]);
    }

    #[tokio::test]
    async fn stops_on_a_repeated_cursor() {
        let s = paginate(PageRequest::first(), |req| async move {
            // Every page, the first included, says the next one is "a": the second page loops.
            let _ = req;
            Ok(Page::new(vec![1u8], Some(PageCursor::new("a"))))
        });
        let out: Vec<_> = s.collect().await;
        assert_eq!(out.len(), 3, "two pages of one item, then the loop error");
        assert!(matches!(out[2], Err(Error::Provider(ref c)) if c.message.contains("did not advance")));
    }

    #[tokio::test]
    async fn stops_after_too_many_empty_pages_in_a_row() {
        // A server whose total_pages keeps growing: every page empty, every cursor new.
        let s = paginate(PageRequest::first(), |req| async move {
            let n: u32 = req.cursor.map_or(0, |c| c.as_str().parse().unwrap());
            Ok(Page::<u8>::new(Vec::new(), Some(PageCursor::new((n + 1).to_string()))))
        });
        let out: Vec<_> = s.collect().await;
        assert_eq!(out.len(), 1);
        assert!(matches!(out[0], Err(Error::Provider(ref c)) if c.message.contains("empty pages in a row")));
    }

    #[tokio::test]
    async fn a_few_empty_pages_are_followed() {
        // Pages 0..=2 empty (e.g. no master accounts), page 3 has the items.
        let s = paginate(PageRequest::first(), |req| async move {
            let n: u32 = req.cursor.map_or(0, |c| c.as_str().parse().unwrap());
            let items = if n == MAX_EMPTY_PAGES { vec![7u8] } else { Vec::new() };
            let next = (n < MAX_EMPTY_PAGES).then(|| PageCursor::new((n + 1).to_string()));
            Ok(Page::new(items, next))
        });
        let all: Vec<u8> = s.try_collect().await.unwrap();
        assert_eq!(all, vec![7]);
    }

    #[tokio::test]
    async fn passes_errors_through_and_stops() {
        let s = paginate(PageRequest::first(), |_req| async move {
            Err::<Page<u8>, _>(Error::NotFound(ErrorContext::new("gone")))
        });
        let out: Vec<_> = s.collect().await;
        assert_eq!(out.len(), 1);
        assert!(matches!(out[0], Err(Error::NotFound(_))));
    }
}
