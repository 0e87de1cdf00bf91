//! The route table: host and path to Worker name.

use motu_config::RoutePattern;

/// Every route of every Worker, most specific first.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(RoutePattern, String)>,
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
            self.routes.push((r, worker.to_owned()));
        }
        // Stable: among equally specific routes, the first declared wins.
        self.routes
            .sort_by_key(|(r, _)| std::cmp::Reverse(r.specificity()));
    }

    /// The Worker for a request's host (a port is ignored) and path.
    pub fn lookup(&self, host: &str, path: &str) -> Option<&str> {
        let host = strip_port(host);
        self.routes
            .iter()
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
    fn workers_dev_workers_answer_at_their_localhost_name() {
        let t = table();
        assert_eq!(t.lookup("wild.localhost:8787", "/x"), Some("wild"));
        assert_eq!(t.lookup("API.localhost", "/"), Some("api"));
        assert_eq!(t.lookup("nobody.localhost", "/"), None);
        assert_eq!(t.lookup("site.localhost", "/"), None);
    }
}
