//! Writes the seed corpora into `fuzz/seeds/<target>/`: real-shaped deliveries signed by
//! the real schemes and composed by the real providers, plus the near misses (tampered,
//! unsigned, expired) the fuzzer mutates from. Run `cargo run --example seeds` in `fuzz/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use webhook_core::Provider;
use webhook_core::providers::{Bamotf, ModemPay};
use webhook_core::scheme::SignInput;
use webhook_core::testing::TEST_SECRET;
use webhook_fuzz::delivery::{DEFAULT_NOW_MS, FuzzDelivery, values_of};
use webhook_fuzz::envelopes::PROVIDERS;
use webhook_fuzz::schemes::TARGETS;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    for target in TARGETS {
        scheme_seeds(&root.join(target.name), target)?;
    }
    envelope_seeds(&root.join("envelope"))?;
    payload_seeds(
        &root.join("payload_modem_pay"),
        &ModemPay::default(),
        &[0, 3, 8, 12, 17, 20],
    )?;
    payload_seeds(&root.join("payload_bamotf"), &Bamotf::default(), &[0, 3])?;
    Ok(())
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(DEFAULT_NOW_MS)
}

/// A small Modem Pay delivery body, the shape every scheme signs in the seeds.
fn small_body() -> Vec<u8> {
    let data =
        json!({ "id": "88e26728-9e9c-4f18-802f-9d0d7659f795", "amount": 10, "currency": "GMD" });
    ModemPay::default()
        .compose("charge.succeeded", &data, "d-1")
        .0
}

fn scheme_seeds(dir: &Path, target: &webhook_fuzz::schemes::SchemeTarget) -> std::io::Result<()> {
    let scheme = (target.scheme)();
    let secret = webhook_core::testing::test_secret();
    let body = small_body();
    let sign_at = |at: SystemTime| {
        scheme.sign_at(
            &secret,
            &body,
            SignInput {
                now: at,
                id: Some("msg_2KWPBgLlAfxdpx2AI54pPJ85f1W"),
            },
        )
    };
    let valid = sign_at(now());
    let values = values_of(&valid, target.headers);
    let mut tampered = body.clone();
    tampered.push(b' ');
    let expired = sign_at(now() - Duration::from_secs(3600));
    let rotated = rotated_values(&values);
    let rotated: Vec<&[u8]> = rotated.iter().map(Vec::as_slice).collect();
    // The valid seed must pass, or the fuzzer never starts from a delivery that verifies.
    let check = FuzzDelivery::parse(
        &FuzzDelivery::encode(DEFAULT_NOW_MS, b"", &values, &body),
        target.headers,
    )
    .headers;
    let verified = scheme.verify_at(std::slice::from_ref(&secret), &check, &body, now());
    assert_eq!(
        verified,
        Ok(()),
        "{}: the valid seed does not verify",
        target.name
    );
    let seeds: [(&str, Vec<u8>); 6] = [
        (
            "valid",
            FuzzDelivery::encode(DEFAULT_NOW_MS, b"", &values, &body),
        ),
        (
            "tampered",
            FuzzDelivery::encode(DEFAULT_NOW_MS, b"", &values, &tampered),
        ),
        (
            "unsigned",
            FuzzDelivery::encode(DEFAULT_NOW_MS, b"", &[], &body),
        ),
        (
            "expired",
            FuzzDelivery::encode(
                DEFAULT_NOW_MS,
                b"",
                &values_of(&expired, target.headers),
                &body,
            ),
        ),
        (
            "wrong_secret",
            FuzzDelivery::encode(
                DEFAULT_NOW_MS,
                b"whsec_YS13cm9uZy1zZWNyZXQ=",
                &values,
                &body,
            ),
        ),
        (
            "rotated",
            FuzzDelivery::encode(DEFAULT_NOW_MS, TEST_SECRET.as_bytes(), &rotated, &body),
        ),
    ];
    write_all(dir, &seeds)
}

/// The signature value with a second, stale signature beside it (Stripe's and Standard
/// Webhooks' lists), to seed the list parsers.
fn rotated_values(values: &[&[u8]]) -> Vec<Vec<u8>> {
    values
        .iter()
        .map(|value| {
            let text = String::from_utf8_lossy(value);
            if let Some(sig) = text.strip_prefix("v1,") {
                format!("v1a,AAAA v1,{} v1,{sig}", &sig[..8]).into_bytes()
            } else if text.starts_with("t=") {
                format!("{text},v1=00ff,v0=abc").into_bytes()
            } else {
                value.to_vec()
            }
        })
        .collect()
}

fn envelope_seeds(dir: &Path) -> std::io::Result<()> {
    let data = json!({ "id": "obj_1", "amount": 500, "nested": { "list": [1, "two", null] } });
    let mut seeds = Vec::new();
    for (index, target) in PROVIDERS.iter().enumerate() {
        let provider = (target.provider)();
        let (body, headers) = provider.compose("charge.succeeded", &data, "d-42");
        let mut values = values_of(&headers, target.headers);
        if target.name == "custom_whole_body" {
            values = vec![b"charge.succeeded"];
        }
        seeds.push((target.name.to_owned(), seed_with(index, &values, &body)));
    }
    let form = b"payload=%7B%22action%22%3A%22opened%22%2C%22number%22%3A1%7D";
    let github = PROVIDERS
        .iter()
        .position(|t| t.name == "github")
        .expect("github");
    let github_headers: &[&[u8]] = &[
        b"issues",
        b"72d3162e-cc78-11e3-81ab-4c9367dc0958",
        b"541823602",
    ];
    seeds.push((
        "github_form".to_owned(),
        seed_with(github, github_headers, form),
    ));
    let custom = PROVIDERS
        .iter()
        .position(|t| t.name == "custom_pointers")
        .expect("custom");
    let array = br#"{"meta":{"a/b":{"kind":"order.paid"}},"items":[{"id":7},{"id":8}]}"#;
    seeds.push((
        "custom_array".to_owned(),
        seed_with(custom, &[b"d-7"], array),
    ));
    let named: Vec<(&str, Vec<u8>)> = seeds.iter().map(|(n, s)| (n.as_str(), s.clone())).collect();
    write_all(dir, &named)
}

fn seed_with(index: usize, values: &[&[u8]], body: &[u8]) -> Vec<u8> {
    let pick = u8::try_from(index).expect("few providers");
    let mut seed = vec![pick];
    seed.extend(FuzzDelivery::encode(DEFAULT_NOW_MS, b"", values, body));
    seed
}

/// The catalogue samples of the events at `indices`: one per payload type is enough.
fn payload_seeds(dir: &Path, provider: &dyn Provider, indices: &[usize]) -> std::io::Result<()> {
    let catalogue = provider.catalogue();
    let seeds: Vec<(&str, Vec<u8>)> = indices
        .iter()
        .map(|&i| {
            let sample: Value = (catalogue[i].sample)();
            let mut seed = vec![u8::try_from(i).expect("few events")];
            seed.extend(serde_json::to_vec(&sample).expect("samples serialize"));
            (catalogue[i].name, seed)
        })
        .collect();
    write_all(dir, &seeds)
}

fn write_all<S: AsRef<[u8]>>(dir: &Path, seeds: &[(&str, S)]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, bytes) in seeds {
        let path: PathBuf = dir.join(name);
        fs::write(path, bytes)?;
    }
    Ok(())
}
