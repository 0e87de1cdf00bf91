//! `application/x-www-form-urlencoded`, for `URLSearchParams` and
//! `formData()`.

use motu_engine::{HostValue, JsError};

use crate::ops::str_arg;
use crate::work::{Cancel, Work, QUICK_BYTES};

/// Pairs parsed between two looks at the cancel flag.
const CHECK_EVERY: usize = 1024;

/// `form_parse(string) -> [[name, value], …]`.
pub(crate) fn parse(args: &[HostValue]) -> Result<HostValue, JsError> {
    parse_checked(args, &Cancel::new())
}

/// `form_parse` as host work (for `formData()`, whose body may be large):
/// quick for short input, and it stops once cancelled.
pub(crate) fn parse_work(args: Vec<HostValue>) -> Work {
    let quick = args
        .first()
        .and_then(HostValue::as_str)
        .is_none_or(|s| s.len() <= QUICK_BYTES);
    Work::new(args, quick, parse_checked)
}

fn parse_checked(args: &[HostValue], cancel: &Cancel) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "form_parse")?;
    let mut pairs = Vec::new();
    for (i, (k, v)) in url::form_urlencoded::parse(input.as_bytes()).enumerate() {
        if i % CHECK_EVERY == 0 {
            cancel.check()?;
        }
        pairs.push(HostValue::List(vec![
            k.into_owned().into(),
            v.into_owned().into(),
        ]));
    }
    Ok(HostValue::List(pairs))
}

/// `form_serialize([[name, value], …]) -> string`.
pub(crate) fn serialize(args: &[HostValue]) -> Result<HostValue, JsError> {
    let bad = || JsError::type_error("form_serialize: expected a list of [name, value] pairs");
    let pairs = args.first().and_then(HostValue::as_list).ok_or_else(bad)?;
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for pair in pairs {
        match pair.as_list() {
            Some([HostValue::String(k), HostValue::String(v)]) => {
                out.append_pair(k, v);
            }
            _ => return Err(bad()),
        }
    }
    Ok(HostValue::String(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let parsed = parse(&["a=1&b=x+y&c=%26".into()]).unwrap();
        assert_eq!(
            serialize(&[parsed]).unwrap(),
            HostValue::String("a=1&b=x+y&c=%26".into())
        );
        let work = parse_work(vec!["a=1&".repeat(QUICK_BYTES).into()]);
        assert!(!work.is_quick());
        let cancel = Cancel::new();
        cancel.cancel();
        assert_eq!(work.run(&cancel).unwrap_err().name, "AbortError");
    }
}
