//! Just enough of a W3C WebDriver client for the console's browser test, over a plain
//! TCP connection to a local `chromedriver` (no TLS, no dependency).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where the browser and its driver are, or why they cannot be used.
pub(crate) fn find_browser() -> Result<(PathBuf, PathBuf), String> {
    let chromium = std::env::var_os("CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    let driver = std::env::var_os("CHROMEDRIVER")
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    for path in [&chromium, &driver] {
        if !path.exists() {
            return Err(format!(
                "{} is missing (apt-get install chromium chromium-driver)",
                path.display()
            ));
        }
    }
    Ok((chromium, driver))
}

/// A running `chromedriver` on a free local port; killed when dropped.
pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    pub(crate) fn start(driver: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok((200, status)) = driver.call("GET", "/status", None) {
                if status["value"]["ready"] == json!(true) {
                    return driver;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One WebDriver command: the HTTP status and the JSON answer.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<(u16, Value)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(90)))?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes())?;
        // chromedriver keeps the connection open: read the head, then Content-Length bytes.
        let mut response = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(at) = response.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                break response.len();
            }
            response.extend_from_slice(&chunk[..read]);
        };
        let head = String::from_utf8_lossy(&response[..head_end]).into_owned();
        let length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        while response.len() < head_end + length {
            let read = stream.read(&mut chunk)?;
            if read == 0 {
                break;
            }
            response.extend_from_slice(&chunk[..read]);
        }
        let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let json = serde_json::from_slice(&response[head_end..]).unwrap_or(Value::Null);
        Ok((status, json))
    }

    /// A new headless Chromium session with a fresh profile in `profile`.
    pub(crate) fn session(&self, chromium: &Path, profile: &Path) -> Session<'_> {
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
                        "--window-size=1440,1100",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}
        });
        let (status, answer) = self
            .call("POST", "/session", Some(&capabilities))
            .expect("chromedriver answers");
        assert_eq!(status, 200, "no session: {answer}");
        Session {
            driver: self,
            id: answer["value"]["sessionId"].as_str().unwrap().to_owned(),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session.
pub(crate) struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

/// An element of the current page.
#[derive(Clone)]
pub(crate) struct Element(String);

impl Session<'_> {
    /// A command that must succeed: its `value`.
    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.id);
        let (status, answer) = self
            .driver
            .call(method, &path, body.as_ref())
            .expect("chromedriver answers");
        assert_eq!(status, 200, "{method} {path}: {answer}");
        answer["value"].clone()
    }

    pub(crate) fn goto(&self, url: &str) {
        self.ok("POST", "/url", Some(json!({ "url": url })));
    }

    pub(crate) fn refresh(&self) {
        self.ok("POST", "/refresh", Some(json!({})));
    }

    pub(crate) fn url(&self) -> String {
        self.ok("GET", "/url", None).as_str().unwrap().to_owned()
    }

    pub(crate) fn title(&self) -> String {
        self.ok("GET", "/title", None).as_str().unwrap().to_owned()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub(crate) fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.ok(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The elements `css` selects.
    pub(crate) fn all(&self, css: &str) -> Vec<Element> {
        let found = self.ok(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|element| Element(element[ELEMENT].as_str().unwrap().to_owned()))
            .collect()
    }

    /// The one element `css` selects (the first).
    pub(crate) fn one(&self, css: &str) -> Element {
        self.all(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no `{css}` on {}", self.url()))
    }

    pub(crate) fn click(&self, element: &Element) {
        self.ok(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        );
    }

    /// Clicks `element` and waits for the page it leads to (a link, a form's submit).
    pub(crate) fn click_to_page(&self, element: &Element) {
        self.run("window.__leaving = true;", vec![]);
        self.click(element);
        self.wait_for("the next page", Duration::from_secs(20), |session| {
            session.run(
                "return window.__leaving === undefined && document.readyState === 'complete';",
                vec![],
            ) == json!(true)
        });
    }

    pub(crate) fn type_into(&self, element: &Element, text: &str) {
        self.ok(
            "POST",
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": text })),
        );
    }

    pub(crate) fn text(&self, element: &Element) -> String {
        self.ok("GET", &format!("/element/{}/text", element.0), None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The rendered text of the first element `css` selects, found and read in one
    /// script, so a live refresh that replaces the element between the two cannot
    /// leave a stale reference.
    pub(crate) fn text_of(&self, css: &str) -> String {
        let text = self.run(
            "const found = document.querySelector(arguments[0]);\n\
             return found === null ? null : found.innerText.trim();",
            vec![json!(css)],
        );
        match text {
            Value::String(text) => text,
            _ => panic!("no `{css}` on {}", self.url()),
        }
    }

    /// Whether an alert, confirm or prompt is open.
    pub(crate) fn alert_open(&self) -> bool {
        let path = format!("/session/{}/alert/text", self.id);
        let (status, _) = self
            .driver
            .call("GET", &path, None)
            .expect("chromedriver answers");
        status == 200
    }

    /// The HTTP status the current page was answered with.
    pub(crate) fn status(&self) -> i64 {
        self.run(
            "return performance.getEntriesByType('navigation')[0].responseStatus;",
            vec![],
        )
        .as_i64()
        .unwrap_or(0)
    }

    /// Saves a screenshot as `dir/name.png`.
    pub(crate) fn screenshot(&self, dir: &Path, name: &str) {
        let png = self.ok("GET", "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    /// Waits (at most `patience`) until `check` holds, re-running it every 200 ms.
    pub(crate) fn wait_for(
        &self,
        what: &str,
        patience: Duration,
        mut check: impl FnMut(&Self) -> bool,
    ) {
        let deadline = Instant::now() + patience;
        while !check(self) {
            assert!(
                Instant::now() < deadline,
                "waited {patience:?} for {what} on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self
            .driver
            .call("DELETE", &format!("/session/{}", self.id), None);
    }
}
