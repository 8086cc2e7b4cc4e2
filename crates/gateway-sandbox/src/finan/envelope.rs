//! The documented response wrapper: `message`, `code`, `request_id`, then `data` and, on paged
//! lists, `meta`. Serialized from structs so the keys keep the documented order.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// `message.content` of a successful call (the seeds show it mangled by capture).
const CONTENT_OK: &str = "Thực thi API thành công";
/// `message.content` of a successful create.
const CONTENT_CREATED: &str = "Tạo thành công";
/// `message.content` of every error; the reason goes in `message.error`.
const CONTENT_INVALID: &str = "Yêu cầu không hợp lệ";

const CODE_OK: u32 = 102_000;
const CODE_CREATED: u32 = 102_001;
const CODE_ERROR: u32 = 104_000;

#[derive(Serialize)]
struct Message<'a> {
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    message: Message<'a>,
    code: u32,
    request_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    meta: Option<Meta>,
}

/// Pagination metadata of list endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(super) struct Meta {
    pub page: u64,
    pub page_size: u64,
    pub total_pages: u64,
    pub total_rows: u64,
}

/// A fresh request id per answer: 32 lowercase hex digits, like the guide's example.
fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn respond<T: Serialize>(status: StatusCode, content: &str, code: u32, data: T, meta: Option<Meta>) -> Response {
    let body = Envelope {
        message: Message { content, error: None },
        code,
        request_id: request_id(),
        data: Some(data),
        meta,
    };
    (status, Json(body)).into_response()
}

/// `200` with `data`.
pub(super) fn ok<T: Serialize>(data: T) -> Response {
    respond(StatusCode::OK, CONTENT_OK, CODE_OK, data, None)
}

/// `200` with `data` (one page) and `meta`.
pub(super) fn page<T: Serialize>(data: T, meta: Meta) -> Response {
    respond(StatusCode::OK, CONTENT_OK, CODE_OK, data, Some(meta))
}

/// `201` with the created object.
pub(super) fn created<T: Serialize>(data: T) -> Response {
    respond(StatusCode::CREATED, CONTENT_CREATED, CODE_CREATED, data, None)
}

/// An error answer: HTTP `status`, code 104000 and `message.error` = `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ApiError {
    pub status: StatusCode,
    pub reason: String,
}

impl ApiError {
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }

    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }

    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, reason)
    }

    pub fn unprocessable(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, reason)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope::<()> {
            message: Message {
                content: CONTENT_INVALID,
                error: Some(&self.reason),
            },
            code: CODE_ERROR,
            request_id: request_id(),
            data: None,
            meta: None,
        };
        (self.status, Json(body)).into_response()
    }
}
