//! Paging SePay's API-token transaction list (`GET /userapi/transactions/list`) completely.
//!
//! SePay's token list returns the **most recent** matching transactions first, at most `limit`
//! (5000 at most) of them; its `since_id` ("id at least") does not page. SePay's public documents
//! list `GET /userapi/transactions/count` without saying that it applies the list's filters, so
//! this module never lets a listing depend on that count alone. It rests on one rule the list
//! itself guarantees:
//!
//! > **A reply with fewer rows than the `limit` asked is the whole window**: the list caps at
//! > `limit`, so when it returns less there is no more.
//!
//! A page of the window `lo..=upper` (the filter's dates; the upper end moves down page after
//! page) is read like this:
//!
//! 1. **List first**: `transactions/list` for the window with `limit` = the page size (at most
//!    5000). A short reply (fewer rows than `limit`) is complete: it is the last page, after one
//!    request and no count.
//! 2. A **full** reply (exactly `limit` rows) may have left older ones out. Its rows must lie in
//!    the window asked (else SePay ignores the date filters and the listing cannot be paged:
//!    [`Error::Provider`]). Then `transactions/count` of the window is asked, as a cross-check
//!    that can only *confirm*: when it equals the rows returned, the window is exactly the
//!    reply and that is the last page. Any other count (more: further transactions, or a count
//!    that ignores the filters and reports the company-wide total; fewer: a count that disagrees
//!    with the list) does not fail the listing; the window is split instead.
//! 3. **Splitting** uses the list alone. The window above a cut second (`cut+1s..=upper`) is
//!    listed with the same `limit`; a short reply there is complete and is the page, and the
//!    next page is the window up to and including the cut. The first cut tried is the oldest
//!    second of the full reply (enough whenever SePay sorts by date, as documented); when the
//!    window above it is full too (a server sorting by id, say), the lowest cut whose window
//!    above is short is found by a binary search over seconds (above the reply's newest second
//!    first doubling the distance when the filter has no `to_date`). Every transaction of the
//!    full reply above the cut must be in the page, or the replies contradict each other.
//! 4. When the window above the cut is empty, the cut's second holds at least `limit`
//!    transactions and is listed as a page of its own (asking for 5000; such a page may hold more
//!    than `limit`). A full 5000 there is only accepted when `transactions/count` of that second
//!    agrees (nothing else can show it is complete); a larger count is an [`Error::Provider`]
//!    (more than 5000 in one second cannot be listed; a count ignoring the filters also ends
//!    here — the only case where it fails a listing).
//!
//! So a listing is complete or an error, and never silently partial after a full reply. Replies
//! that contradict each other (transactions arriving or vanishing meanwhile) are read again (3
//! attempts) before they are an [`Error::Provider`]. A listing that returns fewer transactions
//! than a count reported is **not** an error: the count may not apply the filters.
//!
//! Costs: a listing of fewer than `limit` transactions is one request; a page of a longer listing
//! is three (list, count, list above the cut) when SePay sorts by date, more otherwise.

use chrono::{NaiveDateTime, TimeDelta};
use gateway_core::{Error, ErrorContext, Page, PageCursor, PageRequest};

use super::{bad_cursor, newest_first, Checked, SepayTransaction, TOKEN_MAX_PAGE_SIZE};
use crate::transactions_wire::{UserApiTransactionCount, UserApiTransactionList};
use crate::SepayClient;

/// How many times an API-token page is read again when its replies contradict each other.
const TOKEN_PAGE_ATTEMPTS: usize = 3;

/// How many times the search for a short window above a cut doubles its distance when the filter
/// has no `to_date` (2^48 seconds is far beyond any transaction date).
const GALLOP_STEPS: u32 = 48;

/// The compact form of a date-time in this module's cursors.
const CURSOR_TIME: &str = "%Y%m%d%H%M%S";

fn one_second() -> TimeDelta {
    TimeDelta::seconds(1)
}

/// Where an API-token listing stands, carried as `"t:{upper}/{seen}/{expected}"`: the window
/// still to list ends at `upper` (included, Vietnam time, `YYYYMMDDHHMMSS`); `seen` transactions
/// were returned so far; `expected` is what the first `transactions/count` found (an estimate:
/// only reported as the page's `total`, never checked against).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TokenCursor {
    upper: NaiveDateTime,
    seen: u64,
    expected: u64,
}

impl TokenCursor {
    fn parse(cursor: &PageCursor) -> Option<Self> {
        let rest = cursor.as_str().strip_prefix("t:")?;
        let mut parts = rest.split('/');
        let (upper, seen, expected) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || upper.len() != 14 {
            return None;
        }
        Some(Self {
            upper: NaiveDateTime::parse_from_str(upper, CURSOR_TIME).ok()?,
            seen: seen.parse().ok()?,
            expected: expected.parse().ok()?,
        })
    }

    fn cursor(&self) -> PageCursor {
        PageCursor::new(format!(
            "t:{}/{}/{}",
            self.upper.format(CURSOR_TIME),
            self.seen,
            self.expected
        ))
    }
}

/// One try at an API-token page: the page, or why its replies contradicted each other.
enum Attempt {
    Done(Page<SepayTransaction>),
    Changed(String),
}

/// A list reply for a window: its transactions, and whether it held as many as asked.
struct Reply {
    items: Vec<SepayTransaction>,
    full: bool,
}

/// The bookkeeping of an API-token listing across pages.
#[derive(Debug, Clone, Copy)]
struct Listing {
    lo: Option<NaiveDateTime>,
    seen: u64,
    expected: u64,
}

impl Listing {
    /// A page of `items` followed by the window up to `upper` (included); the last page when
    /// `upper` is `None` or below the filter's lower end.
    fn next(self, mut items: Vec<SepayTransaction>, upper: Option<NaiveDateTime>) -> Page<SepayTransaction> {
        match upper {
            Some(upper) if self.lo.is_none_or(|lo| upper >= lo) => {
                items.sort_by(newest_first);
                let seen = self.seen + items.len() as u64;
                let cursor = TokenCursor {
                    upper,
                    seen,
                    expected: self.expected,
                };
                Page::new(items, Some(cursor.cursor())).with_total(Some(self.expected.max(seen)))
            }
            _ => self.finish(items),
        }
    }

    /// The last page; its `total` is the number of transactions the whole listing returned.
    fn finish(self, mut items: Vec<SepayTransaction>) -> Page<SepayTransaction> {
        let seen = self.seen + items.len() as u64;
        items.sort_by(newest_first);
        Page::new(items, None).with_total(Some(seen))
    }
}

/// An error for a reply holding a transaction outside the window asked.
fn outside_window(
    items: &[SepayTransaction],
    lo: Option<NaiveDateTime>,
    hi: Option<NaiveDateTime>,
) -> Result<(), Error> {
    let outside = items.iter().find(|t| {
        let at = t.local_date();
        lo.is_some_and(|lo| at < lo) || hi.is_some_and(|hi| at > hi)
    });
    match outside {
        None => Ok(()),
        Some(t) => Err(Error::Provider(ErrorContext::new(format!(
            "SePay listed transaction {} of {} for the window {}..={}: it does not apply the date filters, \
             so a listing of more than one reply cannot be read completely; narrow the filter",
            t.id,
            t.local_date(),
            lo.map_or_else(|| "start".to_string(), |d| d.to_string()),
            hi.map_or_else(|| "now".to_string(), |d| d.to_string()),
        )))),
    }
}

impl SepayClient {
    /// `transactions/count` of the window `lo..=hi` with the filter.
    pub(super) async fn token_count(
        &self,
        filter: &Checked,
        lo: Option<NaiveDateTime>,
        hi: Option<NaiveDateTime>,
    ) -> Result<u64, Error> {
        let api = self.token_api()?;
        let url = self
            .inner
            .transport
            .url("/userapi/transactions/count", &filter.token_query(lo, hi, None))?;
        let count: UserApiTransactionCount = api
            .get(&self.inner.transport, &self.options, url, "SePay transaction count")
            .await?;
        Ok(count.count_transactions)
    }

    /// `transactions/list` of the window `lo..=hi` with the filter, at most `limit`.
    async fn token_fetch(
        &self,
        filter: &Checked,
        lo: Option<NaiveDateTime>,
        hi: Option<NaiveDateTime>,
        limit: u32,
    ) -> Result<Vec<SepayTransaction>, Error> {
        let api = self.token_api()?;
        let url = self
            .inner
            .transport
            .url("/userapi/transactions/list", &filter.token_query(lo, hi, Some(limit)))?;
        let list: UserApiTransactionList = api
            .get(&self.inner.transport, &self.options, url, "SePay transaction list")
            .await?;
        list.transactions.into_iter().map(SepayTransaction::try_from).collect()
    }

    /// [`Self::token_fetch`] for paging: every transaction must lie in the window.
    async fn token_window(
        &self,
        filter: &Checked,
        lo: Option<NaiveDateTime>,
        hi: Option<NaiveDateTime>,
        limit: u32,
    ) -> Result<Reply, Error> {
        let items = self.token_fetch(filter, lo, hi, limit).await?;
        outside_window(&items, lo, hi)?;
        Ok(Reply {
            full: items.len() >= limit as usize,
            items,
        })
    }

    /// The window above the second `cut` (`cut+1s..=upper`), at most `limit`.
    async fn token_above(
        &self,
        filter: &Checked,
        cut: NaiveDateTime,
        upper: Option<NaiveDateTime>,
        limit: u32,
    ) -> Result<Reply, Error> {
        let from = cut.checked_add_signed(one_second()).ok_or_else(|| {
            Error::Provider(ErrorContext::new(format!(
                "SePay listed a transaction at {cut}, the last representable second"
            )))
        })?;
        if upper.is_some_and(|upper| from > upper) {
            // Nothing can be above the window's last second.
            return Ok(Reply {
                items: Vec::new(),
                full: false,
            });
        }
        self.token_window(filter, Some(from), upper, limit).await
    }

    /// One page of the API-token listing (see the module docs).
    pub(super) async fn token_transactions_page(
        &self,
        filter: Checked,
        page: PageRequest,
    ) -> Result<Page<SepayTransaction>, Error> {
        let limit = page.limit.unwrap_or(TOKEN_MAX_PAGE_SIZE).clamp(1, TOKEN_MAX_PAGE_SIZE);
        let state = match &page.cursor {
            None => None,
            Some(c) => Some(TokenCursor::parse(c).ok_or_else(|| bad_cursor(c))?),
        };
        let mut why = String::new();
        for attempt in 1..=TOKEN_PAGE_ATTEMPTS {
            match self.token_page_attempt(&filter, limit, state).await? {
                Attempt::Done(page) => return Ok(page),
                Attempt::Changed(reason) => {
                    tracing::debug!(target: "provider_sepay", attempt, %reason, "SePay transaction page inconsistent; reading again");
                    why = reason;
                }
            }
        }
        Err(Error::Provider(ErrorContext::new(format!(
            "SePay's transaction list could not be read completely ({why}) after {TOKEN_PAGE_ATTEMPTS} attempts; \
             try again, or narrow the filter"
        ))))
    }

    /// One try at the page after `state`: list first, split only a full reply.
    async fn token_page_attempt(
        &self,
        filter: &Checked,
        limit: u32,
        state: Option<TokenCursor>,
    ) -> Result<Attempt, Error> {
        let lo = filter.lo();
        let (upper, seen, known_expected) = match state {
            None => (filter.hi(), 0, None),
            Some(s) => (
                Some(filter.hi().map_or(s.upper, |hi| hi.min(s.upper))),
                s.seen,
                Some(s.expected),
            ),
        };
        let listing = Listing { lo, seen, expected: 0 };
        if let (Some(lo), Some(hi)) = (lo, upper) {
            if hi < lo {
                return Ok(Attempt::Done(listing.finish(Vec::new())));
            }
        }
        // 1. List first: a short reply is the whole window.
        let first = self.token_fetch(filter, lo, upper, limit).await?;
        if first.len() < limit as usize {
            return Ok(Attempt::Done(listing.finish(first)));
        }
        outside_window(&first, lo, upper)?;
        // 2. The count can only confirm a full reply; it never fails the listing by itself.
        let counted = self.token_count(filter, lo, upper).await?;
        let listing = Listing {
            expected: known_expected.unwrap_or(counted),
            ..listing
        };
        if counted == first.len() as u64 {
            return Ok(Attempt::Done(listing.finish(first)));
        }
        self.token_split(filter, listing, upper, limit, first).await
    }

    /// The page of a window whose reply `first` was full (step 3 of the module docs), found by
    /// listing the windows above cut seconds.
    async fn token_split(
        &self,
        filter: &Checked,
        listing: Listing,
        upper: Option<NaiveDateTime>,
        limit: u32,
        first: Vec<SepayTransaction>,
    ) -> Result<Attempt, Error> {
        let dates = || first.iter().map(SepayTransaction::local_date);
        let (Some(oldest), Some(newest)) = (dates().min(), dates().max()) else {
            return Ok(Attempt::Changed("SePay's full reply held no transaction".to_string()));
        };
        let above = self.token_above(filter, oldest, upper, limit).await?;
        let (cut, page) = if above.full {
            match self.token_search_cut(filter, oldest, newest, upper, limit).await? {
                Some(found) => found,
                None => {
                    return Ok(Attempt::Changed(
                        "SePay's lists of the newest transactions did not settle".to_string(),
                    ))
                }
            }
        } else {
            (oldest, above.items)
        };
        // The window above the cut is complete: every transaction of the full reply above the
        // cut must be in it.
        if let Some(lost) = first
            .iter()
            .filter(|t| t.local_date() > cut)
            .find(|t| !page.iter().any(|p| p.id == t.id))
        {
            return Ok(Attempt::Changed(format!(
                "SePay listed transaction {} and then left it out of the window after {cut}",
                lost.id
            )));
        }
        if page.is_empty() {
            // Step 4: the cut's second holds at least `limit` transactions.
            return self.token_second_page(filter, listing, cut).await;
        }
        Ok(Attempt::Done(listing.next(page, Some(cut))))
    }

    /// The lowest cut second whose window above (up to `upper`) has a short reply, with that
    /// reply, when the window above `bad` is full: a binary search over seconds, whose upper
    /// bound is `upper` (an empty window above) or, without one, found by doubling the distance
    /// above `newest`. `None` when no short window was found.
    async fn token_search_cut(
        &self,
        filter: &Checked,
        bad: NaiveDateTime,
        newest: NaiveDateTime,
        upper: Option<NaiveDateTime>,
        limit: u32,
    ) -> Result<Option<(NaiveDateTime, Vec<SepayTransaction>)>, Error> {
        let mut low = bad;
        let (mut high, mut high_items) = match upper {
            Some(u) => (u, Vec::new()),
            None => {
                let mut step = one_second();
                let mut found = None;
                for _ in 0..GALLOP_STEPS {
                    let Some(at) = newest.max(low).checked_add_signed(step) else {
                        break;
                    };
                    let reply = self.token_above(filter, at, None, limit).await?;
                    if !reply.full {
                        found = Some((at, reply.items));
                        break;
                    }
                    low = at;
                    step = step * 2;
                }
                match found {
                    Some(found) => found,
                    None => return Ok(None),
                }
            }
        };
        if high <= low {
            return Ok(None);
        }
        while (high - low) > one_second() {
            let mid = low + TimeDelta::seconds((high - low).num_seconds() / 2);
            let reply = self.token_above(filter, mid, upper, limit).await?;
            if reply.full {
                low = mid;
            } else {
                (high, high_items) = (mid, reply.items);
            }
        }
        Ok(Some((high, high_items)))
    }

    /// The page of every transaction at `second`, followed by the window up to the second before.
    async fn token_second_page(
        &self,
        filter: &Checked,
        listing: Listing,
        second: NaiveDateTime,
    ) -> Result<Attempt, Error> {
        let reply = self
            .token_window(filter, Some(second), Some(second), TOKEN_MAX_PAGE_SIZE)
            .await?;
        if reply.full {
            // Only a count can show that 5000 in one second are all of them.
            let counted = self.token_count(filter, Some(second), Some(second)).await?;
            let got = reply.items.len() as u64;
            if counted > got {
                return Err(Error::Provider(ErrorContext::new(format!(
                    "SePay counts {counted} transactions at {second}, more than the {TOKEN_MAX_PAGE_SIZE} one reply \
                     can hold; they cannot be listed completely"
                ))));
            }
            if counted < got {
                return Ok(Attempt::Changed(format!(
                    "SePay listed {got} transactions at {second} but counted {counted}"
                )));
            }
        }
        if reply.items.is_empty() {
            return Ok(Attempt::Changed(format!(
                "SePay listed transactions at {second} and then none"
            )));
        }
        Ok(Attempt::Done(
            listing.next(reply.items, second.checked_sub_signed(one_second())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_others() {
        let c = TokenCursor {
            upper: NaiveDate::from_ymd_opt(2023, 5, 5)
                .unwrap()
                .and_hms_opt(19, 59, 48)
                .unwrap(),
            seen: 7,
            expected: 9,
        };
        assert_eq!(c.cursor().as_str(), "t:20230505195948/7/9");
        assert_eq!(TokenCursor::parse(&c.cursor()), Some(c));
        for bad in [
            "p:1",
            "t:2023/1/2",
            "t:20230505195948/1",
            "t:20230505195948/1/2/3",
            "t:20231305195948/1/2",
        ] {
            assert_eq!(TokenCursor::parse(&PageCursor::new(bad)), None, "{bad}");
        }
    }
}
