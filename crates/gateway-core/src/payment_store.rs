//! [`PaymentRequestStore`]: where a provider keeps the payment requests it issued on the app's
//! behalf when the provider itself keeps no record of them.
//!
//! A bank transfer to the merchant's own account (SePay's bank-transfer flow) is such a case: the
//! "payment request" is only a VietQR code with the amount and a payment code in the remark, and
//! the bank knows nothing of it until money arrives. The provider crate saves the request here
//! when it creates it, reads it back to compute its status, and looks it up by payment code when a
//! webhook names one.
//!
//! [`MemoryPaymentRequestStore`] keeps them in this process. Several app instances, or an app
//! that restarts while payments are open, need a shared, durable store: implement the trait over
//! the app's database (the operations are small: one atomic insert and three reads).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::{Error, ErrorContext, Page, PageCursor, PageRequest, PaymentFilter, PaymentRequest};

/// What [`PaymentRequestStore::insert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsertOutcome {
    /// The request was saved.
    Inserted,
    /// A request with the same [`PaymentRequest::reference_id`] was already saved: it is returned
    /// and nothing was written (creating a payment twice must not create two).
    ReferenceExists(Box<PaymentRequest>),
    /// Another request already has this [`PaymentRequest::id`] (a generated code collided):
    /// nothing was written; generate another id and try again.
    IdTaken,
}

/// Saves and reads the payment requests a provider issued itself.
///
/// Implementations must make [`PaymentRequestStore::insert`] atomic: two concurrent inserts with
/// the same reference id (or the same id) save exactly one request. A store that cannot be reached
/// answers [`Error::Store`], never a partial result.
#[async_trait]
pub trait PaymentRequestStore: Send + Sync + fmt::Debug {
    /// Saves `request` unless a request with the same reference id or the same id exists.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    async fn insert(&self, request: &PaymentRequest) -> Result<InsertOutcome, Error>;

    /// The request with this id, if any.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    async fn get(&self, id: &str) -> Result<Option<PaymentRequest>, Error>;

    /// The request with this reference id, if any.
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    async fn find_by_reference(&self, reference_id: &str) -> Result<Option<PaymentRequest>, Error>;

    /// One page of the requests matching `filter`, oldest first. The cursor is the store's own.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a cursor this store did not hand out; [`Error::Store`] when
    /// the store fails.
    async fn list(&self, filter: &PaymentFilter, page: PageRequest) -> Result<Page<PaymentRequest>, Error>;
}

/// Page size of [`MemoryPaymentRequestStore::list`] when the request names none.
pub const DEFAULT_STORE_PAGE_SIZE: u32 = 50;

/// A [`PaymentRequestStore`] in this process's memory: lost on restart and not shared between
/// instances. Fine for one instance and for tests.
#[derive(Default)]
pub struct MemoryPaymentRequestStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Default)]
struct MemoryInner {
    /// In insertion order; the list cursor is an index into it.
    requests: Vec<PaymentRequest>,
    by_id: HashMap<String, usize>,
    by_reference: HashMap<String, usize>,
}

impl MemoryPaymentRequestStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryInner> {
        // A panic while holding the lock cannot leave the maps half-updated (each insert pushes
        // then indexes), so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for MemoryPaymentRequestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryPaymentRequestStore")
            .field("requests", &self.lock().requests.len())
            .finish()
    }
}

#[async_trait]
impl PaymentRequestStore for MemoryPaymentRequestStore {
    async fn insert(&self, request: &PaymentRequest) -> Result<InsertOutcome, Error> {
        let mut inner = self.lock();
        if let Some(&at) = inner.by_reference.get(&request.reference_id) {
            return Ok(InsertOutcome::ReferenceExists(Box::new(inner.requests[at].clone())));
        }
        if inner.by_id.contains_key(&request.id) {
            return Ok(InsertOutcome::IdTaken);
        }
        let at = inner.requests.len();
        inner.requests.push(request.clone());
        inner.by_id.insert(request.id.clone(), at);
        inner.by_reference.insert(request.reference_id.clone(), at);
        Ok(InsertOutcome::Inserted)
    }

    async fn get(&self, id: &str) -> Result<Option<PaymentRequest>, Error> {
        let inner = self.lock();
        Ok(inner.by_id.get(id).map(|&at| inner.requests[at].clone()))
    }

    async fn find_by_reference(&self, reference_id: &str) -> Result<Option<PaymentRequest>, Error> {
        let inner = self.lock();
        Ok(inner
            .by_reference
            .get(reference_id)
            .map(|&at| inner.requests[at].clone()))
    }

    async fn list(&self, filter: &PaymentFilter, page: PageRequest) -> Result<Page<PaymentRequest>, Error> {
        let start = match &page.cursor {
            None => 0,
            Some(cursor) => cursor.as_str().parse::<usize>().map_err(|_| {
                Error::InvalidRequest(ErrorContext::new(format!(
                    "payment request store cursor {cursor:?} was not handed out by this store"
                )))
            })?,
        };
        let limit = page.limit.unwrap_or(DEFAULT_STORE_PAGE_SIZE).max(1) as usize;
        let inner = self.lock();
        let matches = |r: &PaymentRequest| filter.reference_id.as_ref().is_none_or(|want| &r.reference_id == want);
        let mut items = Vec::new();
        let mut next = None;
        for (at, request) in inner.requests.iter().enumerate().skip(start) {
            if !matches(request) {
                continue;
            }
            if items.len() == limit {
                next = Some(PageCursor::new(at.to_string()));
                break;
            }
            items.push(request.clone());
        }
        Ok(Page::new(items, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Currency, Money, PaymentStatus};

    fn request(id: &str, reference: &str) -> PaymentRequest {
        PaymentRequest::new(
            id,
            reference,
            Money::from_minor_units(1000, Currency::VND),
            PaymentStatus::Unpaid,
        )
    }

    #[tokio::test]
    async fn insert_is_idempotent_by_reference_and_refuses_a_taken_id() {
        let store = MemoryPaymentRequestStore::new();
        assert_eq!(
            store.insert(&request("A1", "order-1")).await.unwrap(),
            InsertOutcome::Inserted
        );
        assert_eq!(
            store.insert(&request("B2", "order-1")).await.unwrap(),
            InsertOutcome::ReferenceExists(Box::new(request("A1", "order-1")))
        );
        assert_eq!(
            store.insert(&request("A1", "order-2")).await.unwrap(),
            InsertOutcome::IdTaken
        );
        assert_eq!(store.get("A1").await.unwrap(), Some(request("A1", "order-1")));
        assert_eq!(store.get("B2").await.unwrap(), None);
        assert_eq!(store.find_by_reference("order-2").await.unwrap(), None);
    }

    #[tokio::test]
    async fn concurrent_inserts_of_one_reference_save_one() {
        let store = std::sync::Arc::new(MemoryPaymentRequestStore::new());
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move { store.insert(&request(&format!("ID{i}"), "same")).await.unwrap() })
            })
            .collect();
        let mut inserted = 0;
        for task in tasks {
            if task.await.unwrap() == InsertOutcome::Inserted {
                inserted += 1;
            }
        }
        assert_eq!(inserted, 1);
        let page = store
            .list(&PaymentFilter::default(), PageRequest::first())
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
    }

    #[tokio::test]
    async fn list_pages_in_insertion_order_and_filters_by_reference() {
        let store = MemoryPaymentRequestStore::new();
        for i in 0..5 {
            store
                .insert(&request(&format!("ID{i}"), &format!("ref-{i}")))
                .await
                .unwrap();
        }
        let first = store
            .list(&PaymentFilter::default(), PageRequest::first().with_limit(2))
            .await
            .unwrap();
        assert_eq!(
            first.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["ID0", "ID1"]
        );
        let mut ids = Vec::new();
        let mut page = PageRequest::first().with_limit(2);
        loop {
            let got = store.list(&PaymentFilter::default(), page.clone()).await.unwrap();
            ids.extend(got.items.into_iter().map(|r| r.id));
            match got.next {
                Some(next) => page = PageRequest::at(next).with_limit(2),
                None => break,
            }
        }
        assert_eq!(ids, ["ID0", "ID1", "ID2", "ID3", "ID4"]);
        let only = store
            .list(&PaymentFilter::reference("ref-3"), PageRequest::first())
            .await
            .unwrap();
        assert_eq!(only.items, vec![request("ID3", "ref-3")]);
        assert!(only.next.is_none());
        let bad = store
            .list(&PaymentFilter::default(), PageRequest::at(PageCursor::new("x")))
            .await;
        assert!(matches!(bad, Err(Error::InvalidRequest(_))));
    }
}
