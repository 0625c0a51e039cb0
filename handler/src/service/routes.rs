//! Which job a Function URL request asks for, from its method, path and headers alone (the body
//! is read only for a story or a conversation): the story page, the model listing, an SSE client
//! reconnecting after a story ended, a conversation (native or OpenAI's shape), or a story. Everything else goes on to the story path, which answers any method
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
    /// `POST /chat` with conversations on (`STREAMER_CHAT`): a conversation in the story's event
    /// vocabulary.
    Chat,
    /// `POST /v1/chat/completions` with conversations on: a conversation in OpenAI's shape.
    ChatCompletions,
    /// `GET /v1/models` with conversations on: the aliases as OpenAI's model list.
    OpenAiModels,
    /// A conversation path with conversations off: 405, like any path nothing serves.
    ChatOff,
    /// Anything else: a story request.
    Story,
}

/// The paths conversations are served at.
const CHAT_PATHS: [&str; 3] = ["/chat", "/v1/chat/completions", "/v1/models"];

/// The route for `method`, `path` (the Function URL's `rawPath`: `/` for the URL itself) and
/// `headers`.
pub fn route(method: &Method, path: &str, headers: &HeaderMap, page: bool, chat: bool) -> Route {
    if headers.contains_key("last-event-id") {
        Route::Reconnect
    } else if page && method == Method::GET && path == "/" {
        Route::Page
    } else if method == Method::GET && path == "/models" {
        Route::Models
    } else if !chat && CHAT_PATHS.contains(&path) {
        Route::ChatOff
    } else if method == Method::POST && path == "/chat" {
        Route::Chat
    } else if method == Method::POST && path == "/v1/chat/completions" {
        Route::ChatCompletions
    } else if method == Method::GET && path == "/v1/models" {
        Route::OpenAiModels
    } else {
        Route::Story
    }
}

/// The methods `path` answers, for the `Allow` header of a 405: POST (a story) everywhere, and GET
/// where a GET has a route (the page when it is on, the model listing).
pub fn allowed_methods(path: &str, page: bool, chat: bool) -> &'static str {
    if !chat && CHAT_PATHS.contains(&path) {
        ""
    } else if path == "/models" || (page && path == "/") || (chat && path == "/v1/models") {
        "GET, POST"
    } else {
        "POST"
    }
}

/// What the function serves, as a 405's message names it (after "this function serves "): the
/// routes above, and a story by POST at any path.
pub fn served(page: bool, chat: bool) -> &'static str {
    match (page, chat) {
        (true, true) => {
            "GET / (the story page), GET /models (the model list), POST /chat and POST /v1/chat/completions (a \
             conversation), GET /v1/models (the model list, OpenAI's shape) and POST with a JSON body such as \
             {\"storyType\":\"CATS\"} (a story, at any other path)"
        }
        (true, false) => {
            "GET / (the story page), GET /models (the model list) and POST with a JSON body such as \
             {\"storyType\":\"CATS\"} (a story, at any path)"
        }
        (false, true) => {
            "GET /models (the model list), POST /chat and POST /v1/chat/completions (a conversation), GET /v1/models \
             (the model list, OpenAI's shape) and POST with a JSON body such as {\"storyType\":\"CATS\"} (a story, at \
             any other path)"
        }
        (false, false) => {
            "GET /models (the model list) and POST with a JSON body such as {\"storyType\":\"CATS\"} (a story, at any \
             path)"
        }
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
        assert_eq!(route(&Method::GET, "/", &none, true, true), Route::Page);
        assert_eq!(
            route(&Method::GET, "/", &none, false, true),
            Route::Story,
            "turned off: GET / is a 405 like any GET"
        );
        assert_eq!(route(&Method::GET, "/index.html", &none, true, true), Route::Story);
        assert_eq!(route(&Method::HEAD, "/", &none, true, true), Route::Story);
        assert_eq!(route(&Method::POST, "/", &none, true, true), Route::Story);
    }

    #[test]
    fn get_models_is_the_model_listing_whether_the_page_is_on_or_off() {
        let none = HeaderMap::new();
        assert_eq!(route(&Method::GET, "/models", &none, true, true), Route::Models);
        assert_eq!(route(&Method::GET, "/models", &none, false, true), Route::Models);
        assert_eq!(route(&Method::POST, "/models", &none, true, true), Route::Story, "a POST there is a story request");
        assert_eq!(route(&Method::GET, "/models/", &none, true, true), Route::Story);
        assert_eq!(route(&Method::GET, "/v1/models/", &none, true, true), Route::Story);
    }

    #[test]
    fn a_405_allows_get_only_where_a_get_has_a_route() {
        assert_eq!(allowed_methods("/models", false, true), "GET, POST");
        assert_eq!(allowed_methods("/", true, true), "GET, POST");
        assert_eq!(allowed_methods("/", false, true), "POST", "the page turned off");
        assert_eq!(allowed_methods("/models/", true, true), "POST");
    }

    #[test]
    fn a_405_names_the_page_only_when_it_is_on() {
        assert!(served(true, false).starts_with("GET / (the story page), GET /models (the model list) and POST "));
        assert!(served(false, false).starts_with("GET /models (the model list) and POST "));
    }

    #[test]
    fn conversations_have_their_routes_when_turned_on_and_answer_405_when_off() {
        let none = HeaderMap::new();
        assert_eq!(route(&Method::POST, "/chat", &none, true, true), Route::Chat);
        assert_eq!(route(&Method::POST, "/v1/chat/completions", &none, true, true), Route::ChatCompletions);
        assert_eq!(route(&Method::GET, "/v1/models", &none, true, true), Route::OpenAiModels);
        assert_eq!(route(&Method::GET, "/chat", &none, true, true), Route::Story, "a GET there is a 405 allowing POST");
        for path in ["/chat", "/v1/chat/completions", "/v1/models"] {
            assert_eq!(route(&Method::POST, path, &none, true, false), Route::ChatOff, "{path}");
            assert_eq!(allowed_methods(path, true, false), "", "{path}: nothing is served there");
        }
        assert_eq!(allowed_methods("/chat", true, true), "POST");
        assert_eq!(allowed_methods("/v1/models", true, true), "GET, POST");
        assert!(served(false, true).contains("POST /chat and POST /v1/chat/completions (a conversation)"));
    }

    #[test]
    fn a_request_carrying_last_event_id_is_a_reconnect_whatever_else_it_is() {
        let reconnecting = headers(&[("last-event-id", "end"), ("accept", "text/event-stream")]);
        assert_eq!(route(&Method::POST, "/", &reconnecting, true, true), Route::Reconnect);
        assert_eq!(route(&Method::GET, "/", &reconnecting, true, true), Route::Reconnect);
        assert_eq!(route(&Method::POST, "/", &headers(&[("accept", "text/event-stream")]), true, true), Route::Story);
    }
}
