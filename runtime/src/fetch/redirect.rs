//! How a request changes when it follows a redirect (the Fetch standard's
//! "HTTP-redirect fetch").

use http::{header, HeaderMap, Method, StatusCode};
use motu_engine::JsError;
use url::Url;

/// Redirects a request may follow before it fails.
pub(crate) const MAX_REDIRECTS: usize = 20;

/// What `fetch()` does with a redirect response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectMode {
    /// Follow it (the default).
    Follow,
    /// Reject with a `TypeError`.
    Error,
    /// Return the redirect response itself.
    Manual,
}

impl RedirectMode {
    /// The mode a `Request.redirect` string names.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "follow" => Some(Self::Follow),
            "error" => Some(Self::Error),
            "manual" => Some(Self::Manual),
            _ => None,
        }
    }
}

/// Whether `status` is one of the redirect statuses.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The next hop after a redirect with `status` from `current` to
/// `location`: the new URL, and whether the method becomes GET without a
/// body. Request headers are adjusted in place.
pub(crate) fn next_hop(
    current: &Url,
    method: &Method,
    status: StatusCode,
    location: &str,
    headers: &mut HeaderMap,
) -> Result<(Url, bool), JsError> {
    let next = current
        .join(location)
        .map_err(|e| JsError::type_error(format!("invalid redirect location '{location}': {e}")))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(JsError::type_error(format!(
            "redirect to a URL with scheme '{}' is not allowed",
            next.scheme()
        )));
    }
    let to_get =
        (status == StatusCode::SEE_OTHER && *method != Method::GET && *method != Method::HEAD)
            || (matches!(status.as_u16(), 301 | 302) && *method == Method::POST);
    if to_get {
        for name in [
            header::CONTENT_ENCODING,
            header::CONTENT_LANGUAGE,
            header::CONTENT_LOCATION,
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
        ] {
            headers.remove(name);
        }
    }
    if next.origin() != current.origin() {
        headers.remove(header::AUTHORIZATION);
    }
    Ok((next, to_get))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(method: Method, status: u16, location: &str) -> (Url, bool, HeaderMap) {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        let current = Url::parse("http://a.example/dir/page").unwrap();
        let status = StatusCode::from_u16(status).unwrap();
        let (url, get) = next_hop(&current, &method, status, location, &mut headers).unwrap();
        (url, get, headers)
    }

    #[test]
    fn methods_change_as_the_standard_says() {
        assert!(hop(Method::POST, 303, "/x").1);
        assert!(!hop(Method::GET, 303, "/x").1);
        assert!(hop(Method::POST, 301, "/x").1);
        assert!(hop(Method::POST, 302, "/x").1);
        assert!(!hop(Method::PUT, 302, "/x").1);
        assert!(!hop(Method::POST, 307, "/x").1);
        assert!(!hop(Method::POST, 308, "/x").1);
        let (_, _, headers) = hop(Method::POST, 303, "/x");
        assert!(headers.get(header::CONTENT_TYPE).is_none());
    }

    #[test]
    fn locations_resolve_and_credentials_stay_on_their_origin() {
        let (url, _, headers) = hop(Method::GET, 302, "next?q=1");
        assert_eq!(url.as_str(), "http://a.example/dir/next?q=1");
        assert!(headers.get(header::AUTHORIZATION).is_some());
        let (url, _, headers) = hop(Method::GET, 302, "https://b.example/");
        assert_eq!(url.as_str(), "https://b.example/");
        assert!(headers.get(header::AUTHORIZATION).is_none());
        let mut h = HeaderMap::new();
        let current = Url::parse("http://a.example/").unwrap();
        let e = next_hop(
            &current,
            &Method::GET,
            StatusCode::FOUND,
            "file:///etc/passwd",
            &mut h,
        );
        assert_eq!(e.unwrap_err().name, "TypeError");
    }
}
