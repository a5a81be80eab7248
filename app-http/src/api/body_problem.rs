//! What a `400 invalid_body` says about a JSON body that does not deserialize: serde's own
//! words — which field, what was expected, where — with every value taken from the body left
//! out. serde quotes the offending value (`invalid type: string "…", expected i64`), and a
//! secret sent in the wrong field (the App Secret in `sync_interval_minutes`) must not come
//! back in the error, nor from there into the client's logs.

use serde_json::error::Category;

/// The problem to report for `err`, with no value of the body in it.
pub(super) fn describe(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match err.classify() {
        // serde_json's own syntax messages name the position, never the text found there.
        Category::Io | Category::Syntax | Category::Eof => message,
        Category::Data => without_values(&message),
    }
}

/// serde's data errors with the quoted value dropped; anything not in serde's known shapes
/// (a type's own `custom` error may say anything) becomes a generic sentence.
fn without_values(message: &str) -> String {
    // serde_json appends " at line L column C"; the last such suffix is its (a value could
    // contain the words too).
    let (what, position) = match message.rsplit_once(" at line ") {
        Some((what, position)) if is_position(position) => (what, Some(position)),
        _ => (message, None),
    };
    let kept = if let Some(rest) = what.strip_prefix("invalid type: ") {
        unexpected("invalid type", rest)
    } else if let Some(rest) = what.strip_prefix("invalid value: ") {
        unexpected("invalid value", rest)
    } else if let Some(rest) = what.strip_prefix("unknown variant ") {
        unnamed("unknown variant", rest)
    } else if let Some(rest) = what.strip_prefix("unknown field ") {
        unnamed("unknown field", rest)
    } else if what.starts_with("missing field `")
        || what.starts_with("duplicate field `")
        || what.starts_with("invalid length ")
    {
        // The field is one of the route's own; a length is a count.
        Some(what.to_owned())
    } else {
        None
    };
    let text = kept.unwrap_or_else(|| "a value is not of the type or form expected".to_owned());
    match position {
        Some(position) => format!("{text} at line {position}"),
        None => text,
    }
}

/// `L column C`.
fn is_position(text: &str) -> bool {
    text.split_once(" column ").is_some_and(|(line, column)| {
        [line, column]
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// `string "…", expected i64` → `invalid type: string, expected i64`: the kind of what was
/// found (the words before its quoted value) and what was expected (the route's, after the
/// last `, expected `, as the value itself could contain those words).
fn unexpected(prefix: &str, rest: &str) -> Option<String> {
    let (found, expected) = rest.rsplit_once(", expected ")?;
    let kind = found.split(['"', '`']).next().unwrap_or_default().trim();
    Some(format!("{prefix}: {kind}, expected {expected}"))
}

/// ``unknown field `…`, expected one of `label`, …`` → `unknown field, expected one of …`.
fn unnamed(prefix: &str, rest: &str) -> Option<String> {
    let (_, tail) = rest
        .rsplit_once(", expected ")
        .map(|(name, expected)| (name, format!("expected {expected}")))
        .or_else(|| {
            rest.rsplit_once(", there are no ")
                .map(|(name, none)| (name, format!("there are no {none}")))
        })?;
    Some(format!("{prefix}, {tail}"))
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized, to get its errors")]
    struct Body {
        label: String,
        minutes: Option<i64>,
        verify: Option<bool>,
        region: Option<Region>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Region {
        Lark,
    }

    fn problem(json: &str) -> String {
        describe(&serde_json::from_str::<Body>(json).expect_err("refused"))
    }

    const SECRET: &str = "s3cret, expected at line 1 column 2";

    #[test]
    fn values_from_the_body_are_left_out() {
        let cases = [
            (
                format!(r#"{{"label": "a", "minutes": "{SECRET}"}}"#),
                "invalid type: string, expected i64 at line 1 column 63",
            ),
            (
                format!(r#"{{"label": "a", "verify": "{SECRET}"}}"#),
                "invalid type: string, expected a boolean at line 1 column 62",
            ),
            (
                format!(r#"{{"label": "a", "region": "{SECRET}"}}"#),
                "unknown variant, expected `lark` at line 1 column 62",
            ),
            (
                format!(r#"{{"label": "a", "{SECRET}": 1}}"#),
                "unknown field, expected one of `label`, `minutes`, `verify`, `region` at line 1 \
                 column 52",
            ),
            (
                r#"{"label": 1234567890123}"#.to_owned(),
                "invalid type: integer, expected a string at line 1 column 23",
            ),
        ];
        for (json, expected) in cases {
            let problem = problem(&json);
            assert!(!problem.contains("s3cret"), "{problem}");
            assert_eq!(problem, expected, "{json}");
        }
    }

    #[test]
    fn what_names_no_value_is_kept() {
        assert_eq!(problem("{}"), "missing field `label` at line 1 column 2");
        assert_eq!(
            problem(r#"{"label": "a", "label": "b"}"#),
            "duplicate field `label` at line 1 column 22"
        );
        assert_eq!(
            problem(r#"{"label": "a""#),
            "EOF while parsing an object at line 1 column 13"
        );
        assert_eq!(
            problem(r#"{"label": s3cret}"#),
            "expected value at line 1 column 11"
        );
    }
}
