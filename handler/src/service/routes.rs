//! Which job a request asks for, decided once from its method, path and headers (the body is
//! read only by the route it reaches): the table of routes, the `Allow` of a 405, what a 404 or
//! 405 says the function serves, and when `Last-Event-ID` is an SSE client reconnecting.
//!
//! A route is one method at one path. `GET` routes answer `HEAD` too (the service sends the
//! headers without the body). A path with no route is 404 `not_found`; a path with routes, asked
//! with another method, is 405 `method_not_allowed` with `Allow` listing the methods this
//! deployment answers there: none when its routes are turned off (`STREAMER_CHAT=false`), as
//! RFC 9110 §10.2.1 allows for a resource disabled by configuration.
//! Adding a route: a variant of [`Route`], its [`Route::method`], [`Route::path`],
//! [`Route::serves`] (what a refusal calls it), [`Route::streams`] and [`Route::enabled`], and a
//! place in [`Route::ALL`]; the service answers it.

use http::{HeaderMap, Method};

use crate::error::ApiError;
use crate::settings::Settings;
use crate::stream::wire::SSE_LAST_EVENT_ID;

/// Every route the function has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /`: the story page, when it is turned on (`STREAMER_PAGE`).
    Page,
    /// `GET /models`: the models a request may choose ([`crate::request::models::Models::listing`]).
    /// Answered whether the page is on or off: the page is one client of it, scripts and SDK
    /// callers are others, and the aliases and model ids it lists are no secret (the Function
    /// URL's auth guards it like every other path).
    Models,
    /// `POST /`: a story, streamed.
    Story,
    /// `POST /chat` with conversations on (`STREAMER_CHAT`): a conversation in the story's event
    /// vocabulary.
    Chat,
    /// `POST /v1/chat/completions` with conversations on: a conversation in OpenAI's shape.
    ChatCompletions,
    /// `GET /v1/models` with conversations on: the aliases as OpenAI's model list.
    OpenAiModels,
}

impl Route {
    /// Every route, in the order a refusal names them.
    pub const ALL: [Route; 6] =
        [Route::Page, Route::Models, Route::Story, Route::Chat, Route::ChatCompletions, Route::OpenAiModels];

    pub fn method(self) -> Method {
        match self {
            Route::Page | Route::Models | Route::OpenAiModels => Method::GET,
            Route::Story | Route::Chat | Route::ChatCompletions => Method::POST,
        }
    }

    /// The Function URL's `rawPath`: `/` is the URL itself.
    pub fn path(self) -> &'static str {
        match self {
            Route::Page | Route::Story => "/",
            Route::Models => "/models",
            Route::Chat => "/chat",
            Route::ChatCompletions => "/v1/chat/completions",
            Route::OpenAiModels => "/v1/models",
        }
    }

    /// What a 404 or 405 calls the route, after its method and path.
    pub fn serves(self) -> &'static str {
        match self {
            Route::Page => "(the story page)",
            Route::Models => "(the model list)",
            Route::Story => "with a JSON body such as {\"storyType\":\"CATS\"} (a story)",
            Route::Chat => "(a conversation)",
            Route::ChatCompletions => "(a conversation, OpenAI's shape)",
            Route::OpenAiModels => "(the model list, OpenAI's shape)",
        }
    }

    /// Whether this deployment answers the route (the page can be turned off).
    pub fn enabled(self, settings: &Settings) -> bool {
        match self {
            Route::Page => settings.page,
            Route::Chat | Route::ChatCompletions | Route::OpenAiModels => settings.chat,
            Route::Models | Route::Story => true,
        }
    }

    /// Whether the answer can be an event stream whose last event carries the id
    /// [`SSE_LAST_EVENT_ID`], which a client that reconnects sends back (OpenAI's chunks carry no
    /// ids).
    pub fn streams(self) -> bool {
        matches!(self, Route::Story | Route::Chat)
    }
}

/// Whether `path` is one of OpenAI's (`/v1` and below), whose refusals, a 404 or 405 included, are
/// OpenAI's error object: what an OpenAI client reads, whichever path under its base URL it asked.
pub fn openai(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// What to do with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Answer with this route (a `HEAD` reaches the `GET` route of its path).
    Serve(Route),
    /// An SSE client reconnecting after the last event of a stream: `Last-Event-ID` is
    /// [`SSE_LAST_EVENT_ID`] on a path that streams. Answered 204, never a new Bedrock call.
    Reconnect,
    /// Refused before anything else is read: 404 `not_found` or 405 `method_not_allowed` (with
    /// the path's methods, [`ApiError::allow`]).
    Refuse(ApiError),
}

/// The routes this deployment answers ([`Route::enabled`]), built once at cold start.
#[derive(Debug, Clone)]
pub struct Routes {
    enabled: Vec<Route>,
    /// What a refusal says the function serves: "GET / (the story page), GET /models (the model
    /// list) and POST / with …".
    served: String,
}

impl Routes {
    pub fn new(settings: &Settings) -> Routes {
        let enabled: Vec<Route> = Route::ALL.into_iter().filter(|route| route.enabled(settings)).collect();
        let named: Vec<String> =
            enabled.iter().map(|route| format!("{} {} {}", route.method(), route.path(), route.serves())).collect();
        let served = match named.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        Routes { enabled, served }
    }

    /// The decision for `method` at `path` (the event's `rawPath`) with `headers`.
    pub fn decide(&self, method: &Method, path: &str, headers: &HeaderMap) -> Decision {
        let has_routes = Route::ALL.iter().any(|route| route.path() == path);
        let at_path: Vec<Route> = self.enabled.iter().copied().filter(|route| route.path() == path).collect();
        let reconnecting = headers.get("last-event-id").is_some_and(|id| id.as_bytes() == SSE_LAST_EVENT_ID.as_bytes());
        // Whatever the method: EventSource reconnects with GET, fetch-event-source with the
        // original POST, and neither must start a new story.
        if reconnecting && at_path.iter().any(|route| route.streams()) {
            return Decision::Reconnect;
        }
        let asked = if method == Method::HEAD { &Method::GET } else { method };
        if let Some(route) = at_path.iter().find(|route| route.method() == asked) {
            return Decision::Serve(*route);
        }
        let (method, path, served) = (method.to_string(), path.to_owned(), self.served.clone());
        if !has_routes {
            return Decision::Refuse(ApiError::NotFound { method, path, served });
        }
        let mut allow: Vec<String> = Vec::new();
        for route in &at_path {
            allow.push(route.method().to_string());
            if route.method() == Method::GET {
                allow.push(Method::HEAD.to_string());
            }
        }
        Decision::Refuse(ApiError::MethodNotAllowed { method, path, allow: allow.join(", "), served })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The routes with the page on or off, conversations off.
    fn routes(page: bool) -> Routes {
        with(page, false)
    }

    /// The routes with the page and conversations on or off.
    fn with(page: bool, chat: bool) -> Routes {
        let vars = [("STREAMER_PAGE", page), ("STREAMER_CHAT", chat)].map(|(k, v)| (k.to_owned(), v.to_string()));
        Routes::new(&Settings::from_vars(vars).unwrap())
    }

    #[test]
    fn openai_s_paths_are_v1_and_below() {
        for path in ["/v1", "/v1/", "/v1/chat/completions", "/v1/models", "/v1/completions"] {
            assert!(openai(path), "{path}");
        }
        for path in ["/", "/chat", "/models", "/v10/models", "/v1x", "/api/v1/models"] {
            assert!(!openai(path), "{path}");
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (http::HeaderName::from_static(name), value.parse().unwrap())).collect()
    }

    fn decide(routes: &Routes, method: Method, path: &str) -> Decision {
        routes.decide(&method, path, &HeaderMap::new())
    }

    /// The code of a refusal, and its `Allow` for a 405.
    fn refused(decision: Decision) -> (&'static str, Option<String>) {
        match decision {
            Decision::Refuse(error) => (error.code(), error.allow().map(str::to_owned)),
            other => panic!("not refused: {other:?}"),
        }
    }

    #[test]
    fn the_page_is_get_of_the_url_itself_when_turned_on() {
        let (on, off) = (routes(true), routes(false));
        assert_eq!(decide(&on, Method::GET, "/"), Decision::Serve(Route::Page));
        assert_eq!(
            refused(decide(&off, Method::GET, "/")),
            ("method_not_allowed", Some("POST".into())),
            "turned off: / answers POST alone"
        );
        assert_eq!(refused(decide(&on, Method::GET, "/index.html")).0, "not_found");
        assert_eq!(decide(&on, Method::POST, "/"), Decision::Serve(Route::Story));
    }

    #[test]
    fn head_reaches_the_get_route_of_its_path() {
        let on = routes(true);
        assert_eq!(decide(&on, Method::HEAD, "/"), Decision::Serve(Route::Page));
        assert_eq!(decide(&on, Method::HEAD, "/models"), Decision::Serve(Route::Models));
        assert_eq!(refused(decide(&routes(false), Method::HEAD, "/")).0, "method_not_allowed");
        assert_eq!(refused(decide(&on, Method::HEAD, "/stories")).0, "not_found");
    }

    #[test]
    fn get_models_is_the_model_listing_whether_the_page_is_on_or_off() {
        for routes in [routes(true), routes(false)] {
            assert_eq!(decide(&routes, Method::GET, "/models"), Decision::Serve(Route::Models));
            assert_eq!(
                refused(decide(&routes, Method::POST, "/models")),
                ("method_not_allowed", Some("GET, HEAD".into())),
                "a POST there is no story"
            );
        }
    }

    #[test]
    fn a_story_is_a_post_to_the_url_itself_and_nowhere_else() {
        let on = routes(true);
        for path in ["/stories", "/models/", "/v2/models", "/index.html", ""] {
            assert_eq!(refused(decide(&on, Method::POST, path)), ("not_found", None), "POST {path}");
        }
    }

    #[test]
    fn a_405_allows_the_methods_of_its_path_and_get_brings_head() {
        let (on, off) = (routes(true), routes(false));
        assert_eq!(refused(decide(&on, Method::PUT, "/")), ("method_not_allowed", Some("GET, HEAD, POST".into())));
        assert_eq!(refused(decide(&off, Method::DELETE, "/")), ("method_not_allowed", Some("POST".into())));
        assert_eq!(refused(decide(&off, Method::PUT, "/models")), ("method_not_allowed", Some("GET, HEAD".into())));
    }

    #[test]
    fn a_refusal_names_what_the_function_serves_and_the_page_only_when_it_is_on() {
        let Decision::Refuse(error) = decide(&routes(true), Method::GET, "/favicon.ico") else { panic!() };
        assert_eq!(
            error.to_string(),
            "GET /favicon.ico is not served here; this function serves GET / (the story page), GET /models (the \
             model list) and POST / with a JSON body such as {\"storyType\":\"CATS\"} (a story)"
        );
        let Decision::Refuse(error) = decide(&routes(false), Method::PUT, "/models") else { panic!() };
        assert_eq!(
            error.to_string(),
            "PUT /models is not served here; this function serves GET /models (the model list) and POST / with a \
             JSON body such as {\"storyType\":\"CATS\"} (a story)"
        );
    }

    #[test]
    fn conversations_have_their_routes_when_turned_on_and_answer_405_allowing_nothing_when_off() {
        let (on, off) = (with(true, true), with(true, false));
        assert_eq!(decide(&on, Method::POST, "/chat"), Decision::Serve(Route::Chat));
        assert_eq!(decide(&on, Method::POST, "/v1/chat/completions"), Decision::Serve(Route::ChatCompletions));
        assert_eq!(decide(&on, Method::GET, "/v1/models"), Decision::Serve(Route::OpenAiModels));
        assert_eq!(refused(decide(&on, Method::GET, "/chat")), ("method_not_allowed", Some("POST".into())));
        assert_eq!(refused(decide(&on, Method::POST, "/v1/models")), ("method_not_allowed", Some("GET, HEAD".into())));
        assert_eq!(refused(decide(&on, Method::GET, "/v1/models/")).0, "not_found");
        for (method, path) in
            [(Method::POST, "/chat"), (Method::POST, "/v1/chat/completions"), (Method::GET, "/v1/models")]
        {
            assert_eq!(refused(decide(&off, method, path)), ("method_not_allowed", Some(String::new())), "{path}");
        }
        let Decision::Refuse(error) = decide(&on, Method::GET, "/favicon.ico") else { panic!() };
        assert!(
            error.to_string().ends_with(
                "(a story), POST /chat (a conversation), POST /v1/chat/completions (a conversation, OpenAI's shape) \
                 and GET /v1/models (the model list, OpenAI's shape)"
            ),
            "{error}"
        );
    }

    #[test]
    fn last_event_id_end_is_a_reconnect_only_on_a_path_that_streams() {
        let on = routes(true);
        let reconnecting = headers(&[("last-event-id", "end"), ("accept", "text/event-stream")]);
        assert_eq!(on.decide(&Method::POST, "/", &reconnecting), Decision::Reconnect);
        assert_eq!(on.decide(&Method::GET, "/", &reconnecting), Decision::Reconnect, "EventSource reconnects with GET");
        assert_eq!(on.decide(&Method::GET, "/models", &reconnecting), Decision::Serve(Route::Models));
        assert_eq!(refused(on.decide(&Method::POST, "/stories", &reconnecting)).0, "not_found");
        let chat = with(true, true);
        assert_eq!(chat.decide(&Method::POST, "/chat", &reconnecting), Decision::Reconnect);
        assert_eq!(
            chat.decide(&Method::POST, "/v1/chat/completions", &reconnecting),
            Decision::Serve(Route::ChatCompletions),
            "OpenAI's chunks carry no id"
        );
        assert_eq!(
            on.decide(&Method::POST, "/", &headers(&[("accept", "text/event-stream")])),
            Decision::Serve(Route::Story)
        );
    }

    #[test]
    fn only_the_id_this_function_sends_means_already_finished() {
        let on = routes(true);
        for id in ["", "END", "end ", "0", "abc"] {
            let mut sent = HeaderMap::new();
            sent.insert("last-event-id", id.parse().unwrap());
            assert_eq!(on.decide(&Method::POST, "/", &sent), Decision::Serve(Route::Story), "Last-Event-ID {id:?}");
        }
    }
}
