//! Which job a Function URL request asks for, from its method and path alone (the body is read
//! only for a story): the story page or a story. Everything that is not the page goes on to the
//! story path, which answers any method but POST with 405.

use http::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /` with the page turned on (`STREAMER_PAGE`): the story page.
    Page,
    /// Anything else: a story request.
    Story,
}

/// The route for `method` and `path` (the Function URL's `rawPath`: `/` for the URL itself).
pub fn route(method: &Method, path: &str, page: bool) -> Route {
    if page && method == Method::GET && path == "/" { Route::Page } else { Route::Story }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_get_of_the_url_itself_when_turned_on() {
        assert_eq!(route(&Method::GET, "/", true), Route::Page);
        assert_eq!(route(&Method::GET, "/", false), Route::Story, "turned off: GET / is a 405 like any GET");
        assert_eq!(route(&Method::GET, "/index.html", true), Route::Story);
        assert_eq!(route(&Method::HEAD, "/", true), Route::Story);
        assert_eq!(route(&Method::POST, "/", true), Route::Story);
    }
}
