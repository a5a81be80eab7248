//! The server-rendered HTML of the authorize flow: the consent page (app, scopes, who signs in,
//! "Authorize" / "Deny") and the error page naming the Lark error code. Everything interpolated is
//! HTML-escaped; the form carries only the opaque pending-request id.

use std::fmt::Write as _;

use super::stats::endpoints;

/// One choice in the "sign in as" select.
#[derive(Debug)]
pub(crate) struct Signer<'a> {
    pub(crate) open_id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) email: &'a str,
    pub(crate) is_tenant_manager: bool,
}

/// What the consent page shows.
#[derive(Debug)]
pub(crate) struct Consent<'a> {
    pub(crate) app_id: &'a str,
    pub(crate) tenant_name: &'a str,
    pub(crate) scopes: &'a [String],
    pub(crate) request_id: &'a str,
    pub(crate) signers: Vec<Signer<'a>>,
    /// `open_id` preselected (the default tenant admin).
    pub(crate) selected: Option<&'a str>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#f5f6f7;color:#1f2329;\
margin:0;padding:48px 16px}main{max-width:480px;margin:auto;background:#fff;border-radius:8px;\
padding:32px;box-shadow:0 1px 4px rgba(0,0,0,.08)}h1{font-size:20px;margin:0 0 16px}\
code{background:#f0f1f2;padding:1px 4px;border-radius:3px}ul{padding-left:20px}\
select{width:100%;padding:6px;margin:8px 0 24px}.buttons{display:flex;gap:12px}\
button{flex:1;padding:10px;border-radius:6px;border:1px solid #c9cdd4;background:#fff;\
font-size:15px;cursor:pointer}button.primary{background:#3370ff;border-color:#3370ff;color:#fff}\
.error{color:#d83931}";

/// `&`, `<`, `>`, `"` and `'` escaped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{STYLE}</style></head><body><main>{body}</main></body></html>\n",
        escape(title)
    )
}

pub(crate) fn consent(view: &Consent<'_>) -> String {
    let mut body = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        body,
        "<h1>Authorize <code>{}</code></h1><p>The app <code>{}</code> asks to access your \
account in <strong>{}</strong> with these permissions:</p><ul>",
        escape(view.app_id),
        escape(view.app_id),
        escape(view.tenant_name)
    );
    if view.scopes.is_empty() {
        body.push_str("<li>Basic profile</li>");
    }
    for scope in view.scopes {
        let _ = write!(body, "<li><code>{}</code></li>", escape(scope));
    }
    let _ = write!(
        body,
        "</ul><form method=\"post\" action=\"{}\">\
<input type=\"hidden\" name=\"request_id\" value=\"{}\">\
<label for=\"open_id\">Sign in as</label><select id=\"open_id\" name=\"open_id\">",
        endpoints::AUTHORIZE_DECISION,
        escape(view.request_id)
    );
    for signer in &view.signers {
        let selected = if view.selected == Some(signer.open_id) {
            " selected"
        } else {
            ""
        };
        let admin = if signer.is_tenant_manager {
            " — tenant admin"
        } else {
            ""
        };
        let _ = write!(
            body,
            "<option value=\"{}\"{selected}>{} &lt;{}&gt;{admin}</option>",
            escape(signer.open_id),
            escape(signer.name),
            escape(signer.email)
        );
    }
    body.push_str(
        "</select><div class=\"buttons\">\
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
<button type=\"submit\" name=\"decision\" value=\"approve\" class=\"primary\">Authorize</button>\
</div></form>",
    );
    page("Authorize app — Lark simulator", &body)
}

/// The page shown instead of a redirect when a request cannot be trusted or answered.
pub(crate) fn error(code: i64, description: &str) -> String {
    let body = format!(
        "<h1 class=\"error\">Authorization failed</h1><p>Error code <strong>{code}</strong></p>\
<p>{}</p>",
        escape(description)
    );
    page(&format!("Error {code} — Lark simulator"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_interpolated() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        let scopes = vec!["<script>".to_owned()];
        let html = consent(&Consent {
            app_id: "cli_1",
            tenant_name: "A & B",
            scopes: &scopes,
            request_id: "r\"1",
            signers: vec![Signer {
                open_id: "ou_1",
                name: "Ann <admin>",
                email: "a@b.c",
                is_tenant_manager: true,
            }],
            selected: Some("ou_1"),
        });
        assert!(html.contains("A &amp; B") && html.contains("&lt;script&gt;"));
        assert!(html.contains("value=\"r&quot;1\""));
        assert!(html.contains("<option value=\"ou_1\" selected>Ann &lt;admin&gt;"));
        assert!(html.contains(">Authorize</button>") && html.contains(">Deny</button>"));
        assert!(!html.contains("<script>"));
        let error = error(20_027, "scope <x> not enabled");
        assert!(error.contains("20027") && error.contains("scope &lt;x&gt;"));
    }
}
