//! Conditional operations (`onlyIf`): an `R2Conditional`, or conditional
//! request headers, tested against the object as it is (RFC 9110's
//! precedence: `If-None-Match` over `If-Modified-Since`, `If-Match` over
//! `If-Unmodified-Since`).

/// One entry of an ETag condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagCondition {
    /// `*`: any object.
    Wildcard,
    /// A strong ETag (unquoted).
    Strong(String),
    /// A weak ETag (`W/"…"`, unquoted); matches only in weak comparison
    /// (`etagDoesNotMatch`).
    Weak(String),
}

/// The conditions of an `onlyIf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditional {
    /// `etagMatches` / `If-Match`: the object's ETag is one of these.
    pub etag_matches: Option<Vec<EtagCondition>>,
    /// `etagDoesNotMatch` / `If-None-Match`: the object's ETag is none of
    /// these.
    pub etag_does_not_match: Option<Vec<EtagCondition>>,
    /// `uploadedBefore` / `If-Unmodified-Since`, in milliseconds since the
    /// Unix epoch.
    pub uploaded_before: Option<i64>,
    /// `uploadedAfter` / `If-Modified-Since`, in milliseconds since the
    /// Unix epoch.
    pub uploaded_after: Option<i64>,
    /// Compare dates to the second (conditions from headers, whose dates
    /// have no milliseconds).
    pub seconds_granularity: bool,
}

impl Conditional {
    /// An ETag condition given as a string in an `R2Conditional`: `*`, or
    /// one unquoted ETag.
    pub fn etag_option(value: &str) -> Result<Vec<EtagCondition>, String> {
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            return Err(format!(
                "Conditional ETag should not be wrapped in quotes ({value})."
            ));
        }
        Ok(vec![if value == "*" {
            EtagCondition::Wildcard
        } else {
            EtagCondition::Strong(value.to_owned())
        }])
    }

    /// The ETags of an `If-Match` or `If-None-Match` header: a list of
    /// quoted ETags, weak ones with `W/`, or `*`. `header` names the header
    /// in the error an empty list gets.
    pub fn etag_header(value: &str, header: &str) -> Result<Vec<EtagCondition>, String> {
        let mut out = Vec::new();
        let mut rest = value;
        let mut comma_needed = false;
        loop {
            rest = rest.trim_start_matches([' ', '\t']);
            let Some(first) = rest.chars().next() else {
                break;
            };
            match first {
                ',' => {
                    rest = &rest[1..];
                    comma_needed = false;
                }
                '*' => {
                    if comma_needed {
                        return Err("Comma was expected to separate etags. Encountered a wildcard character '*' instead.".into());
                    }
                    return Ok(vec![EtagCondition::Wildcard]);
                }
                'W' => {
                    if comma_needed {
                        return Err("Comma was expected to separate etags. Encountered a weak quotation character 'W' instead. This would otherwise indicate the start of a new weak etag.".into());
                    }
                    let Some(after) = rest.strip_prefix("W/\"") else {
                        return Err(
                            "Weak etags must start with W/ and their value must be quoted".into(),
                        );
                    };
                    let end = after
                        .find('"')
                        .ok_or_else(|| "Unclosed double quote for Etag".to_owned())?;
                    out.push(EtagCondition::Weak(after[..end].to_owned()));
                    rest = &after[end + 1..];
                    comma_needed = true;
                }
                '"' => {
                    if comma_needed {
                        return Err("Comma was expected to separate etags. Encountered a double quote character '\"' instead. This would otherwise indicate the start of a new strong etag.".into());
                    }
                    let after = &rest[1..];
                    let end = after
                        .find('"')
                        .ok_or_else(|| "Unclosed double quote for Etag".to_owned())?;
                    out.push(EtagCondition::Strong(after[..end].to_owned()));
                    rest = &after[end + 1..];
                    comma_needed = true;
                }
                _ => break,
            }
        }
        if out.is_empty() {
            return Err(format!("Invalid ETag in {header} header"));
        }
        Ok(out)
    }

    /// Whether the conditions hold for an object with this ETag and upload
    /// time, or for no object (`None`).
    pub fn holds(&self, object: Option<(&str, i64)>) -> bool {
        let Some((etag, uploaded)) = object else {
            // Without an object only the conditions that need one fail.
            return self.etag_matches.is_none() && self.uploaded_after.is_none();
        };
        let seconds = |ms: i64| {
            if self.seconds_granularity {
                ms.div_euclid(1000) * 1000
            } else {
                ms
            }
        };
        let uploaded = seconds(uploaded);
        let if_match = self
            .etag_matches
            .as_ref()
            .is_none_or(|list| includes(list, etag, false));
        let if_none_match = self
            .etag_does_not_match
            .as_ref()
            .is_none_or(|list| !includes(list, etag, true));
        let modified_since = match self.uploaded_after {
            None => true,
            Some(after) => {
                seconds(after) < uploaded || (self.etag_does_not_match.is_some() && if_none_match)
            }
        };
        let unmodified_since = match self.uploaded_before {
            None => true,
            Some(before) => uploaded < seconds(before) || (self.etag_matches.is_some() && if_match),
        };
        if_match && if_none_match && modified_since && unmodified_since
    }
}

fn includes(list: &[EtagCondition], etag: &str, weak: bool) -> bool {
    list.iter().any(|c| match c {
        EtagCondition::Wildcard => true,
        EtagCondition::Strong(v) => v == etag,
        EtagCondition::Weak(v) => weak && v == etag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strong(s: &str) -> EtagCondition {
        EtagCondition::Strong(s.into())
    }

    #[test]
    fn etag_headers_parse_lists_weak_tags_and_wildcards() {
        assert_eq!(
            Conditional::etag_header(r#""a", W/"b" ,"c""#, "if-match").unwrap(),
            vec![strong("a"), EtagCondition::Weak("b".into()), strong("c")]
        );
        assert_eq!(
            Conditional::etag_header(r#""a", *"#, "if-match").unwrap(),
            vec![EtagCondition::Wildcard]
        );
        assert_eq!(
            Conditional::etag_header("abc", "if-none-match").unwrap_err(),
            "Invalid ETag in if-none-match header"
        );
        assert!(Conditional::etag_header(r#""a" "b""#, "if-match")
            .unwrap_err()
            .starts_with("Comma was expected"));
        assert_eq!(
            Conditional::etag_header(r#""a"#, "if-match").unwrap_err(),
            "Unclosed double quote for Etag"
        );
        assert_eq!(
            Conditional::etag_option("\"q\"").unwrap_err(),
            "Conditional ETag should not be wrapped in quotes (\"q\")."
        );
    }

    #[test]
    fn conditions_follow_the_precedence_of_http() {
        let object = Some(("e1", 10_500));
        let c = |f: fn(&mut Conditional)| {
            let mut c = Conditional::default();
            f(&mut c);
            c
        };
        assert!(c(|c| c.etag_matches = Some(vec![strong("e1")])).holds(object));
        assert!(!c(|c| c.etag_matches = Some(vec![strong("e2")])).holds(object));
        // A weak tag never matches If-Match, and does match If-None-Match.
        assert!(
            !c(|c| c.etag_matches = Some(vec![EtagCondition::Weak("e1".into())])).holds(object)
        );
        assert!(
            !c(|c| c.etag_does_not_match = Some(vec![EtagCondition::Weak("e1".into())]))
                .holds(object)
        );
        assert!(c(|c| c.uploaded_after = Some(10_000)).holds(object));
        assert!(!c(|c| c.uploaded_after = Some(10_500)).holds(object));
        assert!(c(|c| c.uploaded_before = Some(10_501)).holds(object));
        assert!(!c(|c| c.uploaded_before = Some(10_500)).holds(object));
        // To the second, 10.5 s is 10 s.
        assert!(!c(|c| {
            c.uploaded_after = Some(10_000);
            c.seconds_granularity = true;
        })
        .holds(object));
        // If-None-Match that holds overrides If-Modified-Since.
        assert!(c(|c| {
            c.etag_does_not_match = Some(vec![strong("other")]);
            c.uploaded_after = Some(20_000);
        })
        .holds(object));
        // If-Match that holds overrides If-Unmodified-Since.
        assert!(c(|c| {
            c.etag_matches = Some(vec![strong("e1")]);
            c.uploaded_before = Some(0);
        })
        .holds(object));
        // Without an object, only etagMatches and uploadedAfter fail.
        assert!(!c(|c| c.etag_matches = Some(vec![EtagCondition::Wildcard])).holds(None));
        assert!(!c(|c| c.uploaded_after = Some(0)).holds(None));
        assert!(c(|c| c.etag_does_not_match = Some(vec![EtagCondition::Wildcard])).holds(None));
        assert!(c(|c| c.uploaded_before = Some(0)).holds(None));
    }
}
