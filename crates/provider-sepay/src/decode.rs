//! SePay's replies decoded without HTTP: what the client does with a reply once it has arrived
//! (status and envelope checks, the wire models, the mapping to core types), as one pure function
//! of the status, content type and body.
//!
//! [`decode_reply`] is for tests and fuzzing of what a server (or a proxy in front of it) may
//! send; the client's own calls go through the same steps (the API-token, OAuth and Order API
//! checks are the functions they call). Paging, retries and token refreshes are not part of it.
//!
//! ```
//! use provider_sepay::decode::{decode_reply, Decoded, Endpoint};
//!
//! let body = br#"{"status":200,"error":null,"messages":{"success":true},"count_bankaccounts":"9"}"#;
//! let count = decode_reply(Endpoint::UserApiBankAccountCount, 200, Some("application/json"), body)?;
//! assert!(matches!(count, Decoded::Count(9)));
//!
//! // SePay's legacy answer to a refused API token: HTTP 200 with an empty body.
//! let refused = decode_reply(Endpoint::UserApiBankAccounts, 200, Some("text/html"), b"");
//! assert!(matches!(refused, Err(gateway_core::Error::Unauthorized(_))));
//! # Ok::<(), gateway_core::Error>(())
//! ```

use gateway_core::{Bank, BankAccount, Error, ErrorContext};
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{error_for_status, Api, BANK_ACCOUNT_SCOPE, TRANSACTION_SCOPE};
use crate::mapping::sub_account;
use crate::oauth_api::decode_oauth;
use crate::order_wire::{Order, OrderActionReply, OrderList};
use crate::transactions_wire::{
    UserApiTransactionCount, UserApiTransactionDetails, UserApiTransactionList, WireTransaction,
};
use crate::transport::Reply;
use crate::wire::{
    OAuthAccount, OAuthList, OAuthOne, OAuthSubAccount, UserApiAccount, UserApiCount, UserApiDetails, UserApiHead,
    UserApiList,
};
use crate::SepayTransaction;

/// The endpoint a reply answers, which decides how [`decode_reply`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /userapi/bankaccounts/list` (API token).
    UserApiBankAccounts,
    /// `GET /userapi/bankaccounts/details/{id}`.
    UserApiBankAccount,
    /// `GET /userapi/bankaccounts/count`.
    UserApiBankAccountCount,
    /// `GET /userapi/transactions/list`.
    UserApiTransactions,
    /// `GET /userapi/transactions/details/{id}`.
    UserApiTransaction,
    /// `GET /userapi/transactions/count`.
    UserApiTransactionCount,
    /// `GET /api/v1/bank-accounts` (OAuth).
    OAuthBankAccounts,
    /// `GET /api/v1/bank-accounts/{id}`.
    OAuthBankAccount,
    /// `GET /api/v1/bank-accounts/{id}/sub-accounts` (mapped under a Vietcombank parent).
    OAuthSubAccounts,
    /// `GET /api/v1/transactions`.
    OAuthTransactions,
    /// `GET /api/v1/transactions/{id}`.
    OAuthTransaction,
    /// `GET {order api}/order` (payment gateway, Basic auth).
    OrderList,
    /// `GET {order api}/order/detail/{id}`.
    OrderDetail,
    /// `POST {order api}/order/cancel` or `order/voidTransaction`.
    OrderAction,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 14] = [
        Endpoint::UserApiBankAccounts,
        Endpoint::UserApiBankAccount,
        Endpoint::UserApiBankAccountCount,
        Endpoint::UserApiTransactions,
        Endpoint::UserApiTransaction,
        Endpoint::UserApiTransactionCount,
        Endpoint::OAuthBankAccounts,
        Endpoint::OAuthBankAccount,
        Endpoint::OAuthSubAccounts,
        Endpoint::OAuthTransactions,
        Endpoint::OAuthTransaction,
        Endpoint::OrderList,
        Endpoint::OrderDetail,
        Endpoint::OrderAction,
    ];
}

/// What a reply decoded to, per [`Endpoint`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Decoded {
    /// A list of bank accounts (or sub-accounts).
    BankAccounts(Vec<BankAccount>),
    /// One bank account.
    BankAccount(BankAccount),
    /// A count.
    Count(u64),
    /// A list of transactions.
    Transactions(Vec<SepayTransaction>),
    /// One transaction.
    Transaction(SepayTransaction),
    /// A page of orders.
    Orders(Vec<Order>),
    /// One order.
    Order(Order),
    /// The reply of a cancel or void.
    OrderAction(OrderActionReply),
}

/// Decodes one reply of `endpoint` as the client does: HTTP `status`, `content_type` (the header
/// value, if any) and the raw `body`.
///
/// # Errors
/// The errors the client's call returns for that reply: [`Error::Unauthorized`],
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::RateLimited`], [`Error::InvalidRequest`],
/// [`Error::Conflict`], [`Error::Provider`] by status or envelope, [`Error::Decode`] for a body not in
/// the documented shape (or a status that is not a valid HTTP status).
pub fn decode_reply(
    endpoint: Endpoint,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Decoded, Error> {
    let status = StatusCode::from_u16(status)
        .map_err(|_| Error::decode("SePay reply", format!("{status} is not an HTTP status")))?;
    let mut headers = HeaderMap::new();
    if let Some(value) = content_type.and_then(|ct| HeaderValue::from_str(ct).ok()) {
        headers.insert(CONTENT_TYPE, value);
    }
    let reply = Reply {
        status,
        headers,
        body: body.to_vec(),
        request_id: None,
    };
    let not_found = |what: &str| Error::NotFound(ErrorContext::new(format!("SePay has no {what}")).with_status(200));
    Ok(match endpoint {
        Endpoint::UserApiBankAccounts => {
            let list: UserApiList = userapi(&reply, "SePay bank account list")?;
            Decoded::BankAccounts(
                list.bankaccounts
                    .into_iter()
                    .map(BankAccount::try_from)
                    .collect::<Result<_, _>>()?,
            )
        }
        Endpoint::UserApiBankAccount => {
            let details: UserApiDetails = userapi(&reply, "SePay bank account details")?;
            let account: UserApiAccount = details.bankaccount.ok_or_else(|| not_found("such bank account"))?;
            Decoded::BankAccount(BankAccount::try_from(account)?)
        }
        Endpoint::UserApiBankAccountCount => {
            Decoded::Count(userapi::<UserApiCount>(&reply, "SePay bank account count")?.count_bankaccounts)
        }
        Endpoint::UserApiTransactions => {
            let list: UserApiTransactionList = userapi(&reply, "SePay transaction list")?;
            Decoded::Transactions(transactions(list.transactions)?)
        }
        Endpoint::UserApiTransaction => {
            let details: UserApiTransactionDetails = userapi(&reply, "SePay transaction details")?;
            let wire = details.transaction.ok_or_else(|| not_found("such transaction"))?;
            Decoded::Transaction(SepayTransaction::try_from(wire)?)
        }
        Endpoint::UserApiTransactionCount => {
            Decoded::Count(userapi::<UserApiTransactionCount>(&reply, "SePay transaction count")?.count_transactions)
        }
        Endpoint::OAuthBankAccounts => {
            let list: OAuthList<OAuthAccount> = decode_oauth(reply, "SePay bank account list", BANK_ACCOUNT_SCOPE)?;
            Decoded::BankAccounts(
                list.data
                    .into_iter()
                    .map(BankAccount::try_from)
                    .collect::<Result<_, _>>()?,
            )
        }
        Endpoint::OAuthBankAccount => {
            let one: OAuthOne<OAuthAccount> = decode_oauth(reply, "SePay bank account", BANK_ACCOUNT_SCOPE)?;
            Decoded::BankAccount(BankAccount::try_from(one.data)?)
        }
        Endpoint::OAuthSubAccounts => {
            let list: OAuthList<OAuthSubAccount> = decode_oauth(reply, "SePay sub-account list", BANK_ACCOUNT_SCOPE)?;
            let parent = Bank::from_code("VCB").unwrap_or_else(|| Bank::from_provider_code("VCB"));
            Decoded::BankAccounts(
                list.data
                    .into_iter()
                    .map(|s| sub_account(s, &parent))
                    .collect::<Result<_, _>>()?,
            )
        }
        Endpoint::OAuthTransactions => {
            let list: OAuthList<WireTransaction> = decode_oauth(reply, "SePay transaction list", TRANSACTION_SCOPE)?;
            Decoded::Transactions(transactions(list.data)?)
        }
        Endpoint::OAuthTransaction => {
            let one: OAuthOne<WireTransaction> = decode_oauth(reply, "SePay transaction", TRANSACTION_SCOPE)?;
            Decoded::Transaction(SepayTransaction::try_from(one.data)?)
        }
        Endpoint::OrderList => {
            let reply = crate::orders::check_reply(reply)?;
            Decoded::Orders(reply.json::<OrderList>("SePay order list")?.data)
        }
        Endpoint::OrderDetail => {
            let reply = crate::orders::check_reply(reply)?;
            Decoded::Order(crate::orders::detail_from_reply(&reply, "?")?)
        }
        Endpoint::OrderAction => {
            Decoded::OrderAction(crate::orders::action_from_reply(&crate::orders::check_reply(reply)?)?)
        }
    })
}

fn transactions(wire: Vec<WireTransaction>) -> Result<Vec<SepayTransaction>, Error> {
    wire.into_iter().map(SepayTransaction::try_from).collect()
}

/// A `/userapi` reply as `T`, after the checks every API-token call makes: a non-2xx status maps
/// by status; an HTTP 200 with an empty body is [`Error::Unauthorized`] (SePay's legacy answer to a
/// refused token); an envelope `status` of 400 or more maps like that HTTP status.
pub(crate) fn userapi<T: DeserializeOwned>(reply: &Reply, what: &str) -> Result<T, Error> {
    let status = reply.status.as_u16();
    if !reply.status.is_success() {
        return Err(error_for_status(Api::UserApi, status, reply));
    }
    if reply.is_blank() {
        return Err(Error::Unauthorized(
            ErrorContext::new("SePay answered HTTP 200 with an empty body, its legacy reply to a refused API token")
                .with_status(status)
                .with_request_id(reply.request_id.clone()),
        ));
    }
    // The legacy API may also put the real status in the envelope of an HTTP 200.
    let head: UserApiHead = reply.json(what)?;
    if let Some(code) = head
        .status
        .and_then(|s| s.trim().parse::<u16>().ok())
        .filter(|s| *s >= 400)
    {
        return Err(error_for_status(Api::UserApi, code, reply));
    }
    reply.json(what)
}
