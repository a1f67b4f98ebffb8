//! `webhook listen` as a child process: verifies, prints, answers, forwards re-signed.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use common::*;
use webhook_core::Provider;
use webhook_core::providers::Bamotf;
use webhook_core::testing::{TEST_PUBLIC_KEY, TEST_SIGNING_KEY};

/// A running `webhook listen` and its stdout lines.
struct Listen {
    child: Child,
    lines: Receiver<String>,
    url: String,
}

impl Listen {
    fn start(args: &[&str]) -> Self {
        Self::start_with_secret_env(args, None)
    }

    /// Starts it with `WEBHOOK_SECRET` set to `secret`, or unset.
    fn start_with_secret_env(args: &[&str], secret: Option<&str>) -> Self {
        let binary = assert_cmd::cargo::cargo_bin("webhook");
        let mut command = Command::new(binary);
        command
            .arg("listen")
            .args(["--port", "0"])
            .args(args)
            .env_remove("WEBHOOK_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(secret) = secret {
            command.env("WEBHOOK_SECRET", secret);
        }
        let mut child = command.spawn().expect("listen starts");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut listen = Self {
            child,
            lines,
            url: String::new(),
        };
        let first = listen.line();
        listen.url = first
            .strip_prefix("listening on ")
            .expect("first line names the address")
            .to_owned();
        assert!(listen.url.starts_with("http://127.0.0.1:"), "{first}");
        listen
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("listen prints a line")
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn listen_verifies_prints_answers_and_forwards_re_signed() {
    let target = Server::start(202);
    let forward = target.url("/app/webhooks");
    let listen = Listen::start(&[
        "--provider",
        "bamotf",
        "--secret",
        "s3cret",
        "--forward-url",
        &forward,
    ]);
    assert_eq!(
        listen.line(),
        format!("forwarding valid deliveries to {forward}")
    );
    let event = Bamotf::default().catalogue()[0].name;

    let sent = webhook()
        .args([
            "trigger",
            event,
            "--provider",
            "bamotf",
            "--secret",
            "s3cret",
            "--url",
            &format!("{}/any/path", listen.url),
        ])
        .assert()
        .code(0);
    assert!(stdout(&sent).starts_with("#1 200 OK"), "{}", stdout(&sent));

    let line = listen.line();
    let fields: Vec<&str> = line.split("  ").collect();
    assert_eq!(fields.len(), 5, "{line}");
    assert!(
        fields[0].ends_with('Z') && fields[0].contains('T'),
        "{line}"
    );
    assert_eq!(fields[1], event);
    assert!(!fields[2].is_empty() && fields[2] != "-", "{line}");
    assert_eq!(fields[3], "valid");
    assert!(fields[4].ends_with(" bytes"), "{line}");
    let forwarded_line = listen.line();
    assert!(
        forwarded_line.starts_with(&format!("  -> {forward} 202 Accepted (")),
        "{forwarded_line}"
    );
    assert!(forwarded_line.ends_with(" ms)"), "{forwarded_line}");

    let received = target.received();
    assert_eq!(received.len(), 1);
    let forwarded = &received[0];
    assert_eq!(forwarded.path, "/app/webhooks");
    assert_eq!(
        forwarded.headers["content-type"], "text/plain;charset=UTF-8",
        "non-signature headers are kept"
    );
    let delivery = check(&Bamotf::default(), "s3cret", forwarded)
        .expect("the forward is re-signed and verifies");
    assert_eq!(delivery.event_type(), event);
}

#[test]
fn listen_rejects_bad_signatures_with_401_and_does_not_forward() {
    let target = Server::start(200);
    let listen = Listen::start(&[
        "--provider",
        "modem-pay",
        "--secret",
        "right",
        "--forward-url",
        &target.url("/"),
    ]);
    let _forwarding = listen.line();
    let sent = webhook()
        .args([
            "trigger",
            "charge.succeeded",
            "--provider",
            "modem-pay",
            "--secret",
            "wrong",
            "--url",
            &listen.url,
        ])
        .assert()
        .code(1);
    assert!(
        stdout(&sent).starts_with("#1 401 Unauthorized"),
        "{}",
        stdout(&sent)
    );
    let line = listen.line();
    assert!(line.contains("  charge.succeeded  "), "{line}");
    assert!(line.contains("  invalid: no signature matched  "), "{line}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(target.received().is_empty());
}

#[test]
fn listen_answers_400_for_a_signed_body_that_is_not_the_envelope() {
    let listen = Listen::start(&["--provider", "modem-pay", "--secret", "s"]);
    let body = file(b"not json");
    let headers = sign("modem-pay", "s", &body, &[]);
    let target = listen.url.clone();
    let status = std::thread::spawn(move || post(&target, &headers, b"not json"))
        .join()
        .unwrap();
    assert_eq!(status, 400);
    let line = listen.line();
    assert!(
        line.contains("  -  -  invalid: body is not valid JSON"),
        "{line}"
    );
}

#[test]
fn listen_without_a_secret_generates_one_that_works_for_every_provider() {
    let listen = Listen::start(&["--provider", "standard-webhooks"]);
    let line = listen.line();
    let secret = line
        .strip_prefix("secret: ")
        .and_then(|s| s.split(' ').next())
        .expect("the secret line")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{line}");
    webhook()
        .args([
            "trigger",
            "invoice.paid",
            "--raw",
            "--provider",
            "standard-webhooks",
            "--secret",
            &secret,
            "--url",
            &listen.url,
        ])
        .assert()
        .code(0);
    assert!(listen.line().contains("  invoice.paid  "));
}

/// POSTs `body` with `headers` (`name: value` lines) over a raw TCP connection; the status.
fn post(url: &str, headers: &[String], body: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let address = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!(
        "POST / HTTP/1.1\r\nhost: {address}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response[9..12].parse().unwrap()
}

#[test]
fn ctrl_c_stops_listen_with_exit_code_0() {
    let mut listen = Listen::start(&["--provider", "github", "--secret", "s"]);
    let pid = listen.child.id().to_string();
    let interrupted = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = listen.child.wait().expect("listen exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn listen_takes_its_secret_from_the_environment() {
    let listen = Listen::start_with_secret_env(&["--provider", "modem-pay"], Some("s3cret"));
    let sent = webhook()
        .args(["trigger", "charge.succeeded", "--provider", "modem-pay"])
        .args(["--url", &listen.url])
        .env("WEBHOOK_SECRET", "s3cret")
        .assert()
        .code(0);
    assert!(stdout(&sent).starts_with("#1 200 OK"), "{}", stdout(&sent));
    // No generated secret was announced: the first line after the address is the delivery.
    let line = listen.line();
    assert!(line.contains("  valid  "), "{line}");
}

#[test]
fn listen_verifies_v1a_with_the_whpk_key_and_cannot_forward_with_it() {
    let listen = Listen::start(&[
        "--provider",
        "standard-webhooks",
        "--secret",
        TEST_PUBLIC_KEY,
    ]);
    webhook()
        .args([
            "trigger",
            "any.event",
            "--raw",
            "--provider",
            "standard-webhooks",
        ])
        .args(["--url", &listen.url, "--secret", TEST_SIGNING_KEY])
        .assert()
        .code(0);
    let line = listen.line();
    assert!(
        line.contains("  any.event  ") && line.contains("  valid  "),
        "{line}"
    );

    let refused = webhook()
        .args(["listen", "--port", "0", "--provider", "standard-webhooks"])
        .args([
            "--secret",
            TEST_PUBLIC_KEY,
            "--forward-url",
            "http://127.0.0.1:9/",
        ])
        .assert()
        .code(2);
    assert!(stderr(&refused).contains("`whsk_`"), "{}", stderr(&refused));
}
