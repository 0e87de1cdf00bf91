//! MIME types as the MIME Sniffing standard parses and serializes them
//! ("parse a MIME type", "serialize a MIME type"), for the `Content-Type`
//! of `data:` URL responses.

/// A parsed MIME type: lowercase type and subtype, and its parameters in
/// order (names lowercase, the first of each name kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MimeType {
    kind: String,
    subtype: String,
    parameters: Vec<(String, String)>,
}

/// HTTP whitespace: tab, line feed, carriage return, space.
fn is_http_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' ')
}

/// An HTTP token code point (RFC 9110 `tchar`).
fn is_token(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A code point allowed in an HTTP quoted string.
fn is_quoted_string_token(c: char) -> bool {
    matches!(c, '\t' | ' '..='~' | '\u{80}'..='\u{ff}')
}

fn all_token(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_token)
}

impl MimeType {
    /// `text/plain;charset=US-ASCII`, the type of a `data:` URL whose own
    /// type does not parse.
    pub(crate) fn text_plain_us_ascii() -> Self {
        Self {
            kind: "text".into(),
            subtype: "plain".into(),
            parameters: vec![("charset".into(), "US-ASCII".into())],
        }
    }

    /// Parses `input`; `None` where the standard returns failure.
    pub(crate) fn parse(input: &str) -> Option<Self> {
        let input = input.trim_matches(is_http_whitespace);
        let (kind, rest) = input.split_once('/')?;
        if !all_token(kind) {
            return None;
        }
        let (subtype, mut rest) = match rest.find(';') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let subtype = subtype.trim_end_matches(is_http_whitespace);
        if !all_token(subtype) {
            return None;
        }
        let mut mime = Self {
            kind: kind.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            parameters: Vec::new(),
        };
        // Each turn starts at a ';'.
        while let Some(at_semicolon) = rest {
            let s = at_semicolon[1..].trim_start_matches(is_http_whitespace);
            let name_end = s.find([';', '=']).unwrap_or(s.len());
            let name = s[..name_end].to_ascii_lowercase();
            let s = &s[name_end..];
            if s.starts_with(';') {
                rest = Some(s);
                continue;
            }
            // Past the end, or past the '=' with nothing after it.
            if s.len() <= 1 {
                break;
            }
            let s = &s[1..];
            let value;
            if s.starts_with('"') {
                let (quoted, after) = collect_quoted_string(s);
                value = quoted;
                rest = after.find(';').map(|i| &after[i..]);
            } else {
                let end = s.find(';').unwrap_or(s.len());
                value = s[..end].trim_end_matches(is_http_whitespace).to_owned();
                rest = (end < s.len()).then(|| &s[end..]);
                if value.is_empty() {
                    continue;
                }
            }
            if all_token(&name)
                && value.chars().all(is_quoted_string_token)
                && !mime.parameters.iter().any(|(n, _)| *n == name)
            {
                mime.parameters.push((name, value));
            }
        }
        Some(mime)
    }

    /// The standard's serialization: `type/subtype;name=value…`, with values
    /// that are not tokens quoted.
    pub(crate) fn serialize(&self) -> String {
        let mut out = format!("{}/{}", self.kind, self.subtype);
        for (name, value) in &self.parameters {
            out.push(';');
            out.push_str(name);
            out.push('=');
            if all_token(value) {
                out.push_str(value);
            } else {
                out.push('"');
                for c in value.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
        out
    }
}

/// "Collect an HTTP quoted string" with extract-value set, from `s` (which
/// starts with '"'): the value and what follows it.
fn collect_quoted_string(s: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => value.push('\\'),
            },
            c => value.push(c),
        }
    }
    let consumed = chars.next().map_or(s.len(), |(i, _)| i + 1);
    (value, &s[consumed..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &str) -> Option<String> {
        MimeType::parse(s).map(|m| m.serialize())
    }

    #[test]
    fn parses_and_serializes_as_the_standard_says() {
        let cases = [
            ("text/html", "text/html"),
            (" TEXT/Html ; Charset=UTF-8 ", "text/html;charset=UTF-8"),
            ("a/b;x=1;x=2", "a/b;x=1"),
            ("a/b;x=\"q\\\"u\\\\o\";y", "a/b;x=\"q\\\"u\\\\o\""),
            ("a/b;x=\"abc", "a/b;x=abc"),
            ("a/b;x=\"a\"junk;y=2", "a/b;x=a;y=2"),
            ("a/b;x=;y=\"\"", "a/b;y=\"\""),
            ("a/b; x = 1", "a/b"),
            ("a/b;;;x=1", "a/b;x=1"),
            ("a/b;x=é", "a/b;x=\"é\""),
        ];
        for (input, serialized) in cases {
            assert_eq!(round(input).as_deref(), Some(serialized), "{input:?}");
        }
        for bad in [
            "",
            "text",
            "text/",
            "/html",
            "te xt/html",
            "text/ht ml",
            "text/html/",
        ] {
            assert_eq!(round(bad), None, "{bad:?}");
        }
    }
}
