//! Which job a Function URL request asks for, from its method, path and headers alone (the body
//! is read only for a story): the story page, the model listing, an SSE client reconnecting after
//! a story ended, or a story. Everything else goes on to the story path, which answers any method
//! but POST with 405 (so an unknown `GET /anything` is a 405 `method_not_allowed` JSON error whose
//! message names what the function does serve, [`served`]).

use http::{HeaderMap, Method};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /` with the page turned on (`STREAMER_PAGE`): the story page.
    Page,
    /// Any request carrying `Last-Event-ID`: an SSE client reconnecting after the last event of a
    /// stream (every stream's last event carries an id, no other does). Answered 204, never a
    /// new Bedrock call.
    Reconnect,
    /// `GET /models`: the models a request may choose ([`crate::request::models::Models::listing`]).
    /// Answered whether the page is on or off: the page is one client of it, scripts and SDK
    /// callers are others, and the aliases and model ids it lists are no secret (the Function
    /// URL's auth guards it like every other path).
    Models,
    /// Anything else: a story request.
    Story,
}

/// The route for `method`, `path` (the Function URL's `rawPath`: `/` for the URL itself) and
/// `headers`.
pub fn route(method: &Method, path: &str, headers: &HeaderMap, page: bool) -> Route {
    if headers.contains_key("last-event-id") {
        Route::Reconnect
    } else if page && method == Method::GET && path == "/" {
        Route::Page
    } else if method == Method::GET && path == "/models" {
        Route::Models
    } else {
        Route::Story
    }
}

/// The methods `path` answers, for the `Allow` header of a 405: POST (a story) everywhere, and GET
/// where a GET has a route (the page when it is on, the model listing).
pub fn allowed_methods(path: &str, page: bool) -> &'static str {
    if path == "/models" || (page && path == "/") { "GET, POST" } else { "POST" }
}

/// What the function serves, as a 405's message names it (after "this function serves "): the
/// routes above, and a story by POST at any path.
pub fn served(page: bool) -> &'static str {
    if page {
        "GET / (the story page), GET /models (the model list) and POST with a JSON body such as \
         {\"storyType\":\"CATS\"} (a story, at any path)"
    } else {
        "GET /models (the model list) and POST with a JSON body such as {\"storyType\":\"CATS\"} (a story, at any path)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap())).collect()
    }

    #[test]
    fn the_page_is_get_of_the_url_itself_when_turned_on() {
        let none = HeaderMap::new();
        assert_eq!(route(&Method::GET, "/", &none, true), Route::Page);
        assert_eq!(route(&Method::GET, "/", &none, false), Route::Story, "turned off: GET / is a 405 like any GET");
        assert_eq!(route(&Method::GET, "/index.html", &none, true), Route::Story);
        assert_eq!(route(&Method::HEAD, "/", &none, true), Route::Story);
        assert_eq!(route(&Method::POST, "/", &none, true), Route::Story);
    }

    #[test]
    fn get_models_is_the_model_listing_whether_the_page_is_on_or_off() {
        let none = HeaderMap::new();
        assert_eq!(route(&Method::GET, "/models", &none, true), Route::Models);
        assert_eq!(route(&Method::GET, "/models", &none, false), Route::Models);
        assert_eq!(route(&Method::POST, "/models", &none, true), Route::Story, "a POST there is a story request");
        assert_eq!(route(&Method::GET, "/models/", &none, true), Route::Story);
        assert_eq!(route(&Method::GET, "/v1/models", &none, true), Route::Story);
    }

    #[test]
    fn a_405_allows_get_only_where_a_get_has_a_route() {
        assert_eq!(allowed_methods("/models", false), "GET, POST");
        assert_eq!(allowed_methods("/", true), "GET, POST");
        assert_eq!(allowed_methods("/", false), "POST", "the page turned off");
        assert_eq!(allowed_methods("/models/", true), "POST");
    }

    #[test]
    fn a_405_names_the_page_only_when_it_is_on() {
        assert!(served(true).starts_with("GET / (the story page), GET /models (the model list) and POST "));
        assert!(served(false).starts_with("GET /models (the model list) and POST "));
    }

    #[test]
    fn a_request_carrying_last_event_id_is_a_reconnect_whatever_else_it_is() {
        let reconnecting = headers(&[("last-event-id", "end"), ("accept", "text/event-stream")]);
        assert_eq!(route(&Method::POST, "/", &reconnecting, true), Route::Reconnect);
        assert_eq!(route(&Method::GET, "/", &reconnecting, true), Route::Reconnect);
        assert_eq!(route(&Method::POST, "/", &headers(&[("accept", "text/event-stream")]), true), Route::Story);
    }
}
