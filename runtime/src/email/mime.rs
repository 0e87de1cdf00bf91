//! Just enough of RFC 5322 to check a message: its header fields
//! (unfolded, in order) and the addresses of an address header.
//!
//! The header section ends at the first empty line (CRLF or bare LF line
//! ends alike); a message without one is all header. A line that starts
//! with a space or a tab continues the field before it. A line that is not
//! a field (no `:`, or a name that is not a token) is skipped, as lenient
//! mail parsers do. Values are the field's bytes as Latin-1 characters
//! (RFC 2047 encoded words are left as they are), so that any value is a
//! valid `Headers` value in JavaScript.

/// A message's header fields, in order, as `(name, value)`: names as
/// written, values unfolded and trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageHeaders(pub Vec<(String, String)>);

impl MessageHeaders {
    /// The header fields of the message `raw`.
    pub fn parse(raw: &[u8]) -> Self {
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut continuing = false;
        for line in raw.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                break;
            }
            if matches!(line[0], b' ' | b'\t') {
                if let (true, Some((_, value))) = (continuing, fields.last_mut()) {
                    value.push(' ');
                    value.push_str(latin1(line).trim());
                }
                continue;
            }
            continuing = false;
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                continue;
            };
            let name = &line[..colon];
            let token = !name.is_empty()
                && name
                    .iter()
                    .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(b));
            if !token {
                continue;
            }
            let value = latin1(&line[colon + 1..]).trim().to_owned();
            fields.push((latin1(name), value));
            continuing = true;
        }
        Self(fields)
    }

    /// The value of the first field named `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether a field named `name` (any case) is there.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The message id (`Message-ID`), when it has a non-empty one.
    pub fn message_id(&self) -> Option<&str> {
        self.get("message-id").filter(|v| !v.is_empty())
    }
}

/// Bytes as Latin-1 characters: every byte is the character of its value.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// The addresses of an address header's value (`From`, `To`, `Cc`, …):
/// `"Name" <a@example.com>, b@example.com (comment), Group: c@example.com;`
/// gives `a@example.com`, `b@example.com`, `c@example.com`. Display names,
/// comments and group names are dropped; quoted strings may hold commas
/// and angle brackets.
pub fn addresses(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut item = String::new();
    let mut angle: Option<String> = None;
    let mut in_angle = false;
    let mut quoted = false;
    let mut escaped = false;
    let mut comment = 0u32;
    let finish = |item: &mut String, angle: &mut Option<String>, out: &mut Vec<String>| {
        let address = match angle.take() {
            Some(a) => a,
            None => item.trim().to_owned(),
        };
        let address = address.trim().to_owned();
        if !address.is_empty() {
            out.push(address);
        }
        item.clear();
    };
    for c in value.chars() {
        if escaped {
            escaped = false;
            if in_angle {
                angle.get_or_insert_with(String::new).push(c);
            }
            continue;
        }
        if quoted {
            match c {
                '\\' => escaped = true,
                '"' => quoted = false,
                _ if in_angle => angle.get_or_insert_with(String::new).push(c),
                _ => {}
            }
            continue;
        }
        if comment > 0 {
            match c {
                '\\' => escaped = true,
                '(' => comment += 1,
                ')' => comment -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '(' => comment = 1,
            '<' => {
                in_angle = true;
                angle = Some(String::new());
            }
            '>' if in_angle => in_angle = false,
            _ if in_angle => angle.get_or_insert_with(String::new).push(c),
            // A group's name ends at its colon; its list ends at `;`.
            ':' => item.clear(),
            ',' | ';' => finish(&mut item, &mut angle, &mut out),
            _ => item.push(c),
        }
    }
    finish(&mut item, &mut angle, &mut out);
    out
}

/// The first address of an address header's value.
pub fn first_address(value: &str) -> Option<String> {
    addresses(value).into_iter().next()
}

/// Whether two addresses are the same, ignoring ASCII case.
pub fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The domain of an address: what follows its last `@`.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_unfolded_and_end_at_the_empty_line() {
        let raw = b"From: \"A\" <a@example.com>\r\nSubject: one\r\n  two\r\nbroken line\r\n\
                    X-Empty:\r\n\r\nNot-A-Header: body\r\n";
        let h = MessageHeaders::parse(raw);
        assert_eq!(
            h.0,
            vec![
                ("From".to_owned(), "\"A\" <a@example.com>".to_owned()),
                ("Subject".to_owned(), "one two".to_owned()),
                ("X-Empty".to_owned(), String::new()),
            ]
        );
        assert_eq!(h.get("subject"), Some("one two"));
        assert!(!h.has("not-a-header"));
        assert_eq!(h.message_id(), None);
        let lf = MessageHeaders::parse(b"Message-ID: <x@y>\nTo: b@example.com\n\nbody");
        assert_eq!(lf.message_id(), Some("<x@y>"));
        assert_eq!(lf.get("TO"), Some("b@example.com"));
        let bytes = MessageHeaders::parse(b"Subject: caf\xc3\xa9\r\n\r\n");
        assert_eq!(bytes.get("subject"), Some("caf\u{c3}\u{a9}"));
    }

    #[test]
    fn addresses_drop_names_comments_and_groups() {
        assert_eq!(
            addresses(
                "\"Doe, John\" <john@example.com>, jane@example.com (Jane), \
                 Team: a@example.com, B <b@example.com>;"
            ),
            vec![
                "john@example.com",
                "jane@example.com",
                "a@example.com",
                "b@example.com"
            ]
        );
        assert_eq!(
            first_address("sender@example.com").unwrap(),
            "sender@example.com"
        );
        assert_eq!(
            first_address("\"x <y>\" <z@example.com>").unwrap(),
            "z@example.com"
        );
        assert!(addresses("").is_empty());
        assert!(same_address("A@Example.com", "a@example.com"));
        assert_eq!(domain_of("a@example.com"), "example.com");
    }
}
