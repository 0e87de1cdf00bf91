//! What Cloudflare checks of a message before it sends, forwards or
//! replies, with the errors its runtime throws (the ones `wrangler dev`
//! gives too, where it has them): a binding's sender and recipient
//! restrictions, a raw message's `Message-ID` and `From` header, and the
//! documented rules of replies.

use super::mime::{domain_of, first_address, same_address, MessageHeaders};

/// The largest message, in bytes: Email Routing's limit (25 MiB).
pub const MAX_MESSAGE_BYTES: usize = 25 << 20;

/// The most `References` entries of a message that may be replied to.
pub const MAX_REFERENCES: usize = 100;

/// The restrictions of a `send_email` binding (none: any sender, any
/// recipient).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendRules {
    /// The only recipient allowed (and the default one).
    pub destination_address: Option<String>,
    /// The recipients allowed.
    pub allowed_destination_addresses: Option<Vec<String>>,
    /// The senders allowed.
    pub allowed_sender_addresses: Option<Vec<String>>,
}

impl SendRules {
    /// `Err`: the binding may not send from `from`.
    pub fn check_sender(&self, from: &str) -> Result<(), String> {
        match &self.allowed_sender_addresses {
            Some(list) if !list.iter().any(|a| same_address(a, from)) => {
                Err(format!("email from {from} not allowed"))
            }
            _ => Ok(()),
        }
    }

    /// `Err`: the binding may not send to `to`.
    pub fn check_recipient(&self, to: &str) -> Result<(), String> {
        let fixed = self
            .destination_address
            .as_ref()
            .is_some_and(|d| !same_address(d, to));
        let listed = self
            .allowed_destination_addresses
            .as_ref()
            .is_some_and(|list| !list.iter().any(|a| same_address(a, to)));
        if fixed || listed {
            return Err(format!("email to {to} not allowed"));
        }
        Ok(())
    }
}

/// `Err`: `raw` is larger than a message may be.
pub fn check_size(raw: &[u8]) -> Result<(), String> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(format!(
            "email message is {} bytes, over the limit of 25 MiB ({MAX_MESSAGE_BYTES} bytes)",
            raw.len()
        ));
    }
    Ok(())
}

/// Checks the raw message `raw` sent with the envelope sender `from`: its
/// size, a `Message-ID`, a `From` header naming `from`, and no `Received`
/// header (which only mail servers add). Its header fields when it passes.
pub fn check_message(from: &str, raw: &[u8]) -> Result<MessageHeaders, String> {
    check_size(raw)?;
    let headers = MessageHeaders::parse(raw);
    if headers.message_id().is_none() {
        return Err("invalid message-id".into());
    }
    let header_from = headers.get("from").and_then(first_address);
    if !header_from.is_some_and(|a| same_address(&a, from)) {
        return Err("From: header does not match mail from".into());
    }
    if headers.has("received") {
        return Err("invalid headers set".into());
    }
    Ok(headers)
}

/// `Err`: the incoming message may not be replied to: its sender asked for
/// no automatic answers (`X-Auto-Response-Suppress`, `Auto-Submitted`),
/// it is in a thread with only one of `In-Reply-To` and `References`, or
/// its `References` has too many entries.
pub fn check_replyable(incoming: &MessageHeaders) -> Result<(), String> {
    let not_replyable = || Err("Original email is not replyable".to_owned());
    let suppress = incoming.get("x-auto-response-suppress");
    if suppress.is_some_and(|v| !v.eq_ignore_ascii_case("none")) {
        return not_replyable();
    }
    let submitted = incoming.get("auto-submitted");
    if submitted.is_some_and(|v| !v.eq_ignore_ascii_case("no")) {
        return not_replyable();
    }
    match (incoming.get("in-reply-to"), incoming.get("references")) {
        (None, None) => Ok(()),
        (Some(_), Some(refs)) if refs.matches('@').count() >= MAX_REFERENCES => Err(format!(
            "Original email is not replyable: its References header has more than \
             {MAX_REFERENCES} entries"
        )),
        (Some(_), Some(_)) => Ok(()),
        _ => not_replyable(),
    }
}

/// The incoming message of an email event, as a reply is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// Its envelope sender.
    pub from: &'a str,
    /// Its envelope recipient.
    pub to: &'a str,
    /// Its header fields.
    pub headers: &'a MessageHeaders,
}

/// Checks the reply `raw`, from `from` to `to`, to `incoming` (the
/// documented rules: the recipient is the incoming sender, the sender's
/// domain is the one that received the message, `In-Reply-To` names the
/// incoming `Message-ID`, and a `References` header given keeps the
/// incoming one's entries). The reply to deliver: `raw` with a
/// `References` header first when it had none.
pub fn check_reply(
    incoming: Incoming<'_>,
    from: &str,
    to: &str,
    raw: &[u8],
) -> Result<Vec<u8>, String> {
    check_replyable(incoming.headers)?;
    if !same_address(to, incoming.from) {
        return Err(format!(
            "a reply must go to the sender of the original email ({}), not {to}",
            incoming.from
        ));
    }
    if !domain_of(from).eq_ignore_ascii_case(domain_of(incoming.to)) {
        return Err(format!(
            "a reply must come from the domain that received the original email ({}), not {from}",
            domain_of(incoming.to)
        ));
    }
    let headers = check_message(from, raw)?;
    let original_id = incoming.headers.message_id().unwrap_or_default();
    let Some(in_reply_to) = headers.get("in-reply-to") else {
        return Err("no In-Reply-To header found in reply message".into());
    };
    if in_reply_to != original_id {
        return Err("In-Reply-To does not match original Message-ID".into());
    }
    let original_refs = incoming.headers.get("references").unwrap_or_default();
    match headers.get("references") {
        Some(refs) if refs.contains(original_id) && refs.contains(original_refs) => Ok(raw.into()),
        Some(_) => Err("provided References header is invalid".into()),
        None => {
            let mut out = format!("References: {original_id}").into_bytes();
            if !original_refs.is_empty() {
                out.push(b' ');
                out.extend_from_slice(original_refs.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(raw);
            Ok(out)
        }
    }
}

/// `Err`: `name` may not be added to a forwarded message (only `X-*`
/// headers may).
pub fn check_forward_header(name: &str) -> Result<(), String> {
    let x = name.len() > 2 && name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("x-"));
    if !x {
        return Err(format!(
            "invalid headers set: only X-* headers may be added to a forwarded message, not '{name}'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const INCOMING: &[u8] = b"From: sender@example.com\r\nTo: me@mine.test\r\n\
                              Message-ID: <in@example.com>\r\nSubject: hi\r\n\r\nhello";

    fn incoming(headers: &MessageHeaders) -> Incoming<'_> {
        Incoming {
            from: "sender@example.com",
            to: "me@mine.test",
            headers,
        }
    }

    #[test]
    fn bindings_restrict_senders_and_recipients() {
        let open = SendRules::default();
        assert!(open.check_sender("a@x.test").is_ok() && open.check_recipient("b@x.test").is_ok());
        let rules = SendRules {
            destination_address: Some("ops@x.test".into()),
            allowed_destination_addresses: None,
            allowed_sender_addresses: Some(vec!["noreply@x.test".into()]),
        };
        assert_eq!(
            rules.check_sender("evil@x.test").unwrap_err(),
            "email from evil@x.test not allowed"
        );
        assert!(rules.check_recipient("OPS@x.test").is_ok());
        assert_eq!(
            rules.check_recipient("b@x.test").unwrap_err(),
            "email to b@x.test not allowed"
        );
    }

    #[test]
    fn a_message_needs_an_id_and_its_sender_in_from() {
        let ok = b"From: \"A\" <a@x.test>\r\nMessage-ID: <1@x.test>\r\n\r\nbody";
        assert!(check_message("a@x.test", ok).is_ok());
        assert_eq!(
            check_message("a@x.test", b"From: a@x.test\r\n\r\n").unwrap_err(),
            "invalid message-id"
        );
        assert_eq!(
            check_message("b@x.test", ok).unwrap_err(),
            "From: header does not match mail from"
        );
        let received = b"Received: by mx\r\nFrom: a@x.test\r\nMessage-ID: <1@x>\r\n\r\n";
        assert_eq!(
            check_message("a@x.test", received).unwrap_err(),
            "invalid headers set"
        );
        let big = vec![b'a'; MAX_MESSAGE_BYTES + 1];
        assert!(check_message("a@x.test", &big)
            .unwrap_err()
            .contains("over the limit of 25 MiB"));
    }

    #[test]
    fn replies_follow_the_documented_rules() {
        let h = MessageHeaders::parse(INCOMING);
        let reply =
            b"From: bot@mine.test\r\nTo: sender@example.com\r\nMessage-ID: <r@mine.test>\r\n\
                      In-Reply-To: <in@example.com>\r\n\r\nthanks";
        let out = check_reply(incoming(&h), "bot@mine.test", "sender@example.com", reply).unwrap();
        assert!(out.starts_with(b"References: <in@example.com>\r\nFrom:"));
        let err = |from, to, raw: &[u8]| check_reply(incoming(&h), from, to, raw).unwrap_err();
        assert!(err("bot@mine.test", "other@example.com", reply).contains("sender of the original"));
        assert!(err("bot@else.test", "sender@example.com", reply).contains("domain that received"));
        let no_irt = b"From: bot@mine.test\r\nMessage-ID: <r@mine.test>\r\n\r\n";
        assert_eq!(
            err("bot@mine.test", "sender@example.com", no_irt),
            "no In-Reply-To header found in reply message"
        );
        let wrong = b"From: bot@mine.test\r\nMessage-ID: <r@m>\r\nIn-Reply-To: <x@y>\r\n\r\n";
        assert_eq!(
            err("bot@mine.test", "sender@example.com", wrong),
            "In-Reply-To does not match original Message-ID"
        );
        let auto = MessageHeaders::parse(b"Auto-Submitted: auto-replied\r\n\r\n");
        assert_eq!(
            check_replyable(&auto).unwrap_err(),
            "Original email is not replyable"
        );
        let half = MessageHeaders::parse(b"In-Reply-To: <a@b>\r\n\r\n");
        assert!(check_replyable(&half).is_err());
    }

    #[test]
    fn only_x_headers_are_added_to_forwards() {
        assert!(check_forward_header("X-Tag").is_ok());
        assert!(check_forward_header("Subject")
            .unwrap_err()
            .contains("only X-* headers"));
        assert!(check_forward_header("\u{e9}t\u{e9}").is_err());
    }
}
