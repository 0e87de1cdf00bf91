//! `send_email`: a Worker's email bindings, `[[workers.send_email]]` in
//! motu.toml and `send_email` in a Wrangler config (the same keys; not
//! inherited by `[env.NAME]` sections, as in Wrangler).
//!
//! ```toml
//! [[workers.send_email]]
//! name = "EMAIL"                                  # the name in `env`
//! destination_address = "ops@example.com"         # the one recipient allowed
//! allowed_destination_addresses = ["a@example.com", "b@example.com"]
//! allowed_sender_addresses = ["noreply@example.com"]
//! ```
//!
//! Each restriction is optional: without any, the binding may send from
//! and to any address. `destination_address` and
//! `allowed_destination_addresses` exclude each other, as Wrangler
//! requires. Nothing is sent: as under `wrangler dev`, each message is
//! written to a file under the state folder (see the runtime's `email`
//! module).

use serde::Deserialize;

/// The keys of a `send_email` entry motu reads from a Wrangler config.
pub(crate) const WRANGLER_KEYS: &[&str] = &[
    "name",
    "destination_address",
    "allowed_destination_addresses",
    "allowed_sender_addresses",
];

/// One `[[workers.send_email]]` entry, as serde reads it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSendEmail {
    pub(crate) name: Option<String>,
    pub(crate) destination_address: Option<String>,
    pub(crate) allowed_destination_addresses: Option<Vec<String>>,
    pub(crate) allowed_sender_addresses: Option<Vec<String>>,
}

/// An email binding: `env.NAME.send(message)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendEmailBinding {
    /// `name`: the name in `env`. Required.
    pub name: String,
    /// `destination_address`: the only recipient allowed, and the one a
    /// message without a recipient goes to. Default none.
    pub destination_address: Option<String>,
    /// `allowed_destination_addresses`: the recipients allowed. Default
    /// none (any).
    pub allowed_destination_addresses: Option<Vec<String>>,
    /// `allowed_sender_addresses`: the senders allowed. Default none (any).
    pub allowed_sender_addresses: Option<Vec<String>>,
}

/// Whether `address` looks like an email address: one `@` with something
/// on each side, and no white space.
fn is_address(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Validates a Worker's `send_email`; `taken` tells whether a name in
/// `env` is already used by another binding. Errors are `(field, message)`
/// with the field relative to the Worker.
pub(crate) fn validate(
    raw: &[RawSendEmail],
    taken: &dyn Fn(&str) -> bool,
) -> Result<Vec<SendEmailBinding>, (String, String)> {
    let mut out: Vec<SendEmailBinding> = Vec::new();
    for (i, r) in raw.iter().enumerate() {
        let field = |f: &str| format!("send_email[{i}].{f}");
        let name = match &r.name {
            Some(n) if !n.is_empty() => n.clone(),
            _ => return Err((field("name"), "missing".into())),
        };
        if taken(&name) || out.iter().any(|o| o.name == name) {
            return Err((
                field("name"),
                format!("'{name}' is already a binding of this Worker"),
            ));
        }
        if r.destination_address.is_some() && r.allowed_destination_addresses.is_some() {
            return Err((
                field("destination_address"),
                "cannot be set with allowed_destination_addresses".into(),
            ));
        }
        let check = |f: &str, a: &str| {
            if is_address(a) {
                Ok(())
            } else {
                Err((field(f), format!("'{a}' is not an email address")))
            }
        };
        if let Some(a) = &r.destination_address {
            check("destination_address", a)?;
        }
        for (key, list) in [
            (
                "allowed_destination_addresses",
                &r.allowed_destination_addresses,
            ),
            ("allowed_sender_addresses", &r.allowed_sender_addresses),
        ] {
            for a in list.iter().flatten() {
                check(key, a)?;
            }
        }
        out.push(SendEmailBinding {
            name,
            destination_address: r.destination_address.clone(),
            allowed_destination_addresses: r.allowed_destination_addresses.clone(),
            allowed_sender_addresses: r.allowed_sender_addresses.clone(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str) -> RawSendEmail {
        RawSendEmail {
            name: Some(name.into()),
            destination_address: None,
            allowed_destination_addresses: None,
            allowed_sender_addresses: None,
        }
    }

    #[test]
    fn bindings_are_checked() {
        let none = |_: &str| false;
        let ok = validate(&[raw("EMAIL")], &none).unwrap();
        assert_eq!(ok[0].name, "EMAIL");
        let err = validate(&[raw("A"), raw("A")], &none).unwrap_err();
        assert_eq!(err.0, "send_email[1].name");
        let mut both = raw("B");
        both.destination_address = Some("a@example.com".into());
        both.allowed_destination_addresses = Some(vec!["b@example.com".into()]);
        assert_eq!(
            validate(&[both], &none).unwrap_err().0,
            "send_email[0].destination_address"
        );
        let mut bad = raw("C");
        bad.allowed_sender_addresses = Some(vec!["nobody".into()]);
        let err = validate(&[bad], &none).unwrap_err();
        assert_eq!(err.1, "'nobody' is not an email address");
        let err = validate(&[raw("KV")], &|n| n == "KV").unwrap_err();
        assert!(err.1.contains("already a binding"), "{}", err.1);
    }
}
