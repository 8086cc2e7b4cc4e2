//! Payout endpoints (Open Banking → Payout, <https://open.finan.one/docs/api/open-banking/payout>)
//! and the [`PayoutProvider`] implementation over them:
//!
//! - `POST /api/v1/payouts`: [`FinanClient::create_payout_with`] (and
//!   [`PayoutProvider::create_payout`]); Finan then sends an OTP to the account holder;
//! - `POST /api/v1/payouts/:id/otps`: [`FinanClient::confirm_payout_with`] (and
//!   [`PayoutProvider::confirm_payout`]);
//! - `GET /api/v1/payouts/:id`: [`FinanClient::get_payout_with`] (and [`PayoutProvider::get_payout`]);
//! - `GET /api/v1/payouts?page=&page_size=[&reference_id=]`: [`FinanClient::list_payouts_page`],
//!   [`FinanClient::stream_payouts_with`] (and [`PayoutProvider::list_payouts`] /
//!   [`PayoutProvider::stream_payouts`]).
//!
//! Amounts are [`gateway_core::Money`] in VND, sent as an integer number of đồng.
//!
//! # Access
//! Finan's payouts are for Enterprise accounts only, from a whitelisted server IP (set in
//! book.finan.one → Settings → Open API → Whitelist IP). A refusal (HTTP 403) is
//! [`Error::Forbidden`] whose message names the cause: "IP not whitelisted" or "Enterprise account
//! required" when Finan's message says which, and both possible causes otherwise, followed by
//! Finan's own message.
//!
//! # Beneficiary banks
//! `beneficiary_bank_id` is Finan's own bank code (the docs' example is `"161"`), listed on Finan's
//! "Code Reference" page; it is not the NAPAS BIN that [`gateway_core::Bank`] carries. This crate
//! takes the code exactly as the app gives it ([`gateway_core::Beneficiary::bank_id`]) and offers
//! no mapping from [`gateway_core::Bank`]: the Code Reference's bank table could not be retrieved
//! when this was written (only the Payout and Account pages, which name no code but `"161"`), and
//! a guessed code would send money to the wrong bank. Read the codes from Finan's Code Reference.

use async_trait::async_trait;
use futures::stream::BoxStream;
use gateway_core::page::paginate;
use gateway_core::{
    CreatePayout, Error, ErrorContext, Page, PageCursor, PageRequest, Payout, PayoutFilter, PayoutProvider,
    PayoutStatus, Result,
};
use secrecy::{ExposeSecret, SecretString};

use crate::accounts::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::paging::{self, invalid, query_of};
use crate::payout_wire as wire;
use crate::retry::{may_have_reached_finan, may_still_be_in_flight, with_note};
use crate::{payout_mapping, FinanClient, RequestOptions};

const PAYOUTS: [&str; 3] = ["api", "v1", "payouts"];

/// How many pages of 100 payouts a reference look-up reads at most (see
/// [`FinanClient::create_payout_with`]).
pub const MAX_LOOKUP_PAGES: u32 = 10;

/// The start of the message of the [`Error::InvalidRequest`] Finan's "insufficient balance" refusal
/// (HTTP 422) becomes; [`is_insufficient_balance`] tests for it.
pub const INSUFFICIENT_BALANCE: &str = "insufficient balance";

/// True when `err` is Finan's refusal of a payout for lack of funds in the source account
/// (HTTP 422 whose message speaks of the balance), as [`FinanClient::create_payout_with`] and
/// [`FinanClient::confirm_payout_with`] return it.
pub fn is_insufficient_balance(err: &Error) -> bool {
    matches!(err, Error::InvalidRequest(ctx) if ctx.status == Some(422) && ctx.message.starts_with(INSUFFICIENT_BALANCE))
}

/// What looking a reference up found.
enum Lookup {
    /// A payout for the reference with the same amount and beneficiary.
    Found(wire::Payout),
    /// Payouts for the reference, none the same as asked (the first one).
    Different(wire::Payout),
    /// None for the reference.
    None,
}

impl FinanClient {
    /// Creates a payout (`POST /api/v1/payouts`); Finan answers with its id and sends an OTP to
    /// the account holder, to be given to [`Self::confirm_payout_with`].
    ///
    /// The request is checked first and nothing is sent when it fails (see
    /// [`payout_mapping::create_payout_request`]: required fields, description at most 30
    /// characters, amount a positive whole number of VND). The returned [`Payout`] has status
    /// [`PayoutStatus::AwaitingOtp`] unless Finan says otherwise.
    ///
    /// # Never sent twice
    /// The [`CreatePayout::reference_id`] guards the payout:
    ///
    /// 1. **Before the POST** the reference is looked up (`GET /api/v1/payouts?page=1&
    ///    page_size=100&reference_id=…`, more pages while Finan announces them, at most
    ///    [`MAX_LOOKUP_PAGES`]; items with another reference id are skipped, in case Finan ignores
    ///    the filter). A payout for it with the same amount and beneficiary is returned as it
    ///    stands and nothing is POSTed; one that differs is [`Error::Conflict`]. When the look-up
    ///    fails, its error is returned and nothing is sent.
    /// 2. **When the POST fails in a way where it may have reached Finan** (a timeout, a
    ///    connection broken after sending, a 5xx, an unreadable reply), it is not re-sent: the
    ///    reference is looked up again and an existing payout is returned (or
    ///    [`Error::Conflict`]). When the look-up finds nothing, the POST's error is returned with
    ///    a note, and nothing is sent again: the look-up relies on Finan listing payouts by
    ///    reference id, and money must not leave twice on the strength of it. The app retries by
    ///    creating again (which looks the reference up first). When the look-up fails, the
    ///    POST's error is returned with a note that the payout may exist.
    /// 3. **A 409** (another create for the reference raced past layer 1) is resolved by a
    ///    look-up the same way, else returned as is.
    ///
    /// Cost: one GET before every create. If Finan ignores the `reference_id` filter and holds
    /// more than 1,000 payouts, the look-up cannot prove a reference unused and the create fails
    /// with [`Error::Provider`] rather than risk paying twice.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`]: fails the checks (nothing sent), refused by Finan (400, 422), or
    /// insufficient balance (422, [`is_insufficient_balance`]); [`Error::Forbidden`] (403: not an
    /// Enterprise account, or IP not whitelisted; the message says which); [`Error::NotFound`]
    /// (404: unknown `account_id`); [`Error::Conflict`] as above; [`Error::Unauthorized`],
    /// [`Error::RateLimited`], [`Error::Provider`], [`Error::Transport`], [`Error::Decode`].
    pub async fn create_payout_with(&self, request: &CreatePayout, options: &RequestOptions) -> Result<Payout> {
        let body = payout_mapping::create_payout_request(request)?;
        let options = options.or(&self.options);
        match self.look_up_payout(&body, &options).await? {
            Lookup::Found(existing) => return payout_mapping::payout(existing),
            Lookup::Different(existing) => return Err(different(&body, &existing)),
            Lookup::None => {}
        }
        let first = match self.post_payout(&body, &options).await {
            Ok(created) => return Ok(created),
            Err(e) if may_have_reached_finan(&e) => e,
            Err(conflict @ Error::Conflict(_)) => {
                return match self.look_up_payout(&body, &options).await {
                    Ok(Lookup::Found(existing)) => payout_mapping::payout(existing),
                    Ok(Lookup::Different(existing)) => Err(different(&body, &existing)),
                    Ok(Lookup::None) | Err(_) => Err(conflict),
                };
            }
            Err(e) => return Err(e),
        };
        tracing::warn!(
            error = first.kind(),
            "Finan create payout: outcome unknown; looking the reference up before anything else"
        );
        match self.look_up_payout(&body, &options).await {
            Ok(Lookup::Found(existing)) => payout_mapping::payout(existing),
            Ok(Lookup::Different(existing)) => Err(different(&body, &existing)),
            // Money leaves with a payout: it is never sent again on the strength of a look-up alone
            // (the look-up relies on Finan listing by reference_id). The app decides, and its next
            // create looks the reference up first.
            Ok(Lookup::None) if may_still_be_in_flight(&first) => Err(with_note(
                first,
                &format!(
                    "Finan may still be creating the payout for reference_id {:?}; create it again later \
                     (the create looks the reference up first)",
                    body.reference_id
                ),
            )),
            Ok(Lookup::None) => Err(with_note(
                first,
                &format!(
                    "no payout for reference_id {:?} was found afterwards; it was not sent again \
                     (create it again to retry: the create looks the reference up first)",
                    body.reference_id
                ),
            )),
            Err(lookup) => Err(with_note(
                first,
                &format!(
                    "the payout may have been created at Finan, and looking reference_id {:?} up failed ({lookup}); \
                     look it up before creating it again",
                    body.reference_id
                ),
            )),
        }
    }

    /// Confirms payout `id` with the `otp` the account holder received
    /// (`POST /api/v1/payouts/:id/otps`, body `{"otp": "…"}`), and returns the payout as Finan
    /// then reports it (from the reply, or a `GET /api/v1/payouts/:id` when the reply has no
    /// payout). The OTP is exposed only to serialize the body; it appears in no log, error or
    /// `Debug` output.
    ///
    /// Never re-sent: an OTP may be single-use and a wrong attempt may count against a limit. When
    /// the POST fails in a way where it may have reached Finan (a timeout, a 5xx), the payout is
    /// read instead: if it has left [`PayoutStatus::AwaitingOtp`], the OTP was taken and that
    /// payout is returned; otherwise the POST's error is returned with a note to read the payout
    /// before confirming again.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for a blank id or OTP; a wrong or
    /// expired OTP or a payout not waiting for one (400, 422: "Finan refused the OTP …"),
    /// insufficient balance (422, [`is_insufficient_balance`]); [`Error::NotFound`] (404);
    /// [`Error::Forbidden`] as for create; otherwise any [`Error`].
    pub async fn confirm_payout_with(&self, id: &str, otp: &SecretString, options: &RequestOptions) -> Result<Payout> {
        check_id(id)?;
        if otp.expose_secret().trim().is_empty() {
            return Err(invalid("Finan payout OTP is empty"));
        }
        let options = options.or(&self.options);
        let segments = [PAYOUTS[0], PAYOUTS[1], PAYOUTS[2], id, "otps"];
        let body = wire::VerifyOtpRequest::new(otp.clone());
        match self
            .transport()
            .post(&segments, &body, "confirm payout", &options)
            .await
        {
            Ok(reply) => match reply.data::<Option<wire::Payout>>() {
                Ok(Some(item)) if item.amount.is_some() => payout_mapping::payout(item).map_err(|e| reply.annotate(e)),
                // A reply without the payout (or with only part of it): read it.
                _ => self.get_payout_with(id, &options).await,
            },
            Err(e) if may_have_reached_finan(&e) => match self.get_payout_with(id, &options).await {
                // Only a status known to follow the OTP counts: an unknown or missing one is not
                // proof the OTP was taken.
                Ok(payout)
                    if matches!(
                        payout.status,
                        PayoutStatus::Processing | PayoutStatus::Succeeded | PayoutStatus::Failed
                    ) =>
                {
                    Ok(payout)
                }
                Ok(_) => Err(with_note(
                    explain(e),
                    &format!("payout {id} still waits for its OTP; read it again before confirming again"),
                )),
                Err(lookup) => Err(with_note(
                    explain(e),
                    &format!("the OTP may have been accepted, and reading payout {id} failed ({lookup}); read it before confirming again"),
                )),
            },
            Err(e) => match explain(e) {
                Error::InvalidRequest(mut ctx) if !ctx.message.starts_with(INSUFFICIENT_BALANCE) => {
                    // Finan's message is shown, but never the OTP should it echo it.
                    let message = ctx.message.replace(otp.expose_secret().trim(), "[OTP]");
                    ctx.message = format!("Finan refused the OTP for payout {id}: {message}");
                    Err(Error::InvalidRequest(ctx))
                }
                other => Err(other),
            },
        }
    }

    /// One payout by Finan's id (`GET /api/v1/payouts/:id`, the id percent-encoded as one path
    /// segment), read under the client's retry policy (or `options`').
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for a blank id (or `.`/`..`);
    /// [`Error::NotFound`] (404); [`Error::Forbidden`] as for create; [`Error::Decode`] for a
    /// payout without an amount or not in VND; otherwise any [`Error`].
    pub async fn get_payout_with(&self, id: &str, options: &RequestOptions) -> Result<Payout> {
        check_id(id)?;
        let segments = [PAYOUTS[0], PAYOUTS[1], PAYOUTS[2], id];
        let reply = self
            .transport()
            .get_with(&segments, &[], "payout", &options.or(&self.options))
            .await
            .map_err(explain)?;
        let item: wire::Payout = reply.data()?;
        payout_mapping::payout(item).map_err(|e| reply.annotate(e))
    }

    /// One page of payouts (`GET /api/v1/payouts?page=&page_size=`, plus `reference_id` when the
    /// filter has one). `page` counts from 1; `page_size` is 1 to [`MAX_PAGE_SIZE`] (100).
    /// [`Page::next`] holds the next page number as text while `meta.page < meta.total_pages`;
    /// [`Page::total`] is `meta.total_rows`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without sending anything for page 0 or a page size outside
    /// 1..=100; otherwise as [`Self::get_payout_with`].
    pub async fn list_payouts_page(&self, page: u32, page_size: u32, filter: &PayoutFilter) -> Result<Page<Payout>> {
        self.list_payouts_page_with(page, page_size, filter, &RequestOptions::default())
            .await
    }

    /// [`Self::list_payouts_page`] with per-call [`RequestOptions`] (timeout, retry policy).
    ///
    /// # Errors
    /// As [`Self::list_payouts_page`].
    pub async fn list_payouts_page_with(
        &self,
        page: u32,
        page_size: u32,
        filter: &PayoutFilter,
        options: &RequestOptions,
    ) -> Result<Page<Payout>> {
        let (items, next, total) = self
            .list_payout_page(
                page,
                page_size,
                filter.reference_id.as_deref(),
                &options.or(&self.options),
            )
            .await?;
        let items = items
            .into_iter()
            .map(payout_mapping::payout)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::new(items, next.map(|n| PageCursor::new(n.to_string()))).with_total(total))
    }

    /// Every payout matching `filter`, in pages of 100, as a stream under `options` (ending with
    /// one error item when a page fails).
    pub fn stream_payouts_with<'a>(
        &'a self,
        filter: &'a PayoutFilter,
        options: &'a RequestOptions,
    ) -> BoxStream<'a, Result<Payout>> {
        paginate(PageRequest::first().with_limit(MAX_PAGE_SIZE), move |page| async move {
            let number = page_number(&page)?;
            let size = page.limit.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
            self.list_payouts_page_with(number, size, filter, options).await
        })
    }

    async fn list_payout_page(
        &self,
        page: u32,
        page_size: u32,
        reference_id: Option<&str>,
        options: &RequestOptions,
    ) -> Result<(Vec<wire::Payout>, Option<u64>, Option<u64>)> {
        paging::check_page(page, page_size)?;
        let (page_text, size_text) = (page.to_string(), page_size.to_string());
        let query = query_of(&[
            ("page", Some(page_text.as_str())),
            ("page_size", Some(size_text.as_str())),
            ("reference_id", reference_id),
        ]);
        let reply = self
            .transport()
            .get_with(&PAYOUTS, &query, "payout list", options)
            .await
            .map_err(explain)?;
        let items: Option<Vec<wire::Payout>> = reply.data()?;
        let items = items.unwrap_or_default();
        let (next, total) = paging::next_and_total(reply.meta, page, page_size, items.len());
        Ok((items, next, total))
    }

    /// One POST, never retried here.
    async fn post_payout(&self, body: &wire::CreatePayoutRequest, options: &RequestOptions) -> Result<Payout> {
        let reply = self
            .transport()
            .post(&PAYOUTS, body, "create payout", options)
            .await
            .map_err(explain)?;
        let data: wire::CreatedPayout = reply.data()?;
        Ok(payout_mapping::created_payout(data, body))
    }

    /// The payouts Finan lists for `body`'s reference, page after page (at most
    /// [`MAX_LOOKUP_PAGES`]).
    async fn look_up_payout(&self, body: &wire::CreatePayoutRequest, options: &RequestOptions) -> Result<Lookup> {
        let mut different = None;
        let mut page = 1;
        loop {
            let (items, next, _) = self
                .list_payout_page(page, MAX_PAGE_SIZE, Some(&body.reference_id), options)
                .await?;
            for item in items {
                // An item without our reference id is not ours: Finan may have ignored the filter.
                if item.reference_id.as_deref() != Some(body.reference_id.as_str()) {
                    continue;
                }
                if same_payout(&item, body) {
                    return Ok(Lookup::Found(item));
                }
                different.get_or_insert(item);
            }
            // Pages are counted here: a server announcing endless pages cannot stall a create.
            match next {
                None => break,
                Some(_) if page >= MAX_LOOKUP_PAGES => {
                    return Err(Error::Provider(ErrorContext::new(format!(
                        "could not look reference_id {:?} up: more than {MAX_LOOKUP_PAGES} pages of payouts; \
                         nothing was sent",
                        body.reference_id
                    ))))
                }
                Some(_) => page += 1,
            }
        }
        Ok(different.map_or(Lookup::None, Lookup::Different))
    }
}

#[async_trait]
impl PayoutProvider for FinanClient {
    /// [`FinanClient::create_payout_with`] with the client's options (`POST /api/v1/payouts`),
    /// including its look-ups that keep a reference id from being paid out twice.
    ///
    /// # Errors
    /// As [`FinanClient::create_payout_with`].
    async fn create_payout(&self, request: &CreatePayout) -> Result<Payout> {
        self.create_payout_with(request, &RequestOptions::default()).await
    }

    /// [`FinanClient::confirm_payout_with`] with the client's options
    /// (`POST /api/v1/payouts/:id/otps`); never re-sent.
    ///
    /// # Errors
    /// As [`FinanClient::confirm_payout_with`].
    async fn confirm_payout(&self, id: &str, otp: &SecretString) -> Result<Payout> {
        self.confirm_payout_with(id, otp, &RequestOptions::default()).await
    }

    /// [`FinanClient::get_payout_with`] with the client's options (`GET /api/v1/payouts/:id`).
    ///
    /// # Errors
    /// As [`FinanClient::get_payout_with`].
    async fn get_payout(&self, id: &str) -> Result<Payout> {
        self.get_payout_with(id, &RequestOptions::default()).await
    }

    /// One page ([`FinanClient::list_payouts_page`]): cursor `None` is page 1, cursor `"N"` (as
    /// handed back in [`Page::next`]) page N; the page size is [`PageRequest::limit`] (default 50,
    /// at most 100).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a cursor this client did not hand out; otherwise as
    /// [`FinanClient::list_payouts_page`].
    async fn list_payouts(&self, filter: &PayoutFilter, page: PageRequest) -> Result<Page<Payout>> {
        let number = page_number(&page)?;
        let size = page.limit.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
        self.list_payouts_page(number, size, filter).await
    }
}

/// The page number a cursor stands for: none is page 1, `"N"` is page N.
fn page_number(page: &PageRequest) -> Result<u32> {
    crate::paging::page_number("payout", page.cursor.as_ref())
}

fn check_id(id: &str) -> Result<()> {
    // "." and ".." would be dropped from the URL path and turn the call into another endpoint.
    if id.trim().is_empty() || id == "." || id == ".." {
        return Err(invalid(format!("invalid Finan payout id {id:?}")));
    }
    Ok(())
}

/// Same amount and beneficiary, as far as the listed item tells (a field Finan leaves out is no
/// evidence of a difference).
fn same_payout(item: &wire::Payout, body: &wire::CreatePayoutRequest) -> bool {
    item.amount.is_none_or(|a| a == body.amount)
        && item
            .account_id
            .as_deref()
            .is_none_or(|a| a.trim().eq_ignore_ascii_case(body.account_id.trim()))
        && item
            .beneficiary_account_number
            .as_deref()
            .is_none_or(|n| n.trim() == body.beneficiary_account_number)
        && item
            .beneficiary_bank_id
            .as_deref()
            .is_none_or(|b| b.trim() == body.beneficiary_bank_id)
}

/// The error for a reference id that already has a different payout.
fn different(body: &wire::CreatePayoutRequest, existing: &wire::Payout) -> Error {
    Error::Conflict(ErrorContext::new(format!(
        "reference_id {:?} already has Finan payout {} ({} VND to account {} at bank {}), not {} VND to account {} at bank {}",
        body.reference_id,
        existing.id,
        existing.amount.map_or_else(|| "?".into(), |a| a.to_string()),
        existing.beneficiary_account_number.as_deref().unwrap_or("?"),
        existing.beneficiary_bank_id.as_deref().unwrap_or("?"),
        body.amount,
        body.beneficiary_account_number,
        body.beneficiary_bank_id,
    )))
}

/// Names the cause of a 403 and of a 422 for lack of funds; other errors are returned unchanged.
fn explain(err: Error) -> Error {
    match err {
        Error::Forbidden(mut ctx) => {
            let finan = ctx.message.clone();
            let words: Vec<String> = finan
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .collect();
            let ip = words.iter().any(|w| w == "ip" || w.contains("whitelist"));
            let enterprise = words.iter().any(|w| w.contains("enterprise"));
            ctx.message = match (ip, enterprise) {
                (true, false) => format!(
                    "IP not whitelisted for Finan payouts (add this server's IP in Finan's Open API settings): {finan}"
                ),
                (false, true) => format!("Enterprise account required for Finan payouts: {finan}"),
                _ => format!(
                    "Finan refused the payout call: {finan} (payouts need an Enterprise account and a whitelisted server IP)"
                ),
            };
            Error::Forbidden(ctx)
        }
        Error::InvalidRequest(mut ctx) if ctx.status == Some(422) && is_balance_message(&ctx.message) => {
            ctx.message = format!("{INSUFFICIENT_BALANCE} in the payout's source account: {}", ctx.message);
            Error::InvalidRequest(ctx)
        }
        other => other,
    }
}

/// Finan's message speaks of the balance (English or Vietnamese "số dư", "không đủ").
fn is_balance_message(message: &str) -> bool {
    let lower = message.to_lowercase();
    ["insufficient", "balance", "số dư", "không đủ"]
        .iter()
        .any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forbidden(message: &str) -> String {
        match explain(Error::Forbidden(ErrorContext::new(message).with_status(403))) {
            Error::Forbidden(ctx) => ctx.message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn forbidden_names_the_cause() {
        let ip = forbidden("IP 203.0.113.7 is not whitelisted");
        assert!(ip.starts_with("IP not whitelisted"), "{ip}");
        assert!(ip.contains("203.0.113.7"), "Finan's message is kept: {ip}");
        let enterprise = forbidden("Payout API is available for Enterprise accounts only");
        assert!(enterprise.starts_with("Enterprise account required"), "{enterprise}");
        // "recipient" contains "ip" but is not about IPs.
        let unknown = forbidden("Forbidden recipient");
        assert!(
            unknown.contains("Enterprise account and a whitelisted server IP"),
            "{unknown}"
        );
    }

    #[test]
    fn insufficient_balance_is_named_and_detected() {
        let err = explain(Error::InvalidRequest(
            ErrorContext::new("Số dư không đủ").with_status(422),
        ));
        assert!(is_insufficient_balance(&err), "{err}");
        let other = explain(Error::InvalidRequest(
            ErrorContext::new("description too long").with_status(422),
        ));
        assert!(!is_insufficient_balance(&other));
        let bad_request = explain(Error::InvalidRequest(
            ErrorContext::new("Insufficient balance").with_status(400),
        ));
        assert!(!is_insufficient_balance(&bad_request), "only a 422");
    }

    #[test]
    fn cursors() {
        assert_eq!(page_number(&PageRequest::first()).unwrap(), 1);
        assert_eq!(page_number(&PageRequest::at(PageCursor::new("3"))).unwrap(), 3);
        assert!(page_number(&PageRequest::at(PageCursor::new("0"))).is_err());
        assert!(page_number(&PageRequest::at(PageCursor::new("x"))).is_err());
    }
}
