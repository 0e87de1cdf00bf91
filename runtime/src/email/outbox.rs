//! Where messages go instead of being sent: as under `wrangler dev`,
//! nothing leaves the machine. Each message a Worker sends, forwards or
//! replies is written whole (RFC 5322, `.eml`) to a file of its own under
//! the state folder, `email/sent/`, `email/forwarded/` or
//! `email/replied/`, and a log line says where, so that the developer can
//! read what would have gone out.

use std::path::{Path, PathBuf};

/// What became of a message: the folder its file goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outgoing {
    /// Sent through a `send_email` binding.
    Sent,
    /// Forwarded by an `email` handler (`message.forward()`).
    Forwarded,
    /// A reply of an `email` handler (`message.reply()`).
    Replied,
}

impl Outgoing {
    /// The folder's name, under `email/`.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Forwarded => "forwarded",
            Self::Replied => "replied",
        }
    }
}

/// The `email/` folder of a state folder.
#[derive(Debug, Clone)]
pub struct Outbox {
    root: PathBuf,
}

impl Outbox {
    /// The outbox of the state folder `state`.
    pub fn in_state_folder(state: &Path) -> Self {
        Self {
            root: state.join("email"),
        }
    }

    /// Writes `message` to a new file for `what`; its path.
    pub fn write(&self, what: Outgoing, message: &[u8]) -> std::io::Result<PathBuf> {
        let folder = self.root.join(what.folder());
        std::fs::create_dir_all(&folder)?;
        let path = folder.join(format!("{}.eml", random_alphanumeric(32)));
        std::fs::write(&path, message)?;
        Ok(path)
    }
}

/// `n` random letters and digits.
fn random_alphanumeric(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    // Ids need not be secret: a failing source leaves zeros, still ids.
    let _ = getrandom::getrandom(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A message id as Cloudflare's binding returns one:
/// `<36 letters and digits@the sender's domain>`.
pub fn new_message_id(sender: &str) -> String {
    let domain = super::mime::domain_of(sender);
    format!("<{}@{domain}>", random_alphanumeric(36))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_written_to_files_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = Outbox::in_state_folder(dir.path());
        let a = outbox.write(Outgoing::Sent, b"one").unwrap();
        let b = outbox.write(Outgoing::Sent, b"two").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(dir.path().join("email/sent")));
        assert_eq!(std::fs::read(&b).unwrap(), b"two");
        let id = new_message_id("a@example.com");
        assert!(id.starts_with('<') && id.ends_with("@example.com>") && id.len() == 50);
    }
}
