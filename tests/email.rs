//! Email Workers against the real server, on every engine: `send_email`
//! bindings write what they would send to files of the state folder (and
//! throw Cloudflare's errors for what they may not send), and `POST
//! /cdn-cgi/handler/email` runs the `email` handler, whose setReject(),
//! forward(), reply() and reading of the message the answer tells.

mod common;

use std::path::Path;

use common::{on_each_engine, Server, TempConfig};

const CONFIG: &str = "\
[[workers]]
name = \"mail\"
main = \"email.js\"
routes = [\"mail.test/*\"]
[[workers.send_email]]
name = \"SEB\"
[[workers.send_email]]
name = \"RESTRICTED\"
allowed_sender_addresses = [\"noreply@example.com\"]
allowed_destination_addresses = [\"alice@example.com\"]
[[workers.send_email]]
name = \"OPS\"
destination_address = \"ops@example.com\"
";

fn config(engine: &str, server: &str) -> TempConfig {
    TempConfig::new(&[
        ("email.js", include_str!("fixtures/email.js")),
        (
            "motu.toml",
            &format!("[server]\nengine = \"{engine}\"\n{server}\n{CONFIG}"),
        ),
    ])
}

fn start(c: &TempConfig) -> Server {
    Server::start(&["--config", &c.path("motu.toml")])
}

const HOST: &[(&str, &str)] = &[("host", "mail.test")];

/// A message from `from` to `to` with `extra` header lines.
fn message(from: &str, to: &str, extra: &str) -> String {
    format!(
        "From: \"Sender\" <{from}>\r\nTo: {to}\r\nSubject: Hello\r\n\
         Message-ID: <m1@example.com>\r\n{extra}\r\nHello there.\r\n"
    )
}

/// What `send()` resolved with (`Ok(messageId)`) or threw.
fn send(s: &Server, path: &str, query: &str, body: &str) -> Result<String, String> {
    let r = s.request("POST", &format!("{path}?{query}"), HOST, body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let v: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
    match v["ok"].as_bool() {
        Some(true) => Ok(v["messageId"].as_str().unwrap().to_owned()),
        _ => Err(v["error"].as_str().unwrap().to_owned()),
    }
}

/// The files in `folder` of the outbox of the config in `c`.
fn outbox(c: &TempConfig, folder: &str) -> Vec<std::path::PathBuf> {
    let dir = c.dir.path().join(".motu/state/email").join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// The file a log line names after `marker` (up to the line's end).
fn file_in_log(log: &str, marker: &str) -> String {
    let line = log.lines().rev().find(|l| l.contains(marker)).expect(log);
    let start = line.find(marker).unwrap() + marker.len();
    let rest = &line[start..];
    rest.split(".eml").next().unwrap().to_owned() + ".eml"
}

#[test]
fn send_writes_the_message_to_a_file_instead_of_sending_it() {
    on_each_engine(
        "send_writes_the_message_to_a_file_instead_of_sending_it",
        |engine| {
            let c = config(engine, "");
            let s = start(&c);
            let raw = message("noreply@example.com", "alice@example.com", "");
            let id = send(
                &s,
                "/send",
                "from=noreply@example.com&to=alice@example.com",
                &raw,
            )
            .unwrap();
            assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
            let log = s.wait_for_log("was not sent; it is in ");
            let file = file_in_log(&log, "it is in ");
            assert!(
                Path::new(&file).starts_with(c.dir.path().join(".motu/state/email/sent")),
                "{file}"
            );
            assert_eq!(std::fs::read_to_string(&file).unwrap(), raw);
            assert!(
                log.contains("a message from noreply@example.com to alice@example.com"),
                "{log}"
            );

            // A stream as the raw content, through a restricted binding.
            let id = send(
                &s,
                "/stream",
                "binding=RESTRICTED&from=noreply@example.com&to=alice@example.com",
                &raw,
            );
            assert!(id.is_ok(), "{id:?}");
            assert_eq!(outbox(&c, "sent").len(), 2);

            // The object form is composed into a message.
            let object = serde_json::json!({
                "from": { "email": "noreply@example.com", "name": "Motu" },
                "to": ["alice@example.com"],
                "cc": "carol@example.com",
                "subject": "Object form",
                "text": "plain words",
                "html": "<p>html words</p>",
                "headers": { "X-Campaign": "c1" },
                "attachments": [{ "filename": "a.txt", "type": "text/plain",
                                  "disposition": "attachment", "content": "aGVsbG8=" }],
            });
            assert!(send(&s, "/object", "", &object.to_string()).is_ok());
            let files = outbox(&c, "sent");
            assert_eq!(files.len(), 3);
            let composed = files
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap())
                .find(|t| t.contains("Object form"))
                .unwrap();
            for part in [
                "From: \"Motu\" <noreply@example.com>\r\n",
                "To: alice@example.com\r\n",
                "Cc: carol@example.com\r\n",
                "Subject: Object form\r\n",
                "X-Campaign: c1\r\n",
                "multipart/alternative",
                "plain words",
                "<p>html words</p>",
                "filename=\"a.txt\"",
                "aGVsbG8=",
            ] {
                assert!(composed.contains(part), "{part} in {composed}");
            }
            assert!(composed.contains("Message-ID: <"), "{composed}");

            // The object form without `to` goes to the destination_address.
            let object = serde_json::json!({
                "from": "noreply@example.com", "subject": "To ops", "text": "hi",
            });
            assert!(send(&s, "/object", "binding=OPS", &object.to_string()).is_ok());
            let log = s.wait_for_log("to ops@example.com was not sent");
            let file = file_in_log(&log, "it is in ");
            let text = std::fs::read_to_string(file).unwrap();
            assert!(text.starts_with("To: ops@example.com\r\n"), "{text}");
        },
    );
}

#[test]
fn send_throws_the_documented_errors() {
    on_each_engine("send_throws_the_documented_errors", |engine| {
        let c = config(engine, "");
        let s = start(&c);
        let ok = message("noreply@example.com", "alice@example.com", "");
        let restricted = "binding=RESTRICTED&from=noreply@example.com&to=alice@example.com";
        let cases: Vec<(&str, String, String, &str)> = vec![
            (
                "/send",
                "binding=RESTRICTED&from=evil@example.com&to=alice@example.com".into(),
                message("evil@example.com", "alice@example.com", ""),
                "Error: email from evil@example.com not allowed",
            ),
            (
                "/send",
                "binding=RESTRICTED&from=noreply@example.com&to=bob@example.com".into(),
                message("noreply@example.com", "bob@example.com", ""),
                "Error: email to bob@example.com not allowed",
            ),
            (
                "/send",
                "binding=OPS&from=noreply@example.com&to=bob@example.com".into(),
                ok.clone(),
                "Error: email to bob@example.com not allowed",
            ),
            (
                "/send",
                restricted.into(),
                ok.replace("Message-ID: <m1@example.com>\r\n", ""),
                "Error: invalid message-id",
            ),
            (
                "/send",
                restricted.into(),
                message("other@example.com", "alice@example.com", ""),
                "Error: From: header does not match mail from",
            ),
            (
                "/send",
                restricted.into(),
                message(
                    "noreply@example.com",
                    "alice@example.com",
                    "Received: from mx.example.com\r\n",
                ),
                "Error: invalid headers set",
            ),
            (
                "/object",
                "binding=SEB".into(),
                serde_json::json!({ "from": "a@example.com", "subject": "s" }).to_string(),
                "Error: the email has no recipient: give `to`",
            ),
            (
                "/object",
                "binding=RESTRICTED".into(),
                serde_json::json!({ "from": "noreply@example.com", "to": "alice@example.com",
                                    "bcc": "eve@example.com", "subject": "s" })
                .to_string(),
                "Error: email to eve@example.com not allowed",
            ),
        ];
        for (path, query, body, error) in cases {
            assert_eq!(
                send(&s, path, &query, &body),
                Err(error.to_owned()),
                "{query}"
            );
        }
        assert!(outbox(&c, "sent").is_empty(), "nothing rejected is written");
    });
}

/// `POST /cdn-cgi/handler/email` with a message whose `X-Mode` header
/// tells the handler what to do.
fn deliver(s: &Server, path: &str, mode: &str) -> (u16, String) {
    let raw = message(
        "sender@example.com",
        "me@mine.test",
        &format!("X-Mode: {mode}\r\n"),
    );
    let r = s.request(
        "POST",
        &format!("{path}?from=sender@example.com&to=me@mine.test"),
        HOST,
        raw.as_bytes(),
    );
    (r.status, r.text())
}

const ENDPOINT: &str = "/cdn-cgi/handler/email";

#[test]
fn the_email_handler_reads_rejects_forwards_and_replies() {
    on_each_engine(
        "the_email_handler_reads_rejects_forwards_and_replies",
        |engine| {
            let c = config(engine, "email_endpoint = true");
            let s = start(&c);
            let raw = message("sender@example.com", "me@mine.test", "X-Mode: echo\r\n");
            let (status, text) = deliver(&s, ENDPOINT, "echo");
            assert_eq!(status, 400, "{text}");
            assert_eq!(
                text,
                format!(
                    "Worker rejected email with the following reason: from=sender@example.com \
                     to=me@mine.test subject=Hello rawSize={} raw={} last=\"here.\\r\\n\" \
                     headers=true\n",
                    raw.len(),
                    raw.len()
                )
            );
            assert_eq!(
                deliver(&s, "/cdn-cgi/local/email", "reject"),
                (
                    400,
                    "Worker rejected email with the following reason: no thanks\n".to_owned()
                )
            );

            let (status, text) = deliver(&s, ENDPOINT, "forward");
            assert_eq!(status, 200, "{text}");
            let file = text
                .strip_prefix("Worker successfully processed email\nForwarded to fwd@example.com: ")
                .expect(&text)
                .trim_end();
            let forwarded = std::fs::read_to_string(file).unwrap();
            let original = message("sender@example.com", "me@mine.test", "X-Mode: forward\r\n");
            assert_eq!(forwarded, format!("x-forwarded-by: motu\r\n{original}"));
            assert!(Path::new(file).starts_with(c.dir.path().join(".motu/state/email/forwarded")));

            let (status, text) = deliver(&s, ENDPOINT, "reply");
            assert_eq!(status, 200, "{text}");
            let file = text
                .strip_prefix("Worker successfully processed email\nReplied from me@mine.test: ")
                .expect(&text)
                .trim_end();
            let reply = std::fs::read_to_string(file).unwrap();
            assert!(
                reply.starts_with("References: <m1@example.com>\r\nFrom: me@mine.test\r\n"),
                "{reply}"
            );
            assert!(reply.ends_with("\r\n\r\nThanks!\r\n"), "{reply}");

            // As wrangler's, with format=json.
            let r = s.request(
                "POST",
                &format!("{ENDPOINT}?from=sender@example.com&to=me@mine.test&format=json"),
                HOST,
                message("sender@example.com", "me@mine.test", "X-Mode: forward\r\n").as_bytes(),
            );
            assert_eq!(r.status, 200);
            let v: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
            assert_eq!(v["outcome"], "ok");
            assert_eq!(v["rejectReason"], serde_json::Value::Null);
            assert_eq!(v["forwards"][0]["recipient"], "fwd@example.com");
            assert_eq!(
                v["forwards"][0]["headers"],
                serde_json::json!([["x-forwarded-by", "motu"]])
            );
            assert_eq!(v["replies"], serde_json::json!([]));
            let r = s.request(
                "POST",
                &format!("{ENDPOINT}?from=sender@example.com&to=me@mine.test&format=json"),
                HOST,
                message("sender@example.com", "me@mine.test", "X-Mode: reply\r\n").as_bytes(),
            );
            let v: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
            assert_eq!(v["replies"][0]["sender"], "me@mine.test");
            let raw = v["replies"][0]["raw"].as_str().unwrap();
            assert!(raw.starts_with("References: <m1@example.com>\r\n"), "{raw}");

            // The handler may send through its bindings.
            let (status, text) = deliver(&s, ENDPOINT, "send");
            assert_eq!(
                (status, text.as_str()),
                (200, "Worker successfully processed email\n")
            );
            assert_eq!(outbox(&c, "sent").len(), 1);
        },
    );
}

#[test]
fn replies_and_forwards_are_checked_and_a_throwing_handler_is_an_error() {
    on_each_engine(
        "replies_and_forwards_are_checked_and_a_throwing_handler_is_an_error",
        |engine| {
            let c = config(engine, "email_endpoint = true");
            let s = start(&c);
            for (mode, error) in [
                ("throw", "Error: the email handler broke"),
                ("reply-twice", "Error: an email can only be replied to once"),
                (
                    "reply-elsewhere",
                    "Error: a reply must go to the sender of the original email",
                ),
                (
                    "forward-bad-header",
                    "Error: invalid headers set: only X-* headers may be added",
                ),
            ] {
                let (status, text) = deliver(&s, ENDPOINT, mode);
                assert_eq!(
                    (status, text.as_str()),
                    (500, "Worker threw an exception.\n"),
                    "{mode}"
                );
                s.wait_for_log(&format!(
                    "the email handler failed for a message from sender@example.com to \
                     me@mine.test: Worker 'mail' threw: {error}"
                ));
            }
            // The server goes on serving.
            let (status, _) = deliver(&s, ENDPOINT, "forward");
            assert_eq!(status, 200);
            let r = s.request(
                "POST",
                &format!("{ENDPOINT}?from=sender@example.com&to=me@mine.test&format=json"),
                HOST,
                message("sender@example.com", "me@mine.test", "X-Mode: throw\r\n").as_bytes(),
            );
            assert_eq!(r.status, 500);
            let v: serde_json::Value = serde_json::from_str(&r.text()).unwrap();
            assert_eq!(v["outcome"], "exception");
        },
    );
}

#[test]
fn the_email_endpoint_checks_its_message_and_is_off_unless_enabled() {
    on_each_engine(
        "the_email_endpoint_checks_its_message_and_is_off_unless_enabled",
        |engine| {
            let c = config(engine, "");
            let s = start(&c);
            // Off: the request is the Worker's (which tries to send it).
            let (status, text) = deliver(&s, ENDPOINT, "reject");
            assert_eq!(status, 200);
            assert!(text.starts_with("{\"ok\":"), "the Worker answers: {text}");
            drop(s);

            let c = config(engine, "email_endpoint = true");
            let s = start(&c);
            let r = s.request(
                "POST",
                &format!("{ENDPOINT}?from=a@example.com"),
                HOST,
                b"x",
            );
            assert_eq!(r.status, 400);
            assert!(r.text().starts_with("Invalid email. Your request must include URL parameters specifying the `from` and `to` addresses"), "{}", r.text());
            let no_id = message("sender@example.com", "me@mine.test", "")
                .replace("Message-ID: <m1@example.com>\r\n", "");
            let r = s.request(
                "POST",
                &format!("{ENDPOINT}?from=sender@example.com&to=me@mine.test"),
                HOST,
                no_id.as_bytes(),
            );
            assert_eq!(
                (r.status, r.text()),
                (
                    400,
                    "Email could not be parsed: invalid or no message id provided\n".to_owned()
                )
            );
            // Envelope addresses the headers do not name are warned about.
            let r = s.request(
                "POST",
                &format!("{ENDPOINT}?from=other@example.com&to=me@mine.test"),
                HOST,
                message("sender@example.com", "me@mine.test", "X-Mode: none\r\n").as_bytes(),
            );
            assert_eq!(r.status, 200, "{}", r.text());
            let log = s.wait_for_log("is not the message's \"From\" header");
            assert!(log.contains("other@example.com"), "{log}");
        },
    );
}

#[test]
fn a_wrangler_config_declares_send_email_bindings() {
    on_each_engine("a_wrangler_config_declares_send_email_bindings", |engine| {
        let c = TempConfig::new(&[
            ("email.js", include_str!("fixtures/email.js")),
            (
                "wrangler.jsonc",
                r#"{
                  "name": "mail", "main": "email.js", "routes": ["mail.test/*"],
                  "send_email": [
                    { "name": "SEB", "allowed_sender_addresses": ["noreply@example.com"] }
                  ]
                }"#,
            ),
        ]);
        let s = Server::start_with_env(
            &["--config", &c.path("wrangler.jsonc")],
            &[("MOTU_SERVER__ENGINE", engine)],
        );
        let raw = message("evil@example.com", "alice@example.com", "");
        assert_eq!(
            send(
                &s,
                "/send",
                "from=evil@example.com&to=alice@example.com",
                &raw
            ),
            Err("Error: email from evil@example.com not allowed".to_owned())
        );
    });
}

#[test]
fn a_service_worker_listens_for_email_events() {
    on_each_engine("a_service_worker_listens_for_email_events", |engine| {
        let c = TempConfig::new(&[
            (
                "sw.js",
                "addEventListener('email', event => {\n\
                   event.waitUntil(Promise.resolve().then(() =>\n\
                     event.message.setReject(`sw ${event.message.from} ${event.type}`)));\n\
                 });\n",
            ),
            (
                "motu.toml",
                &format!(
                    "[server]\nengine = \"{engine}\"\nemail_endpoint = true\n\
                     [[workers]]\nname = \"sw\"\nmain = \"sw.js\"\nroutes = [\"mail.test/*\"]\n"
                ),
            ),
        ]);
        let s = start(&c);
        assert_eq!(
            deliver(&s, ENDPOINT, "none"),
            (
                400,
                "Worker rejected email with the following reason: sw sender@example.com email\n"
                    .to_owned()
            )
        );
    });
}

#[test]
fn motu_dev_answers_the_email_endpoint_of_a_wrangler_project() {
    on_each_engine(
        "motu_dev_answers_the_email_endpoint_of_a_wrangler_project",
        |engine| {
            let c = TempConfig::new(&[
                ("email.js", include_str!("fixtures/email.js")),
                (
                    "wrangler.jsonc",
                    r#"{ "name": "mail", "main": "email.js", "routes": ["mail.test/*"],
                         "send_email": [{ "name": "SEB" }] }"#,
                ),
            ]);
            let args = ["--config", &c.path("wrangler.jsonc"), "--engine", engine];
            // As under `wrangler dev`, the endpoint is on in `motu dev`…
            let s = Server::start_command("dev", &args, &[]);
            let (status, text) = deliver(&s, ENDPOINT, "reject");
            assert_eq!(
                (status, text.as_str()),
                (
                    400,
                    "Worker rejected email with the following reason: no thanks\n"
                ),
                "{}",
                s.log()
            );
            drop(s);
            // …unless the environment turns it off; `motu serve` leaves it
            // off: the request is the Worker's.
            for (command, env) in [
                ("dev", &[("MOTU_SERVER__EMAIL_ENDPOINT", "false")][..]),
                ("serve", &[][..]),
            ] {
                let s = Server::start_command(command, &args, env);
                let (status, text) = deliver(&s, ENDPOINT, "reject");
                assert_eq!(status, 200, "{command}: {text}");
                assert!(text.starts_with("{\"ok\":"), "{command}: {text}");
            }
        },
    );
}
