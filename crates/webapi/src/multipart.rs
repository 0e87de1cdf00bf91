//! `multipart/form-data` parsing (RFC 7578 over RFC 2046), for
//! `Request.formData()` and `Response.formData()`.

use memchr::memmem;
use motu_engine::{HostValue, JsError};

use crate::work::{Cancel, Work, QUICK_BYTES};

fn invalid(why: &str) -> JsError {
    JsError::type_error(format!(
        "Could not parse the multipart/form-data body: {why}"
    ))
}

/// The parameter `name` of a header value such as `form-data; name="x"` or
/// a MIME type, unquoted. Names match case-insensitively.
fn param(value: &str, name: &str) -> Option<String> {
    let mut rest = value.split_once(';')?.1;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            return None;
        }
        let (key, after) = match rest.find(['=', ';']) {
            Some(i) if rest.as_bytes()[i] == b'=' => (&rest[..i], &rest[i + 1..]),
            Some(i) => {
                rest = &rest[i..];
                continue;
            }
            None => return None,
        };
        let key = key.trim();
        let (val, next) = if let Some(quoted) = after.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            out.push(escaped);
                        }
                    }
                    c => out.push(c),
                }
            }
            (out, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(val);
        }
        rest = next;
    }
}

/// One parsed part.
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn parse_headers(block: &[u8]) -> Result<(String, Option<String>, Option<String>), JsError> {
    let text = String::from_utf8_lossy(block);
    let mut disposition = None;
    let mut content_type = None;
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid("a part header has no colon"))?;
        let value = value.trim_matches([' ', '\t']);
        if name.trim().eq_ignore_ascii_case("content-disposition") {
            disposition = Some(value.to_owned());
        } else if name.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.to_owned());
        }
    }
    let disposition = disposition.ok_or_else(|| invalid("a part has no Content-Disposition"))?;
    let kind = disposition.split(';').next().unwrap_or("").trim();
    if !kind.eq_ignore_ascii_case("form-data") {
        return Err(invalid("a part is not form-data"));
    }
    let name = param(&disposition, "name").ok_or_else(|| invalid("a part has no name"))?;
    Ok((name, param(&disposition, "filename"), content_type))
}

fn parse_parts(body: &[u8], boundary: &str, cancel: &Cancel) -> Result<Vec<Part>, JsError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let next_delimiter = format!("\r\n--{boundary}");
    let finder = memmem::Finder::new(next_delimiter.as_bytes());
    // The first delimiter starts the body or follows a preamble line.
    let mut pos = if body.starts_with(delimiter) {
        delimiter.len()
    } else {
        finder
            .find(body)
            .map(|i| i + next_delimiter.len())
            .ok_or_else(|| invalid("no boundary found"))?
    };
    let mut parts = Vec::new();
    loop {
        cancel.check()?;
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then the line break that ends the delimiter line.
        let padding = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let rest = rest[padding..]
            .strip_prefix(b"\r\n")
            .ok_or_else(|| invalid("a boundary line does not end with CRLF"))?;
        let start = body.len() - rest.len();
        let (headers, content_start) = if rest.starts_with(b"\r\n") {
            (&rest[..0], start + 2)
        } else {
            let end = memmem::find(rest, b"\r\n\r\n")
                .ok_or_else(|| invalid("a part's headers do not end"))?;
            (&rest[..end], start + end + 4)
        };
        let (name, filename, content_type) = parse_headers(headers)?;
        let content_len = finder
            .find(&body[content_start..])
            .ok_or_else(|| invalid("the closing boundary is missing"))?;
        parts.push(Part {
            name,
            filename,
            content_type,
            body: body[content_start..content_start + content_len].to_vec(),
        });
        pos = content_start + content_len + next_delimiter.len();
    }
}

/// `multipart_parse(bytes, contentType) -> [[name, value], …]`: a value is
/// a string, or `{ filename, type, bytes }` for a part with a file name
/// (`type` defaults to `text/plain`). Malformed bodies are a `TypeError`.
/// Host work: quick for small bodies, and it stops between parts once
/// cancelled.
pub(crate) fn parse_work(args: Vec<HostValue>) -> Work {
    let quick = args
        .first()
        .and_then(HostValue::as_bytes)
        .is_none_or(|b| b.len() <= QUICK_BYTES);
    Work::new(args, quick, parse)
}

fn parse(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let body = match args.first() {
        Some(HostValue::Bytes(b)) => b.as_slice(),
        _ => {
            return Err(JsError::type_error(
                "multipart_parse: argument 0 must be bytes",
            ))
        }
    };
    let content_type = crate::ops::str_arg(args, 1, "multipart_parse")?;
    let boundary = param(content_type, "boundary")
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or_else(|| invalid("the content type has no valid boundary"))?;
    let parts = parse_parts(body, &boundary, cancel)?;
    Ok(HostValue::List(
        parts
            .into_iter()
            .map(|p| {
                let value = match p.filename {
                    Some(filename) => HostValue::Map(vec![
                        ("filename".into(), filename.into()),
                        (
                            "type".into(),
                            p.content_type.unwrap_or_else(|| "text/plain".into()).into(),
                        ),
                        ("bytes".into(), HostValue::Bytes(p.body)),
                    ]),
                    None => String::from_utf8_lossy(&p.body).into_owned().into(),
                };
                HostValue::List(vec![p.name.into(), value])
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(body: &str, ct: &str) -> Result<HostValue, JsError> {
        parse_work(vec![body.as_bytes().to_vec().into(), ct.into()]).run(&Cancel::new())
    }

    #[test]
    fn big_bodies_are_not_quick_and_stop_when_cancelled() {
        let part = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n";
        let body = format!("{}--b--", part.repeat(QUICK_BYTES / part.len() + 1));
        let ct = "multipart/form-data; boundary=b";
        let work = parse_work(vec![body.as_bytes().to_vec().into(), ct.into()]);
        assert!(!work.is_quick());
        let cancel = Cancel::new();
        cancel.cancel();
        assert_eq!(work.run(&cancel).unwrap_err().name, "AbortError");
        assert!(parse_work(vec![b"--b--".to_vec().into(), ct.into()]).is_quick());
    }

    #[test]
    fn parses_fields_and_files() {
        let body = "preamble\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"a\"\r\n\r\n\
            one\r\ntwo\r\n\
            --XyZ  \r\n\
            content-disposition: form-data; name=\"f\"; filename=\"x;y.txt\"\r\n\
            Content-Type: image/png\r\n\r\n\
            \u{1}\u{2}\r\n\
            --XyZ\r\n\
            Content-Disposition: form-data; name=\"g\"; filename=\"\"\r\n\r\n\
            \r\n--XyZ--\r\nepilogue";
        let parsed = parse_str(body, "multipart/form-data; boundary=\"XyZ\"").unwrap();
        let parts = parsed.as_list().unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            parts[0],
            HostValue::List(vec!["a".into(), "one\r\ntwo".into()])
        );
        let file = &parts[1].as_list().unwrap()[1];
        assert_eq!(file.get("filename").unwrap().as_str(), Some("x;y.txt"));
        assert_eq!(file.get("type").unwrap().as_str(), Some("image/png"));
        assert_eq!(file.get("bytes").unwrap().as_bytes(), Some(&[1u8, 2][..]));
        let empty = &parts[2].as_list().unwrap()[1];
        assert_eq!(empty.get("type").unwrap().as_str(), Some("text/plain"));
        assert_eq!(empty.get("bytes").unwrap().as_bytes(), Some(&[][..]));
    }

    #[test]
    fn malformed_bodies_are_type_errors() {
        let ct = "multipart/form-data; boundary=b";
        let err = |body: &str, ct: &str| parse_str(body, ct).unwrap_err().name;
        assert_eq!(err("--b\r\n\r\nx\r\n--b--", ct), "TypeError");
        assert_eq!(
            err("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx", ct),
            "TypeError"
        );
        assert_eq!(err("nothing", ct), "TypeError");
        assert_eq!(err("--b--", "multipart/form-data"), "TypeError");
        assert_eq!(parse_str("--b--\r\n", ct).unwrap(), HostValue::List(vec![]));
    }
}
