//! Fetching a file's bytes, with a typed error that keeps the server's
//! explanation (`detail` of the API's JSON errors) for the layer's row.

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// No response (network down, refused, aborted) or an unreadable body.
    #[error("{url}: {reason}")]
    Network { url: String, reason: String },
    /// A response that is not 2xx.
    #[error("{}", http_text(*.status, .status_text, .url, .detail))]
    Http {
        url: String,
        status: u16,
        status_text: String,
        /// The `detail` of a JSON error body, or empty.
        detail: String,
    },
}

fn http_text(status: u16, status_text: &str, url: &str, detail: &str) -> String {
    format!("HTTP {status} {status_text} {url} {detail}")
        .trim()
        .to_string()
}

/// GETs `url` and returns its body.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, FetchError> {
    let network = |e: gloo_net::Error| FetchError::Network {
        url: url.to_string(),
        reason: e.to_string(),
    };
    let resp = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(network)?;
    if !resp.ok() {
        let body = resp.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_string))
            .unwrap_or_default();
        return Err(FetchError::Http {
            url: url.to_string(),
            status: resp.status(),
            status_text: resp.status_text(),
            detail,
        });
    }
    resp.binary().await.map_err(network)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_as_before() {
        let e = FetchError::Http {
            url: "data/x.geojson".into(),
            status: 404,
            status_text: "Not Found".into(),
            detail: String::new(),
        };
        assert_eq!(e.to_string(), "HTTP 404 Not Found data/x.geojson");
        let e = FetchError::Http {
            url: "data/x.geojson".into(),
            status: 422,
            status_text: "Unprocessable Entity".into(),
            detail: "feature 3: no geometry".into(),
        };
        assert_eq!(
            e.to_string(),
            "HTTP 422 Unprocessable Entity data/x.geojson feature 3: no geometry"
        );
        let e = FetchError::Network {
            url: "data/x.geojson".into(),
            reason: "refused".into(),
        };
        assert_eq!(e.to_string(), "data/x.geojson: refused");
    }
}
