//! `URLPattern` over the `urlpattern` crate. The prelude keeps what the
//! constructor was given; each op compiles the pattern from it again, so no
//! state lives in the isolate's op table.

use std::borrow::Cow;

use motu_engine::{HostValue, JsError};
use urlpattern::quirks::{self, StringOrInit};
use urlpattern::{UrlPattern, UrlPatternMatchInput, UrlPatternOptions, UrlPatternResult};

/// The fields of a `URLPatternInit` dictionary.
const FIELDS: [&str; 8] = [
    "protocol", "username", "password", "hostname", "port", "pathname", "search", "hash",
];

/// A pattern or match input: a string, or an init dictionary (a map).
fn input(value: Option<&HostValue>) -> Result<StringOrInit<'static>, JsError> {
    match value {
        Some(HostValue::String(s)) => Ok(StringOrInit::String(Cow::Owned(s.clone()))),
        Some(HostValue::Map(_)) | None | Some(HostValue::Undefined) => {
            let field = |k: &str| {
                value
                    .and_then(|v| v.get(k))
                    .and_then(HostValue::as_str)
                    .map(str::to_owned)
            };
            Ok(StringOrInit::Init(quirks::UrlPatternInit {
                protocol: field("protocol"),
                username: field("username"),
                password: field("password"),
                hostname: field("hostname"),
                port: field("port"),
                pathname: field("pathname"),
                search: field("search"),
                hash: field("hash"),
                base_url: field("baseURL"),
            }))
        }
        Some(_) => Err(JsError::type_error(
            "URLPattern: the input must be a string or a URLPatternInit",
        )),
    }
}

/// An optional base URL argument.
fn base(value: Option<&HostValue>) -> Option<&str> {
    value.and_then(HostValue::as_str)
}

fn type_error(e: impl std::fmt::Display) -> JsError {
    JsError::type_error(format!("URLPattern: {e}"))
}

/// Compiles `(input, baseURL, ignoreCase)`.
fn compile(args: &[HostValue]) -> Result<UrlPattern, JsError> {
    let init = quirks::process_construct_pattern_input(input(args.first())?, base(args.get(1)))
        .map_err(type_error)?;
    let options = UrlPatternOptions {
        ignore_case: matches!(args.get(2), Some(HostValue::Bool(true))),
        ..Default::default()
    };
    UrlPattern::parse(init, options).map_err(type_error)
}

/// `urlpattern_compile(input, baseURL, ignoreCase)`: the pattern's
/// components and whether it has regular-expression groups.
pub(crate) fn compile_op(args: &[HostValue]) -> Result<HostValue, JsError> {
    let p = compile(args)?;
    let parts = [
        p.protocol(),
        p.username(),
        p.password(),
        p.hostname(),
        p.port(),
        p.pathname(),
        p.search(),
        p.hash(),
    ];
    let mut map: Vec<(String, HostValue)> = FIELDS
        .iter()
        .zip(parts)
        .map(|(k, v)| ((*k).to_owned(), v.into()))
        .collect();
    map.push(("hasRegExpGroups".into(), p.has_regexp_groups().into()));
    Ok(HostValue::Map(map))
}

/// `urlpattern_exec(patternInput, patternBase, ignoreCase, input, baseURL)`:
/// the match result, or null.
pub(crate) fn exec_op(args: &[HostValue]) -> Result<HostValue, JsError> {
    let pattern = compile(args)?;
    let base_url = base(args.get(4));
    let input = match input(args.get(3))? {
        StringOrInit::String(s) => {
            let base = match base_url {
                Some(b) => match url::Url::parse(b) {
                    Ok(u) => Some(u),
                    Err(_) => return Ok(HostValue::Null),
                },
                None => None,
            };
            match url::Url::options().base_url(base.as_ref()).parse(&s) {
                Ok(url) => UrlPatternMatchInput::Url(url),
                Err(_) => return Ok(HostValue::Null),
            }
        }
        StringOrInit::Init(init) => {
            if base_url.is_some() {
                return Err(type_error(
                    "a base URL cannot be given with a URLPatternInit",
                ));
            }
            match quirks::process_construct_pattern_input(StringOrInit::Init(init), None) {
                Ok(init) => UrlPatternMatchInput::Init(init),
                Err(_) => return Ok(HostValue::Null),
            }
        }
    };
    Ok(match pattern.exec(input).map_err(type_error)? {
        Some(result) => result_value(result),
        None => HostValue::Null,
    })
}

fn result_value(r: UrlPatternResult) -> HostValue {
    let parts = [
        r.protocol, r.username, r.password, r.hostname, r.port, r.pathname, r.search, r.hash,
    ];
    HostValue::Map(
        FIELDS
            .iter()
            .zip(parts)
            .map(|(k, part)| {
                let mut groups: Vec<(String, HostValue)> = part
                    .groups
                    .into_iter()
                    .map(|(name, v)| (name, v.map_or(HostValue::Undefined, HostValue::String)))
                    .collect();
                groups.sort_by(|a, b| a.0.cmp(&b.0));
                let value = HostValue::Map(vec![
                    ("input".into(), part.input.into()),
                    ("groups".into(), HostValue::Map(groups)),
                ]);
                ((*k).to_owned(), value)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_and_match() {
        let args = vec![HostValue::String("https://example.com/users/:id".into())];
        let parts = compile_op(&args).unwrap();
        assert_eq!(
            parts.get("pathname").and_then(HostValue::as_str),
            Some("/users/:id")
        );
        let exec = vec![
            args[0].clone(),
            HostValue::Undefined,
            HostValue::Bool(false),
            "https://example.com/users/42".into(),
        ];
        let r = exec_op(&exec).unwrap();
        let id = r
            .get("pathname")
            .and_then(|p| p.get("groups"))
            .and_then(|g| g.get("id"));
        assert_eq!(id.and_then(HostValue::as_str), Some("42"));
        let miss = vec![
            args[0].clone(),
            HostValue::Undefined,
            HostValue::Bool(false),
            "https://example.com/posts/1".into(),
        ];
        assert_eq!(exec_op(&miss).unwrap(), HostValue::Null);
        let bad = vec![HostValue::String("https://example.com/(".into())];
        assert_eq!(compile_op(&bad).unwrap_err().name, "TypeError");
    }
}
