//! The cursor of a run's next page of changes, as the API, the CLI and the web UI hand it out:
//! opaque to clients, it is the base64url of a small JSON object naming the run (`r`) and the
//! position of the last change shown (`p`), so that a cursor of one run offered for another is
//! refused rather than read as a position there.

use aviary_domain::model::ChangePosition;
use aviary_domain::values::RunId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub use crate::cursor::MalformedCursor;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    r: String,
    p: u64,
}

/// The cursor of the page after `position` in `run`'s changes, as a URL-safe string.
pub fn encode(run: RunId, position: ChangePosition) -> String {
    let wire = Wire {
        r: run.to_string(),
        p: position.get(),
    };
    // Serialising a string and a number cannot fail.
    let json = serde_json::to_vec(&wire).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The position a cursor of `run`'s changes continues after.
///
/// # Errors
/// [`MalformedCursor`] when it is not one [`encode`] made for this run.
pub fn decode(raw: &str, run: RunId) -> Result<ChangePosition, MalformedCursor> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .map_err(|_| MalformedCursor)?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| MalformedCursor)?;
    let of: RunId = wire.r.parse().map_err(|_| MalformedCursor)?;
    if of != run {
        return Err(MalformedCursor);
    }
    Ok(ChangePosition::new(wire.p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: u128) -> RunId {
        format!("{n:032x}").parse().unwrap()
    }

    #[test]
    fn a_cursor_reads_back_for_its_run_only_and_garbage_is_refused() {
        for p in [0, 1, 42, u64::MAX] {
            let encoded = encode(run(7), ChangePosition::new(p));
            assert!(
                encoded
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{encoded}"
            );
            assert_eq!(decode(&encoded, run(7)), Ok(ChangePosition::new(p)));
            assert_eq!(decode(&encoded, run(8)), Err(MalformedCursor));
        }
        let account_cursor = URL_SAFE_NO_PAD.encode(r#"{"s":"open_id","o":"ou_abc"}"#);
        let negative = URL_SAFE_NO_PAD.encode(format!(r#"{{"r":"{}","p":-1}}"#, run(7)));
        let extra = URL_SAFE_NO_PAD.encode(format!(r#"{{"r":"{}","p":1,"x":0}}"#, run(7)));
        for garbage in ["", "!!", "AAAA", &account_cursor, &negative, &extra] {
            assert_eq!(decode(garbage, run(7)), Err(MalformedCursor), "{garbage}");
        }
    }

    proptest::proptest! {
        /// Every position of every run reads back as itself.
        #[test]
        fn every_change_cursor_reads_back_as_itself(n: u128, p: u64) {
            let position = ChangePosition::new(p);
            proptest::prop_assert_eq!(decode(&encode(run(n), position), run(n)), Ok(position));
        }

        /// Whatever a client sends as a cursor, reading it answers (a position or the error),
        /// never panics.
        #[test]
        fn any_text_or_encoded_json_reads_as_a_change_cursor_or_an_error(
            text in ".*",
            json in r#"\{("[rpx]":("[0-9a-f-]{0,36}"|-?[0-9]{1,22}|true|null|\[\]|\{\}),?){0,3}\}"#,
        ) {
            let _ = decode(&text, run(1));
            let _ = decode(&URL_SAFE_NO_PAD.encode(json), run(1));
        }
    }
}
