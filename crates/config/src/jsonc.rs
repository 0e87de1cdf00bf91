//! JSON with comments (`wrangler.jsonc`): `//` and `/* */` comments and
//! trailing commas are removed, leaving JSON that `serde_json` reads. Every
//! removed character becomes a space (newlines stay), so the parser's line
//! and column numbers still point into the original text.

/// The JSON text of `text`, with comments and trailing commas blanked out.
pub(crate) fn to_json(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    // The index of a comma that may turn out to be trailing.
    let mut comma: Option<usize> = None;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                comma = None;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let start = i;
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                for b in &mut out[start..i] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
            }
            b',' => {
                comma = Some(i);
                i += 1;
            }
            b']' | b'}' => {
                if let Some(c) = comma.take() {
                    out[c] = b' ';
                }
                i += 1;
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                comma = None;
                i += 1;
            }
        }
    }
    // Only ASCII bytes outside strings were replaced by spaces, so the text
    // is still UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::to_json;

    #[test]
    fn comments_and_trailing_commas_go() {
        let text = r#"{
  // a comment, "with quotes"
  "name": "a // not a comment", /* block
  comment */ "list": [1, 2,],
  "url": "http://x/*y*/",
  "o": { "k": "v\"", },
}"#;
        let json = to_json(text);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["name"], "a // not a comment");
        assert_eq!(v["list"], serde_json::json!([1, 2]));
        assert_eq!(v["url"], "http://x/*y*/");
        assert_eq!(v["o"]["k"], "v\"");
        assert_eq!(json.lines().count(), text.lines().count());
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for text in ["{\"a", "/* x", "{\"a\\", "//"] {
            let _ = to_json(text);
        }
    }
}
