//! A CRM REST answer as the outbox reads it: status, `Retry-After` and body, or why there was
//! none, in words that go into the log's last error.

/// An answer as read off the wire.
pub struct Received {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The body text.
    pub body: String,
}

/// Sends `request` and reads its whole answer.
pub async fn receive(request: reqwest::RequestBuilder) -> Result<Received, String> {
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() { "no answer in time".to_owned() } else { "the connection failed".to_owned() }
    })?;
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = response.text().await.map_err(|_| "the answer was cut off".to_owned())?;
    Ok(Received { status, retry_after, body })
}
