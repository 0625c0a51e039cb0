//! Which requests the playground answers. It signs with the user's AWS credentials, so it answers
//! only requests from its own page at its own address: other web pages the user visits (a
//! `text/plain` fetch, a form post, a DNS-rebound name) are refused before anything is read or
//! signed. And it forwards only the routes its page and chat clients use, with origin-form targets.

use http::header::{self, HeaderMap, HeaderName};
use http::{Method, Uri};

use crate::error::PlaygroundError;

/// What a request is for once admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The story page itself (`GET /`, `GET /index.html`), served by the playground.
    Page,
    /// A route of the function, forwarded signed.
    Forward,
}

/// Every method and path the playground answers: the page, and the function's routes the page uses
/// (`POST /` the story, `GET /models`) and the conversation routes (`POST /chat`, and the
/// OpenAI-style `POST /v1/chat/completions` and `GET /v1/models`).
const ROUTES: [(&str, Method, Route); 7] = [
    ("/", Method::GET, Route::Page),
    ("/index.html", Method::GET, Route::Page),
    ("/", Method::POST, Route::Forward),
    ("/models", Method::GET, Route::Forward),
    ("/chat", Method::POST, Route::Forward),
    ("/v1/chat/completions", Method::POST, Route::Forward),
    ("/v1/models", Method::GET, Route::Forward),
];

/// The hosts the playground answers to, each with its port: the loopback names a browser on this
/// machine uses. Any other `Host` is a name rebound to 127.0.0.1 by someone else's DNS.
const OWN_HOSTS: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

/// Refuses a request not sent by the playground's own page at `127.0.0.1:port` (or `localhost`,
/// `[::1]`): a `Host` other than those, an `Origin` other than `http://` + that `Host`, or a
/// `Sec-Fetch-Site` other than `same-origin` or `none` (a typed address). Clients other than
/// browsers (curl) send neither `Origin` nor `Sec-Fetch-Site` and are answered.
pub fn check_sender(headers: &HeaderMap, port: u16) -> Result<(), PlaygroundError> {
    let host = only(headers, header::HOST)?.ok_or_else(|| PlaygroundError::Forbidden("no Host header".into()))?;
    let own = OWN_HOSTS.iter().any(|name| host.eq_ignore_ascii_case(&format!("{name}:{port}")));
    if !own {
        return Err(PlaygroundError::Forbidden(format!("Host {host:?} is not this playground's address")));
    }
    if let Some(origin) = only(headers, header::ORIGIN)?
        && !origin.eq_ignore_ascii_case(&format!("http://{host}"))
    {
        return Err(PlaygroundError::Forbidden(format!("Origin {origin:?} is not http://{host}")));
    }
    if let Some(site) = only(headers, HeaderName::from_static("sec-fetch-site"))?
        && !matches!(site, "same-origin" | "none")
    {
        return Err(PlaygroundError::Forbidden(format!(
            "Sec-Fetch-Site {site:?}: the request comes from another site"
        )));
    }
    Ok(())
}

/// A header sent at most once, as text; twice (or not visible ASCII) is refused, since which one
/// a check should read would be a guess.
fn only(headers: &HeaderMap, name: HeaderName) -> Result<Option<&str>, PlaygroundError> {
    let mut values = headers.get_all(&name).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(PlaygroundError::Forbidden(format!("{name} is sent twice")));
    }
    value.to_str().map(Some).map_err(|_| PlaygroundError::Forbidden(format!("{name} is not visible ASCII")))
}

/// The route of `method` and `uri`: 400 for a target that is not a plain path (absolute-form,
/// authority-form, `*`) or holds a dot segment (`.`, `..`, also percent-encoded), 405 with the
/// allowed methods for anything else not in the table.
pub fn route(method: &Method, uri: &Uri) -> Result<Route, PlaygroundError> {
    let path = uri.path();
    if uri.scheme().is_some() || uri.authority().is_some() || !path.starts_with('/') {
        return Err(PlaygroundError::BadRequest(format!(
            "the request target {uri} is not a path; the playground takes only paths such as /models"
        )));
    }
    if path.split('/').any(is_dot_segment) {
        return Err(PlaygroundError::BadRequest(format!("the path {path} holds a dot segment (. or ..)")));
    }
    if let Some((_, _, route)) = ROUTES.iter().find(|(p, m, _)| *p == path && m == method) {
        return Ok(*route);
    }
    let mut allow: Vec<&str> = ROUTES.iter().filter(|(p, _, _)| *p == path).map(|(_, m, _)| m.as_str()).collect();
    allow.dedup();
    let served = ROUTES.iter().map(|(p, m, _)| format!("{m} {p}")).collect::<Vec<_>>().join(", ");
    Err(PlaygroundError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_owned(),
        served,
        allow: allow.join(", "),
    })
}

fn is_dot_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    decoded == "." || decoded == ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_bytes(value).unwrap());
        }
        map
    }

    fn refused(pairs: &[(&str, &[u8])]) -> String {
        check_sender(&headers(pairs), 8080).unwrap_err().to_string()
    }

    #[test]
    fn the_own_page_and_plain_clients_are_answered_at_each_loopback_name() {
        for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST:8080", "[::1]:8080"] {
            assert!(check_sender(&headers(&[("host", host.as_bytes())]), 8080).is_ok(), "{host}");
        }
        let page = [
            ("host", b"127.0.0.1:8080".as_slice()),
            ("origin", b"http://127.0.0.1:8080"),
            ("sec-fetch-site", b"same-origin"),
        ];
        assert!(check_sender(&headers(&page), 8080).is_ok());
        let typed = [("host", b"localhost:8080".as_slice()), ("sec-fetch-site", b"none")];
        assert!(check_sender(&headers(&typed), 8080).is_ok());
    }

    #[test]
    fn another_host_a_rebound_name_or_another_port_is_forbidden() {
        assert!(refused(&[("host", b"evil.example:8080")]).contains("Host \"evil.example:8080\""));
        assert!(refused(&[("host", b"127.0.0.1:9090")]).contains("not this playground's address"));
        assert!(refused(&[("host", b"127.0.0.1")]).contains("not this playground's address"));
        assert!(refused(&[]).contains("no Host"));
        assert!(refused(&[("host", b"127.0.0.1:8080"), ("host", b"evil.example:8080")]).contains("twice"));
    }

    #[test]
    fn another_origin_or_site_is_forbidden() {
        let from = |origin: &'static [u8], site: &'static [u8]| {
            refused(&[("host", b"127.0.0.1:8080"), ("origin", origin), ("sec-fetch-site", site)])
        };
        assert!(from(b"https://evil.example", b"cross-site").contains("Origin \"https://evil.example\""));
        assert!(from(b"null", b"cross-site").contains("Origin \"null\""));
        assert!(from(b"http://localhost:8080", b"same-site").contains("is not http://127.0.0.1:8080"));
        assert!(from(b"http://127.0.0.1:3000", b"same-site").contains("Origin"));
        assert!(refused(&[("host", b"127.0.0.1:8080"), ("sec-fetch-site", b"cross-site")]).contains("another site"));
        assert!(refused(&[("host", b"127.0.0.1:8080"), ("sec-fetch-site", b"same-site")]).contains("another site"));
        assert!(refused(&[("host", b"127.0.0.1:8080"), ("origin", b"http://\xe9vil")]).contains("not visible ASCII"));
    }

    fn route_of(method: &str, target: &str) -> Result<Route, PlaygroundError> {
        route(&method.parse().unwrap(), &target.parse().unwrap())
    }

    #[test]
    fn the_page_and_the_function_routes_are_answered() {
        assert_eq!(route_of("GET", "/").unwrap(), Route::Page);
        assert_eq!(route_of("GET", "/index.html").unwrap(), Route::Page);
        for (method, target) in [
            ("POST", "/"),
            ("GET", "/models"),
            ("POST", "/chat"),
            ("POST", "/v1/chat/completions"),
            ("GET", "/v1/models"),
        ] {
            assert_eq!(route_of(method, target).unwrap(), Route::Forward, "{method} {target}");
        }
        assert_eq!(route_of("GET", "/models?x=1").unwrap(), Route::Forward);
    }

    #[test]
    fn other_methods_and_paths_are_405_with_what_is_allowed() {
        for (method, target, allow) in [
            ("PUT", "/", "GET, POST"),
            ("DELETE", "/models", "GET"),
            ("TRACE", "/", "GET, POST"),
            ("HEAD", "/", "GET, POST"),
            ("OPTIONS", "/chat", "POST"),
            ("POST", "/models", "GET"),
            ("GET", "/favicon.ico", ""),
            ("POST", "/lambda-url/other/", ""),
        ] {
            match route_of(method, target) {
                Err(error @ PlaygroundError::MethodNotAllowed { .. }) => {
                    let PlaygroundError::MethodNotAllowed { allow: got, .. } = &error else { unreachable!() };
                    assert_eq!(got, allow, "{method} {target}");
                    assert!(error.to_string().starts_with(&format!("{method} {target} is not forwarded")));
                }
                other => panic!("{method} {target}: {other:?}"),
            }
        }
    }

    #[test]
    fn targets_that_are_not_plain_paths_are_400() {
        for target in [
            "/../../etc/passwd",
            "/./models",
            "/%2e%2e/x",
            "/%2E./x",
            "/v1/../models",
            "http://evil.example/",
            "*",
            "evil.example:443",
        ] {
            let error = route_of(if target == "*" { "OPTIONS" } else { "GET" }, target).unwrap_err();
            assert_eq!(error.code(), "playground_bad_request", "{target}: {error}");
        }
        let connect = route(&Method::CONNECT, &"evil.example:443".parse().unwrap()).unwrap_err();
        assert_eq!(connect.status(), 400);
    }
}
