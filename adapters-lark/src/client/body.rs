//! Reading an answer's body within a bound. Lark's largest answers (a page of 50 users, 1,000
//! availability entries) are tens of kilobytes; a body far beyond that is a broken or hostile
//! upstream, and reading it whole could exhaust memory. So a body is read chunk by chunk and
//! refused as soon as it passes the bound (or announces it in `Content-Length`).

/// The largest body Aviary reads from Lark: a hundred times the largest documented answer.
pub(crate) const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// The body is larger than the bound.
    TooLarge,
    /// The connection failed while reading it.
    Network(reqwest::Error),
}

/// The body of `response`, or [`BodyError::TooLarge`] once it passes `limit` bytes.
pub(crate) async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if response
        .content_length()
        .is_some_and(|length| length > limit as u64)
    {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Network)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
