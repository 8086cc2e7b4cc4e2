//! Query strings and paging shared by the list endpoints: decoded parameters (an empty value counts
//! as absent) and the documented `page` / `page_size` window with its `meta`.

use super::envelope::{ApiError, Meta};

const DEFAULT_PAGE_SIZE: u64 = 50;
const MAX_PAGE_SIZE: u64 = 100;

/// Decoded query parameters. An empty value counts as absent, so `?id=&account_number=` (the
/// seed's template) means "no filter".
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|_| ApiError::bad_request("Invalid query string"))?;
        Ok(Self(pairs))
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// `page` (default 1) and `page_size` (default 50, at most 100), both positive.
    pub fn paging(&self) -> Result<(u64, u64), ApiError> {
        let page = self.positive("page", 1)?;
        let page_size = self.positive("page_size", DEFAULT_PAGE_SIZE)?;
        if page_size > MAX_PAGE_SIZE {
            return Err(ApiError::bad_request(format!(
                "page_size must be at most {MAX_PAGE_SIZE}"
            )));
        }
        Ok((page, page_size))
    }

    /// A positive integer parameter, or `default` when absent.
    fn positive(&self, name: &str, default: u64) -> Result<u64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ApiError::bad_request(format!("{name} must be a positive integer"))),
            },
        }
    }
}

/// One page (1-based, `page_size` > 0) of `items` with its `meta`; past the end it is empty.
pub(super) fn paginate<T>(items: Vec<T>, page: u64, page_size: u64) -> (Vec<T>, Meta) {
    let total_rows = items.len() as u64;
    let skip = (page - 1).saturating_mul(page_size);
    let items = items
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(page_size).unwrap_or(usize::MAX))
        .collect();
    let meta = Meta {
        page,
        page_size,
        total_pages: total_rows.div_ceil(page_size),
        total_rows,
    };
    (items, meta)
}
