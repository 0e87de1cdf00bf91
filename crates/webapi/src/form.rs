//! `application/x-www-form-urlencoded`, for `URLSearchParams`.

use motu_engine::{HostValue, JsError};

use crate::ops::str_arg;

/// `form_parse(string) -> [[name, value], …]`.
pub(crate) fn parse(args: &[HostValue]) -> Result<HostValue, JsError> {
    let input = str_arg(args, 0, "form_parse")?;
    Ok(HostValue::List(
        url::form_urlencoded::parse(input.as_bytes())
            .map(|(k, v)| HostValue::List(vec![k.into_owned().into(), v.into_owned().into()]))
            .collect(),
    ))
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
    }
}
