//! The route table: host and path to Worker name.
//!
//! Routes whose host is exact are indexed by that host, so finding the
//! Worker of a request costs one hash lookup and a look at the few routes
//! of its host, however many Workers the server has; routes with a
//! wildcard host (`*.example.com`, `*`) are tried after them in order of
//! specificity. An exact host is always more specific than a wildcard one,
//! so this finds what trying every route, most specific first, would.

use std::collections::HashMap;

use motu_config::{HostPattern, RoutePattern};

/// Every route of every Worker, most specific first.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Routes with an exact host, by that host (lower case), each list most
    /// specific first.
    exact: HashMap<String, Vec<(RoutePattern, String)>>,
    /// Routes with a wildcard host, most specific first.
    wildcard: Vec<(RoutePattern, String)>,
}

/// Inserts `route` after every route at least as specific: among equally
/// specific routes, the first declared wins.
fn insert(list: &mut Vec<(RoutePattern, String)>, route: (RoutePattern, String)) {
    let specificity = route.0.specificity();
    let at = list.partition_point(|(r, _)| r.specificity() >= specificity);
    list.insert(at, route);
}

impl RouteTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `worker`'s routes and, with `workers_dev`, its
    /// `NAME.localhost/*` route.
    pub fn add(&mut self, worker: &str, routes: &[RoutePattern], workers_dev: bool) {
        let implicit = workers_dev.then(|| {
            RoutePattern::parse(&format!("{}.localhost/*", worker.to_ascii_lowercase()))
                .expect("Worker names make valid host names")
        });
        for r in routes.iter().cloned().chain(implicit) {
            let list = match &r.host {
                HostPattern::Exact(host) => self.exact.entry(host.clone()).or_default(),
                HostPattern::Any | HostPattern::Suffix(_) => &mut self.wildcard,
            };
            insert(list, (r, worker.to_owned()));
        }
    }

    /// The Worker for a request's host (a port is ignored) and path.
    pub fn lookup(&self, host: &str, path: &str) -> Option<&str> {
        let host = strip_port(host);
        let exact = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            self.exact.get(&host.to_ascii_lowercase())
        } else {
            self.exact.get(host)
        };
        exact
            .into_iter()
            .flatten()
            .chain(&self.wildcard)
            .find(|(r, _)| r.matches(host, path))
            .map(|(_, w)| w.as_str())
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split(']')
            .next()
            .map_or(host, |h| &host[..h.len() + 1]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable {
        let p = |s: &str| RoutePattern::parse(s).unwrap();
        let mut t = RouteTable::new();
        t.add("site", &[p("example.com/*")], false);
        t.add(
            "api",
            &[p("example.com/api/*"), p("api.example.com/*")],
            true,
        );
        t.add("wild", &[p("*.example.com/*")], true);
        t
    }

    #[test]
    fn the_most_specific_route_wins() {
        let t = table();
        assert_eq!(t.lookup("example.com", "/"), Some("site"));
        assert_eq!(t.lookup("example.com:8080", "/api/users"), Some("api"));
        assert_eq!(t.lookup("api.example.com", "/anything"), Some("api"));
        assert_eq!(t.lookup("www.example.com", "/anything"), Some("wild"));
        assert_eq!(t.lookup("other.org", "/"), None);
    }

    #[test]
    fn a_route_of_an_exact_host_beats_every_wildcard_one() {
        let p = |s: &str| RoutePattern::parse(s).unwrap();
        let mut t = RouteTable::new();
        t.add("any", &[p("*/*")], false);
        t.add("wild", &[p("*.example.com/api/*")], false);
        t.add("exact", &[p("www.example.com/*")], false);
        t.add("first", &[p("www.example.com/x")], false);
        t.add("second", &[p("www.example.com/x")], false);
        assert_eq!(t.lookup("www.example.com", "/api/users"), Some("exact"));
        assert_eq!(t.lookup("WWW.Example.com", "/api/users"), Some("exact"));
        assert_eq!(t.lookup("api.example.com", "/api/users"), Some("wild"));
        assert_eq!(t.lookup("api.example.com", "/"), Some("any"));
        // Equally specific: the first declared wins.
        assert_eq!(t.lookup("www.example.com", "/x"), Some("first"));
    }

    #[test]
    fn workers_dev_workers_answer_at_their_localhost_name() {
        let t = table();
        assert_eq!(t.lookup("wild.localhost:8787", "/x"), Some("wild"));
        assert_eq!(t.lookup("API.localhost", "/"), Some("api"));
        assert_eq!(t.lookup("nobody.localhost", "/"), None);
        assert_eq!(t.lookup("site.localhost", "/"), None);
    }
}
