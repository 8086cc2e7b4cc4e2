//! Finan's page-numbered lists (`?page=&page_size=`, answered with `meta`), shared by the bank
//! account list and the payment request list: page checks, query building and the next page.

use gateway_core::{Error, ErrorContext, Result};

use crate::accounts::MAX_PAGE_SIZE;
use crate::wire::Meta;

/// Refuses page 0 and a page size outside 1..=[`MAX_PAGE_SIZE`] (Finan's pages count from 1).
pub(crate) fn check_page(page: u32, page_size: u32) -> Result<()> {
    if page == 0 {
        return Err(invalid("page counts from 1"));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(invalid(format!(
            "page_size must be 1 to {MAX_PAGE_SIZE}, not {page_size}"
        )));
    }
    Ok(())
}

/// The next page number and the total number of rows of the page `page` (asked with
/// `page_size`, `returned` items received).
///
/// With `meta`: `meta.page + 1` while `meta.page < meta.total_pages`, total `meta.total_rows`.
/// Without `meta`: a full page is taken to mean there may be another; the total is unknown.
pub(crate) fn next_and_total(
    meta: Option<Meta>,
    page: u32,
    page_size: u32,
    returned: usize,
) -> (Option<u64>, Option<u64>) {
    match meta {
        Some(meta) => (
            (meta.page < meta.total_pages).then(|| meta.page + 1),
            Some(meta.total_rows),
        ),
        None => ((returned >= page_size as usize).then(|| u64::from(page) + 1), None),
    }
}

/// The pairs whose value is set and not blank, in the given order.
pub(crate) fn query_of<'a>(pairs: &[(&'a str, Option<&'a str>)]) -> Vec<(&'a str, &'a str)> {
    pairs
        .iter()
        .filter_map(|(k, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (*k, v)))
        .collect()
}

/// An [`Error::InvalidRequest`] raised before sending anything.
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(ErrorContext::new(message))
}

/// The page number a cursor stands for: none is page 1, `"N"` is page N (N >= 1).
///
/// # Errors
/// [`gateway_core::Error::InvalidRequest`] naming `what` (e.g. "payout") for any other cursor.
pub(crate) fn page_number(what: &str, cursor: Option<&gateway_core::PageCursor>) -> gateway_core::Result<u32> {
    match cursor {
        None => Ok(1),
        Some(cursor) => cursor
            .as_str()
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| invalid(format!("unknown Finan {what} cursor {:?}", cursor.as_str()))),
    }
}
