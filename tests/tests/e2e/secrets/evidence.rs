//! What the secret-canary test collects — everything Aviary said or stored, each piece named by
//! where it came from — and the search that reports which canary turned up where, with the
//! secret itself masked in the excerpt.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher as _, Hasher as _};
use std::time::{SystemTime, UNIX_EPOCH};

use aviary_tests::{Installation, Run};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION, SET_COOKIE};
use serde_json::Value;

/// Characters shown on each side of a sighting.
const CONTEXT: usize = 80;
/// Sightings listed in a failure (the rest are counted).
const MAX_REPORTED: usize = 40;

/// 32 random lowercase hex characters (std only: the hasher's random keys and the time).
pub fn random_hex() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    (0..2u8)
        .map(|i| {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u128(nanos);
            hasher.write_u8(i);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

/// Standard base64 with padding (RFC 4648), as `AVIARY_SECRETS__MASTER_KEY` takes it.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(
                    ALPHABET[((group >> (18 - 6 * i)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A secret to look for, and the one place (if any) where it may appear.
pub struct Canary {
    what: String,
    value: String,
    allowed: Option<usize>,
}

impl Canary {
    pub fn new(what: &str, value: &str) -> Self {
        // Long enough not to turn up by chance; ASCII, so it survives the lossy decoding of
        // binary files unchanged.
        assert!(
            value.len() >= 16 && value.is_ascii(),
            "{what} is no usable canary"
        );
        Self {
            what: what.to_owned(),
            value: value.to_owned(),
            allowed: None,
        }
    }

    /// The place (an index from [`Evidence`]) where this secret is meant to be shown.
    pub fn allowed_at(mut self, place: usize) -> Self {
        self.allowed = Some(place);
        self
    }
}

/// One HTTP answer from Aviary, recorded.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub content_type: String,
    pub body: String,
    /// Where it is in the evidence.
    pub place: usize,
}

impl Answer {
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("HTTP {} is not JSON ({e}): {}", self.status, self.body))
    }
}

struct Place {
    name: String,
    text: String,
}

/// Everything Aviary said or stored during the test, in order.
#[derive(Default)]
pub struct Evidence {
    places: Vec<Place>,
}

impl Evidence {
    /// The index the next recorded piece will have.
    pub fn next_place(&self) -> usize {
        self.places.len()
    }

    /// Records `content` (decoded lossily: canaries are ASCII, so they survive it) under `name`.
    pub fn add(&mut self, name: impl Into<String>, content: impl AsRef<[u8]>) -> usize {
        self.places.push(Place {
            name: name.into(),
            text: String::from_utf8_lossy(content.as_ref()).into_owned(),
        });
        self.places.len() - 1
    }

    /// Runs `aviary LINE` (split at whitespace; with `stdin` if given) and records its
    /// stdout, then its stderr.
    pub fn aviary(&mut self, aviary: &Installation, line: &str, stdin: Option<&str>) -> Run {
        let args: Vec<&str> = line.split_whitespace().collect();
        let run = match stdin {
            Some(input) => aviary.run_with_stdin(&args, input),
            None => aviary.run(&args),
        };
        self.add(format!("`aviary {line}` stdout"), &run.stdout);
        self.add(format!("`aviary {line}` stderr"), &run.stderr);
        run
    }

    /// Records an answer of Aviary's: status line, every header, the body.
    pub async fn http(&mut self, what: String, response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("the body arrives");
        let body = String::from_utf8_lossy(&body).into_owned();
        let mut text = format!("HTTP {status}\n");
        for (name, value) in &headers {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        text.push('\n');
        text.push_str(&body);
        let place = self.add(format!("{what} → {status}: headers and body"), text);
        let header = |name| {
            headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect::<Vec<_>>()
        };
        Answer {
            status,
            location: header(LOCATION).into_iter().next(),
            set_cookies: header(SET_COOKIE),
            content_type: header(CONTENT_TYPE).into_iter().next().unwrap_or_default(),
            body,
            place,
        }
    }

    pub fn contains(&self, place: usize, needle: &str) -> bool {
        self.places[place].text.contains(needle)
    }

    /// Panics, listing every sighting (which secret, where, an excerpt with the secrets
    /// masked), if any canary appears anywhere but its allowed place.
    #[track_caller]
    pub fn assert_clean(&self, canaries: &[Canary]) {
        let mut sightings = Vec::new();
        let mut total = 0usize;
        for (index, place) in self.places.iter().enumerate() {
            for canary in canaries.iter().filter(|c| c.allowed != Some(index)) {
                let mut found = place.text.match_indices(canary.value.as_str());
                let Some((at, _)) = found.next() else {
                    continue;
                };
                let count = 1 + found.count();
                total += count;
                sightings.push(format!(
                    "- {} in {} ({count}×), e.g. …{}…",
                    canary.what,
                    place.name,
                    excerpt(&place.text, at, canary.value.len(), canaries)
                ));
            }
        }
        if sightings.is_empty() {
            return;
        }
        let more = sightings.len().saturating_sub(MAX_REPORTED);
        sightings.truncate(MAX_REPORTED);
        panic!(
            "{total} sightings of secrets in what Aviary said or stored ({} places searched):\n{}{}",
            self.places.len(),
            sightings.join("\n"),
            if more > 0 {
                format!("\n… and {more} more")
            } else {
                String::new()
            }
        );
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// `text` around the sighting at `at..at + len`, every byte of any canary replaced by
/// `«secret»` (also canaries cut by the excerpt's edges), escaped onto one line.
fn excerpt(text: &str, at: usize, len: usize, canaries: &[Canary]) -> String {
    let longest = canaries.iter().map(|c| c.value.len()).max().unwrap_or(0);
    let from = floor_boundary(text, at.saturating_sub(CONTEXT));
    let to = ceil_boundary(text, (at + len + CONTEXT).min(text.len()));
    let scan_from = floor_boundary(text, from.saturating_sub(longest));
    let scan_to = ceil_boundary(text, (to + longest).min(text.len()));
    let mut hidden = vec![false; to - from];
    for canary in canaries {
        for (i, value) in text[scan_from..scan_to].match_indices(canary.value.as_str()) {
            let start = scan_from + i;
            for position in start.max(from)..(start + value.len()).min(to) {
                hidden[position - from] = true;
            }
        }
    }
    let mut out = String::new();
    let mut in_secret = false;
    for (i, ch) in text[from..to].char_indices() {
        if hidden[i] {
            if !in_secret {
                out.push_str("«secret»");
            }
            in_secret = true;
        } else {
            in_secret = false;
            out.extend(ch.escape_debug());
        }
    }
    out
}
