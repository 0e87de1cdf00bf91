//! URL parsing and mutation with the `url` crate (the WHATWG URL standard).

use motu_engine::{HostValue, JsError};
use url::{quirks, Url};

use crate::ops::str_arg;

fn invalid(input: &str) -> JsError {
    JsError::type_error(format!("Invalid URL: {input}"))
}

/// `url_parse(input, base?) -> parts`: parses `input` against an optional
/// base; a failure is a `TypeError`.
pub(crate) fn parse(args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "url_parse")?;
    let url = match args.get(1) {
        Some(HostValue::String(base)) => Url::parse(base)
            .and_then(|b| b.join(input))
            .map_err(|_| invalid(input))?,
        _ => Url::parse(input).map_err(|_| invalid(input))?,
    };
    Ok(parts(&url))
}

/// `url_set(href, component, value) -> parts`: sets one component with the
/// setter rules of the standard (invalid values are ignored, as there).
pub(crate) fn set(args: &[HostValue]) -> Result<HostValue, JsError> {
    let href = str_arg(args, 0, "url_set")?;
    let component = str_arg(args, 1, "url_set")?;
    let value = str_arg(args, 2, "url_set")?;
    let mut url = Url::parse(href).map_err(|_| invalid(href))?;
    match component {
        "href" => url = Url::parse(value).map_err(|_| invalid(value))?,
        "protocol" => {
            let _ = quirks::set_protocol(&mut url, value);
        }
        "username" => {
            let _ = quirks::set_username(&mut url, value);
        }
        "password" => {
            let _ = quirks::set_password(&mut url, value);
        }
        "host" => {
            let _ = quirks::set_host(&mut url, value);
        }
        "hostname" => {
            let _ = quirks::set_hostname(&mut url, value);
        }
        "port" => {
            let _ = quirks::set_port(&mut url, value);
        }
        "pathname" => quirks::set_pathname(&mut url, value),
        "search" => quirks::set_search(&mut url, value),
        "hash" => quirks::set_hash(&mut url, value),
        other => {
            return Err(JsError::type_error(format!(
                "url_set: unknown component {other}"
            )))
        }
    }
    Ok(parts(&url))
}

fn parts(url: &Url) -> HostValue {
    let field = |k: &str, v: &str| (k.to_owned(), HostValue::String(v.to_owned()));
    HostValue::Map(vec![
        field("href", quirks::href(url)),
        field("origin", &quirks::origin(url)),
        field("protocol", quirks::protocol(url)),
        field("username", quirks::username(url)),
        field("password", quirks::password(url)),
        field("host", quirks::host(url)),
        field("hostname", quirks::hostname(url)),
        field("port", quirks::port(url)),
        field("pathname", quirks::pathname(url)),
        field("search", quirks::search(url)),
        field("hash", quirks::hash(url)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_relative_to_a_base_and_rejects_garbage() {
        let p = parse(&["../x?y#z".into(), "https://a.example/b/c/d".into()]).unwrap();
        assert_eq!(
            p.get("href").unwrap().as_str(),
            Some("https://a.example/b/x?y#z")
        );
        assert_eq!(parse(&["not a url".into()]).unwrap_err().name, "TypeError");
    }

    #[test]
    fn setters_follow_the_standard() {
        let p = set(&["http://a.example/".into(), "port".into(), "8080".into()]).unwrap();
        assert_eq!(p.get("host").unwrap().as_str(), Some("a.example:8080"));
        let p = set(&["http://a.example/".into(), "port".into(), "nope".into()]).unwrap();
        assert_eq!(p.get("port").unwrap().as_str(), Some(""));
    }
}
