//! Cursor pagination: `?limit=&cursor=` in, `{ items, next_cursor }` out. A cursor is the
//! base64url JSON of the sort key of the last item served; clients treat it as opaque.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 20).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The limit, or a validation error when out of range.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::Validation(vec![
                FieldError::new("limit", "out_of_range")
                    .with("min", 1)
                    .with("max", MAX_LIMIT),
            ])),
        }
    }

    /// The decoded cursor, `None` on the first page.
    pub fn cursor<C: DeserializeOwned>(&self) -> Result<Option<C>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                    .ok_or_else(|| ApiError::field("cursor", "invalid"))
            })
            .transpose()
    }
}

pub fn encode_cursor<C: Serialize>(cursor: &C) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).expect("cursor serializes"))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// From `limit + 1` fetched rows: the extra row only tells that another page exists.
    pub fn from_rows<C: Serialize>(
        mut rows: Vec<T>,
        limit: u32,
        cursor_of: impl Fn(&T) -> C,
    ) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(&cursor_of(r)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_capped() {
        assert_eq!(PageQuery::default().limit().unwrap(), 20);
        assert!(
            PageQuery {
                limit: Some(100_000),
                cursor: None
            }
            .limit()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: Some(0),
                cursor: None
            }
            .limit()
            .is_err()
        );
    }

    #[test]
    fn pages_carry_a_cursor_only_when_more_exist() {
        let p = Page::from_rows(vec![1, 2, 3], 2, |n| *n);
        assert_eq!(p.items, vec![1, 2]);
        let q = PageQuery {
            limit: Some(2),
            cursor: p.next_cursor,
        };
        assert_eq!(q.cursor::<i32>().unwrap(), Some(2));
        assert!(Page::from_rows(vec![1], 2, |n| *n).next_cursor.is_none());
        assert!(
            PageQuery {
                limit: None,
                cursor: Some("!!".into())
            }
            .cursor::<i32>()
            .is_err()
        );
    }
}
