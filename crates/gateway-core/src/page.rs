//! Pagination: one page at a time ([`PageRequest`] → [`Page`]), or every item of every page as a
//! stream ([`paginate`]) that stops with an error instead of looping when a provider hands back a
//! cursor it already gave.

use std::collections::HashSet;
use std::fmt;
use std::future::{ready, Future};
use std::ops::RangeInclusive;

use futures::stream::{self, BoxStream, Stream, StreamExt};

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

/// Every item of the numbered pages `pages` (page numbers known in advance, e.g. from a first
/// page's `total_pages`), fetched with up to `concurrency` requests in flight (at least 1), in page
/// order: items of page N all come before those of page N + 1, whatever order the replies arrive
/// in.
///
/// `fetch(n)` returns the items of page `n`. At most `concurrency` pages are buffered, so memory
/// stays bounded however many pages there are; pacing (rate limits) is `fetch`'s job.
///
/// The stream ends after the last page, or with one [`Error`] item: the first error `fetch`
/// returns (pages after it are not fetched further), or an [`Error::Provider`] when more than
/// [`MAX_EMPTY_PAGES`] pages in a row are empty before the last page (a page count that does not
/// match the rows, which would otherwise be walked to its end).
pub fn numbered_pages<'a, T, F, Fut>(
    pages: RangeInclusive<u32>,
    concurrency: usize,
    mut fetch: F,
) -> BoxStream<'a, Result<T, Error>>
where
    T: Send + 'a,
    F: FnMut(u32) -> Fut + Send + 'a,
    Fut: Future<Output = Result<Vec<T>, Error>> + Send + 'a,
{
    let last = *pages.end();
    let pages = stream::iter(pages)
        .map(move |n| {
            let page = fetch(n);
            async move { (n, page.await) }
        })
        .buffered(concurrency.max(1));
    let mut empty_in_a_row = 0;
    let checked = pages.map(move |(n, result)| match result {
        Ok(items) => {
            empty_in_a_row = if items.is_empty() { empty_in_a_row + 1 } else { 0 };
            if empty_in_a_row > MAX_EMPTY_PAGES && n < last {
                vec![Err(Error::Provider(ErrorContext::new(format!(
                    "pagination did not advance: {empty_in_a_row} empty pages in a row before page {last}"
                ))))]
            } else {
                items.into_iter().map(Ok).collect()
            }
        }
        Err(e) => vec![Err(e)],
    });
    until_error(checked.flat_map(stream::iter)).boxed()
}

/// The items of `items` up to and including its first error, then the end: a listing that failed
/// part way stops there instead of going on with later pages.
pub fn until_error<S, T>(items: S) -> impl Stream<Item = Result<T, Error>>
where
    S: Stream<Item = Result<T, Error>>,
{
    items.scan(false, |failed, item| {
        if *failed {
            return ready(None);
        }
        *failed = item.is_err();
        ready(Some(item))
    })
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

    #[tokio::test]
    async fn numbered_pages_keep_page_order_with_replies_out_of_order() {
        use std::time::Duration;
        // Page 1 answers last; its items still come first.
        let s = numbered_pages(1..=4, 4, |n| async move {
            tokio::time::sleep(Duration::from_millis(u64::from(5 - n) * 20)).await;
            Ok(vec![n * 10, n * 10 + 1])
        });
        let all: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(all, vec![10, 11, 20, 21, 30, 31, 40, 41]);
    }

    #[tokio::test]
    async fn numbered_pages_stay_within_the_concurrency() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (n2, p2) = (now.clone(), peak.clone());
        let s = numbered_pages(1..=20, 3, move |n| {
            let (now, peak) = (n2.clone(), p2.clone());
            async move {
                let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(in_flight, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                Ok(vec![n])
            }
        });
        let all: Vec<u32> = s.try_collect().await.unwrap();
        assert_eq!(all, (1..=20).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn numbered_pages_end_at_the_first_error() {
        let s = numbered_pages(1..=5, 2, |n| async move {
            if n == 3 {
                Err(Error::NotFound(ErrorContext::new("gone")))
            } else {
                Ok(vec![n])
            }
        });
        let out: Vec<_> = s.collect().await;
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(matches!(out[0], Ok(1)) && matches!(out[1], Ok(2)));
        assert!(matches!(out[2], Err(Error::NotFound(_))));
    }

    #[tokio::test]
    async fn numbered_pages_refuse_a_page_count_past_the_rows() {
        // total_pages of four billion, rows on page 1 only.
        let s = numbered_pages(1..=u32::MAX, 2, |n| async move {
            Ok(if n == 1 { vec![1u8] } else { Vec::new() })
        });
        let out: Vec<_> = s.collect().await;
        assert_eq!(out.len(), 2);
        assert!(matches!(out[1], Err(Error::Provider(ref c)) if c.message.contains("empty pages in a row")));
        // Empty pages at the very end (rows deleted meanwhile) are fine.
        let s = numbered_pages(
            1..=5,
            2,
            |n| async move { Ok(if n == 1 { vec![1u8] } else { Vec::new() }) },
        );
        let all: Vec<u8> = s.try_collect().await.unwrap();
        assert_eq!(all, vec![1]);
    }
}
