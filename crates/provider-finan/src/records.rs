//! The five operations Finan's customer, product and invoice endpoints share (create, one page,
//! every page, get, update, delete), written once over a [`Kind`]: the collection path, the names
//! used in errors and spans, and the id check.
//!
//! Reads are retried like every `GET`; writes are sent once ([`crate::transport`]).

use futures::stream::BoxStream;
use gateway_core::{paginate, Page, PageCursor, PageRequest, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::accounts::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::paging::{self, invalid};
use crate::{FinanClient, RequestOptions};

/// One kind of record.
pub(crate) struct Kind {
    /// `["api", "v1", "customers"]`.
    pub(crate) path: [&'static str; 3],
    /// `"customer"`: names the record in client-side errors.
    pub(crate) noun: &'static str,
    /// The operation names of the `finan.request` span and of decode errors.
    pub(crate) create: &'static str,
    pub(crate) list: &'static str,
    pub(crate) get: &'static str,
    pub(crate) update: &'static str,
    pub(crate) delete: &'static str,
}

impl FinanClient {
    /// `POST`, sent once. When it fails in a way that may have reached Finan (no answer, a 5xx, an
    /// unreadable reply), `find` looks the record up by its unique code: if it exists, that record
    /// is the answer (the create went through); otherwise the original error stands. Never re-sent:
    /// the app may repeat the create, and a repeat of one that did go through is refused with
    /// [`gateway_core::Error::Conflict`] by the unique code.
    pub(crate) async fn record_create<B, T, F, Fut>(
        &self,
        kind: &Kind,
        body: &B,
        options: &RequestOptions,
        find: F,
    ) -> Result<T>
    where
        B: Serialize,
        T: DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let sent = self
            .transport()
            .post(&kind.path, body, kind.create, &options.or(&self.options))
            .await
            .and_then(|reply| reply.data());
        match sent {
            Err(err) if crate::retry::may_have_reached_finan(&err) => match find().await {
                Ok(Some(record)) => {
                    tracing::debug!(provider = "finan", operation = kind.create, error = %err, "create failed without a usable answer; found the record by its code");
                    Ok(record)
                }
                Ok(None) => Err(err),
                Err(lookup) => Err(crate::retry::with_note(
                    err,
                    &format!("looking the {} up afterwards failed too ({lookup})", kind.noun),
                )),
            },
            other => other,
        }
    }

    pub(crate) async fn record_page<T: DeserializeOwned>(
        &self,
        kind: &Kind,
        page: u32,
        page_size: u32,
        options: &RequestOptions,
    ) -> Result<Page<T>> {
        paging::check_page(page, page_size)?;
        let (page_text, size_text) = (page.to_string(), page_size.to_string());
        let query = [("page", page_text.as_str()), ("page_size", size_text.as_str())];
        let reply = self
            .transport()
            .get_with(&kind.path, &query, kind.list, &options.or(&self.options))
            .await?;
        let items: Option<Vec<T>> = reply.data()?;
        let items = items.unwrap_or_default();
        let (next, total) = paging::next_and_total(reply.meta, page, page_size, items.len());
        Ok(Page::new(items, next.map(|n| PageCursor::new(n.to_string()))).with_total(total))
    }

    /// Every record, one page of [`MAX_PAGE_SIZE`] after another (the cursor is the page number).
    pub(crate) fn record_stream<'a, T: DeserializeOwned + Send + 'a>(
        &'a self,
        kind: &'static Kind,
    ) -> BoxStream<'a, Result<T>> {
        paginate(
            PageRequest::first().with_limit(MAX_PAGE_SIZE),
            move |request| async move {
                let number = page_number(kind, request.cursor.as_ref())?;
                let size = request.limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
                self.record_page(kind, number, size, &RequestOptions::default()).await
            },
        )
    }

    /// The first record `matches` accepts, reading page after page; `None` after the last page.
    pub(crate) async fn record_find<T: DeserializeOwned + Send>(
        &self,
        kind: &'static Kind,
        matches: impl Fn(&T) -> bool,
    ) -> Result<Option<T>> {
        use futures::TryStreamExt;
        let mut records = self.record_stream::<T>(kind);
        while let Some(record) = records.try_next().await? {
            if matches(&record) {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    pub(crate) async fn record_get<T: DeserializeOwned>(
        &self,
        kind: &Kind,
        id: &str,
        options: &RequestOptions,
    ) -> Result<T> {
        let segments = item_segments(kind, id)?;
        let reply = self
            .transport()
            .get_with(&segments, &[], kind.get, &options.or(&self.options))
            .await?;
        reply.data()
    }

    /// `PUT`, then the record as answered; when the answer has no `data`, the record read back.
    pub(crate) async fn record_update<B: Serialize, T: DeserializeOwned>(
        &self,
        kind: &Kind,
        id: &str,
        body: &B,
        options: &RequestOptions,
    ) -> Result<T> {
        let segments = item_segments(kind, id)?;
        let reply = self
            .transport()
            .put_with(&segments, body, kind.update, &options.or(&self.options))
            .await?;
        match reply.data::<Option<T>>()? {
            Some(record) => Ok(record),
            None => self.record_get(kind, id, options).await,
        }
    }

    pub(crate) async fn record_delete(&self, kind: &Kind, id: &str, options: &RequestOptions) -> Result<()> {
        let segments = item_segments(kind, id)?;
        self.transport()
            .delete_with(&segments, kind.delete, &options.or(&self.options))
            .await?;
        Ok(())
    }
}

/// The path of record `id` (checked first): `["api", "v1", "customers", id]`.
fn item_segments<'a>(kind: &Kind, id: &'a str) -> Result<[&'a str; 4]> {
    check_id(kind, id)?;
    Ok([kind.path[0], kind.path[1], kind.path[2], id])
}

fn check_id(kind: &Kind, id: &str) -> Result<()> {
    // "." and ".." would be dropped from the URL path and turn the call into the list endpoint.
    if id.trim().is_empty() || id == "." || id == ".." {
        return Err(invalid(format!("invalid Finan {} id {id:?}", kind.noun)));
    }
    Ok(())
}

fn page_number(kind: &Kind, cursor: Option<&PageCursor>) -> Result<u32> {
    paging::page_number(kind.noun, cursor)
}
