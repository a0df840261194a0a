//! Request extraction: turns every malformed path, query or body into the
//! JSON error envelope instead of actix's plain-text defaults.

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, web};
use utoipa::IntoParams;

use crate::error::{ApiError, FieldErrors};
use crate::services::PageRequest;
use crate::services::validation::{Lines, check_text};

/// Largest accepted JSON body.
pub const JSON_LIMIT_BYTES: usize = 64 * 1024;

/// `web::JsonConfig` with the size limit and the error envelope.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT_BYTES)
        .error_handler(|err, _req| json_error(err).into())
}

/// `web::PathConfig` with the error envelope.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| path_error(err).into())
}

/// `web::QueryConfig` with the error envelope.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| query_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge { limit },
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(err) if err.is_data() => ApiError::Validation {
            message: format!("invalid request body: {err}"),
            fields: FieldErrors::new(),
        },
        JsonPayloadError::Deserialize(err) => ApiError::BadRequest {
            code: "malformed_json",
            message: format!("request body is not valid JSON: {err}"),
        },
        other => ApiError::BadRequest {
            code: "bad_request",
            message: other.to_string(),
        },
    }
}

fn path_error(err: PathError) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_path_parameter",
        message: format!("invalid path parameter: {err}"),
    }
}

fn query_error(err: QueryPayloadError) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        message: format!("invalid query string: {err}"),
    }
}

/// A path id: a positive integer. Anything else is a 400 (a 404 would hide
/// the client's mistake).
pub fn parse_id(raw: &str, name: &str) -> Result<i32, ApiError> {
    match raw.parse::<i32>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(ApiError::BadRequest {
            code: "invalid_path_parameter",
            message: format!("{name} must be a positive integer, got `{raw}`"),
        }),
    }
}

/// The query of a route that reads nothing but `page` and `per_page`
/// (anything else in it is ignored, as [`QueryParams`] does).
pub fn page_query(req: &HttpRequest) -> Result<PageRequest, ApiError> {
    let mut params = QueryParams::from_request(req);
    let page = params.page_request()?;
    params.finish()?;
    Ok(page)
}

/// `page` and `per_page` as the OpenAPI document lists them, for
/// `params(PageQuery)` (the handlers read them with [`page_query`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "only documents the query")]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 2147483647)]
    page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u64>,
}

/// The query string as name → values (repeatable), with typed accessors that
/// collect range problems as 422 field errors and unparseable values as 400.
pub struct QueryParams {
    values: HashMap<String, Vec<String>>,
    /// Range and vocabulary problems found so far.
    pub problems: FieldErrors,
}

impl QueryParams {
    /// Parses the request's query string. A name or value with a control
    /// character is recorded as a problem of that parameter (the service's
    /// one text rule, see `services::validation`), so it never reaches a
    /// query.
    pub fn from_request(req: &HttpRequest) -> Self {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        let mut problems = FieldErrors::new();
        for (key, value) in form_urlencoded::parse(req.query_string().as_bytes()) {
            if check_text(&mut problems, &key, &key, Lines::Single) {
                check_text(&mut problems, &key, &value, Lines::Single);
            }
            values
                .entry(key.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        QueryParams { values, problems }
    }

    /// The last value of `name`, trimmed; empty counts as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `name`, with comma-separated lists split.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.values
            .get(name)
            .into_iter()
            .flatten()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// A number, `None` when absent; 400 when not a number.
    pub fn number<T: FromStr>(&self, name: &str) -> Result<Option<T>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some(raw) => raw.parse().map(Some).map_err(|_| ApiError::BadRequest {
                code: "invalid_query",
                message: format!("query parameter `{name}` must be a number, got `{raw}`"),
            }),
        }
    }

    /// A number that must lie in `min..=max` (recorded as a problem otherwise).
    pub fn number_in<T>(&mut self, name: &str, min: T, max: T) -> Result<Option<T>, ApiError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let value = self.number::<T>(name)?;
        // Written with `partial_cmp` so that NaN, which compares neither
        // way, is out of range too.
        let in_range = |v: &T| {
            v.partial_cmp(&min).is_some_and(|o| o.is_ge())
                && v.partial_cmp(&max).is_some_and(|o| o.is_le())
        };
        if let Some(v) = value
            && !in_range(&v)
        {
            self.problem(name, format!("must be between {min} and {max}"));
            return Ok(None);
        }
        Ok(value)
    }

    /// Records a 422 problem for `name`.
    pub fn problem(&mut self, name: &str, message: impl Into<String>) {
        self.problems
            .entry(name.to_owned())
            .or_default()
            .push(message.into());
    }

    /// `page` and `per_page` (defaults 1 and 20).
    pub fn page_request(&mut self) -> Result<PageRequest, ApiError> {
        // Parsed as signed so `page=-1` is "out of range" (422), not "not a number".
        let page = self.number_in::<i64>("page", 1, i64::from(i32::MAX))?;
        let per_page = self.number_in::<i64>("per_page", 1, PageRequest::MAX_PER_PAGE as i64)?;
        Ok(PageRequest {
            page: page.map_or(1, |p| p.unsigned_abs()),
            per_page: per_page.map_or(PageRequest::DEFAULT_PER_PAGE, |p| p.unsigned_abs()),
        })
    }

    /// `limit` for top-N lists (1–100, default 10).
    pub fn limit(&mut self) -> Result<usize, ApiError> {
        Ok(self.number_in::<usize>("limit", 1, 100)?.unwrap_or(10))
    }

    /// Fails with 422 when any problem was recorded.
    pub fn finish(self) -> Result<(), ApiError> {
        ApiError::check(self.problems)
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test as actix_test;
    use actix_web::{App, HttpResponse, web};
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialised")]
    struct Body {
        rating: f64,
    }

    async fn echo(_: web::Json<Body>) -> HttpResponse {
        HttpResponse::NoContent().finish()
    }

    async fn send(content_type: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
        let app = actix_test::init_service(
            App::new()
                .app_data(json_config())
                .route("/", web::post().to(echo)),
        )
        .await;
        let req = actix_test::TestRequest::post()
            .uri("/")
            .insert_header(("content-type", content_type))
            .set_payload(body)
            .to_request();
        let res = actix_test::call_service(&app, req).await;
        let status = res.status().as_u16();
        let body = actix_test::read_body(res).await;
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    #[actix_web::test]
    async fn json_body_failures_map_to_the_envelope() {
        let json = "application/json";
        assert_eq!(send(json, br#"{"rating": 4.5}"#.to_vec()).await.0, 204);
        let (status, body) = send(json, b"{not json".to_vec()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("malformed_json"))
        );
        let (status, body) = send(json, br#"{"rating": "five"}"#.to_vec()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("validation_failed"))
        );
        let (status, body) = send(json, br#"{"rating": 4, "ratin": 3}"#.to_vec()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("validation_failed"))
        );
        let (status, body) = send("text/plain", br#"{"rating": 4}"#.to_vec()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (415, Some("unsupported_media_type"))
        );
        let big = format!(
            r#"{{"rating": 4, "pad": "{}"}}"#,
            "x".repeat(JSON_LIMIT_BYTES)
        );
        let (status, body) = send(json, big.into_bytes()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (413, Some("payload_too_large"))
        );
    }

    #[test]
    fn ids_must_be_positive_integers() {
        assert_eq!(parse_id("42", "id").ok(), Some(42));
        for bad in ["0", "-1", "x", "1e3", "99999999999", ""] {
            assert!(parse_id(bad, "id").is_err(), "{bad}");
        }
    }
}
