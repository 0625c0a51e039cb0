//! CORS on the function's own answers (`STREAMER_CORS_ALLOW_ORIGINS`), decided once per request:
//! API Gateway answers the preflights and adds CORS headers to its own refusals, but a proxied
//! answer carries only the function's headers (docs/deploy.md, "Choose who may call").

use http::{HeaderMap, HeaderValue, Response, header};

use crate::settings::AllowOrigins;

/// The headers a page reads beyond the CORS-safelisted ones (`Content-Type`, `Cache-Control`):
/// a 405's `Allow` (docs/api.md).
const EXPOSE_HEADERS: &str = "Allow";

/// Adds CORS headers to `response` when `allowed` lets the page at the request's `Origin` read it:
/// with `*`, `Access-Control-Allow-Origin: *` on every answer; with a list, that origin echoed on
/// its answers and `Vary: Origin` on every answer (whether a header is there depends on `Origin`,
/// so no cache may serve one origin's answer to another). `None`: nothing.
pub fn add_headers<B>(allowed: Option<&AllowOrigins>, request: &HeaderMap, response: &mut Response<B>) {
    let Some(allowed) = allowed else { return };
    let headers = response.headers_mut();
    let allow_origin = match allowed {
        AllowOrigins::Any => Some(HeaderValue::from_static("*")),
        AllowOrigins::Listed(_) => {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
            request
                .get(header::ORIGIN)
                .filter(|origin| origin.to_str().is_ok_and(|origin| allowed.allows(origin)))
                .cloned()
        }
    };
    if let Some(origin) = allow_origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
}
