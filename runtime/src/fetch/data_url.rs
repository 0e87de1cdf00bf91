//! `fetch()` of `data:` URLs: the Fetch standard's "data: URL processor"
//! and the response it makes. No network is involved, so these are not
//! subrequests and the egress policy does not apply.

use http::{header, HeaderMap, HeaderValue, StatusCode};
use motu_engine::JsError;
use url::Url;

use super::mime::MimeType;
use super::{OutboundHead, OutboundResponse};
use crate::Body;

/// A `data:` URL's MIME type and body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DataUrl {
    pub(crate) mime: MimeType,
    pub(crate) body: Vec<u8>,
}

/// Runs the data: URL processor on `url`; `None` where it returns failure
/// (no ',' or bad base64).
pub(crate) fn process(url: &Url) -> Option<DataUrl> {
    let serialized = url.as_str();
    let without_fragment = match url.fragment() {
        Some(f) => &serialized[..serialized.len() - f.len() - 1],
        None => serialized,
    };
    let input = without_fragment.strip_prefix("data:")?;
    let (mime, encoded) = input.split_once(',')?;
    let mut mime = mime
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_owned();
    let mut body = percent_decode(encoded.as_bytes());
    if let Some(stripped) = strip_base64_suffix(&mime) {
        body = motu_webapi::forgiving_decode(&body)?;
        mime = stripped.to_owned();
    }
    if mime.starts_with(';') {
        mime.insert_str(0, "text/plain");
    }
    let mime = MimeType::parse(&mime).unwrap_or_else(MimeType::text_plain_us_ascii);
    Some(DataUrl { mime, body })
}

/// `mime` without a trailing `;base64` (spaces allowed before `base64`,
/// any case), if it has one.
fn strip_base64_suffix(mime: &str) -> Option<&str> {
    let cut = mime.len().checked_sub(6)?;
    let tail = mime.get(cut..)?;
    if !tail.eq_ignore_ascii_case("base64") {
        return None;
    }
    let before = mime[..cut].trim_end_matches(' ');
    before.strip_suffix(';')
}

/// The URL standard's percent-decode of bytes: `%XX` becomes byte XX; a `%`
/// not followed by two hex digits stays as it is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        if byte == b'%' {
            if let (Some(hi), Some(lo)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            ) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(byte);
        i += 1;
    }
    out
}

/// The response to a `fetch()` of the `data:` URL `url`: `200 OK` with its
/// MIME type as `Content-Type`, or a network error (`TypeError`).
pub(crate) fn response(url: Url) -> Result<OutboundResponse, JsError> {
    let data = process(&url).ok_or_else(|| {
        JsError::type_error("fetch failed: the data: URL is malformed (no ',' or invalid base64)")
    })?;
    let mut headers = HeaderMap::new();
    let content_type = HeaderValue::from_str(&data.mime.serialize())
        .map_err(|_| JsError::type_error("fetch failed: the data: URL's MIME type"))?;
    headers.insert(header::CONTENT_TYPE, content_type);
    Ok(OutboundResponse {
        head: OutboundHead {
            status: StatusCode::OK,
            reason: None,
            headers,
            url,
            redirected: false,
            web_socket: None,
        },
        body: Body::from(data.body),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(url: &str) -> Option<(String, Vec<u8>)> {
        let d = process(&Url::parse(url).ok()?)?;
        Some((d.mime.serialize(), d.body))
    }

    #[test]
    fn processes_data_urls_as_the_fetch_standard_says() {
        assert_eq!(
            run("data:,Hello%2C%20World!"),
            Some((
                "text/plain;charset=US-ASCII".into(),
                b"Hello, World!".to_vec()
            ))
        );
        assert_eq!(
            run("data:text/html;charset=utf-8;BASE64,PGI+#frag"),
            Some(("text/html;charset=utf-8".into(), b"<b>".to_vec()))
        );
        assert_eq!(
            run("data:;base64,%41%41%3D%3D"),
            Some(("text/plain;charset=US-ASCII".into(), vec![0]))
        );
        assert_eq!(
            run("data:x;base64 ; base64,WA"),
            Some(("text/plain;charset=US-ASCII".into(), b"X".to_vec()))
        );
        assert_eq!(run("data:image/gif,%C2%B1%zz").unwrap().1, b"\xc2\xb1%zz");
        assert_eq!(run("data:text/plain"), None);
        assert_eq!(run("data:;base64,A"), None);
        assert_eq!(run("data:;base64,A=A="), None);
    }
}
