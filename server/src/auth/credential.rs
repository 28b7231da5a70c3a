//! Reading a request's credential, in one place for the check layer, the
//! rate limits and the CSRF rule: `Authorization: Bearer <token>`, else the
//! session cookie ([`COOKIE`]); anything malformed is no credential and
//! never falls back to the other.

use axum::http::header;

/// The name of the session cookie.
pub const COOKIE: &str = "pingan_session";

/// The credential a request carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// The `pingan_session` cookie's value.
    Cookie(String),
    /// `Authorization: Bearer …`: an API key (`pk_…`) or a session token.
    Bearer(String),
}

/// What a request presents, read by [`presented`] (the one reading of
/// `Authorization` and the session cookie, for the check layer, the rate
/// limits and the CSRF rule alike).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presented {
    /// Neither `Authorization` nor the session cookie.
    Nothing,
    Credential(Credential),
    /// An `Authorization` header that is not `Bearer <token>` (another
    /// scheme such as `Basic`, no token, not text). It is no credential and
    /// never falls back to the cookie: the request is anonymous, so an
    /// endpoint that needs a permission answers 401 (without a hint).
    Malformed,
}

/// Reads the credential of a request: `Authorization: Bearer <token>`
/// when the header is present (anything else there is
/// [`Presented::Malformed`], whatever cookie comes with it), else the
/// `pingan_session` cookie.
pub fn presented(headers: &axum::http::HeaderMap) -> Presented {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let Ok(value) = value.to_str() else {
            return Presented::Malformed;
        };
        return match value.trim().split_once([' ', '\t']) {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Presented::Credential(Credential::Bearer(token.trim().to_string()))
            }
            _ => Presented::Malformed,
        };
    }
    match session_cookie(headers) {
        Cookie::One(v) => Presented::Credential(Credential::Cookie(v)),
        // Two session cookies (one planted by a sibling domain with
        // `Domain=`?): no credential rather than a guess which is ours.
        Cookie::Several => Presented::Malformed,
        Cookie::None => Presented::Nothing,
    }
}

/// The session cookies of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cookie {
    None,
    /// Exactly one (its value, unquoted).
    One(String),
    /// More than one with different values.
    Several,
}

/// The request's [`COOKIE`] (every `Cookie` header, every pair).
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Cookie {
    let mut found: Option<&str> = None;
    let values = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .filter(|(k, _)| k.trim() == COOKIE)
        .map(|(_, v)| v.trim().trim_matches('"'));
    for v in values {
        match found {
            Some(f) if f != v => return Cookie::Several,
            _ => found = Some(v),
        }
    }
    match found {
        Some(v) => Cookie::One(v.to_string()),
        None => Cookie::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn with(cookies: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(header::COOKIE, c.parse().unwrap());
        }
        h
    }

    #[test]
    fn one_session_cookie_is_a_credential_and_two_different_are_none() {
        assert_eq!(
            presented(&with(&["lang=zh; pingan_session=abc"])),
            Presented::Credential(Credential::Cookie("abc".into()))
        );
        assert_eq!(
            presented(&with(&["pingan_session=\"abc\"", "pingan_session=abc"])),
            Presented::Credential(Credential::Cookie("abc".into()))
        );
        assert_eq!(
            presented(&with(&["pingan_session=abc; pingan_session=planted"])),
            Presented::Malformed
        );
        assert_eq!(presented(&with(&["lang=zh"])), Presented::Nothing);
        let mut h = with(&["pingan_session=abc"]);
        h.insert(header::AUTHORIZATION, "Basic eDp5".parse().unwrap());
        assert_eq!(
            presented(&h),
            Presented::Malformed,
            "no fallback to the cookie"
        );
    }
}
