//! A method a path does not have is a 405 naming every method the path does have, as the contract
//! (`openapi/openapi.json`) documents them. nginx sends a path's reads to query-api and its other
//! methods to command-api, so each service's router knows only its own half of a path: without this,
//! `PATCH /v1/jobs` would name only `POST` and `GET /v1/sessions` would be a 404.

use std::sync::LazyLock;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

static DOCUMENTED: LazyLock<PathMethods> = LazyLock::new(|| PathMethods::of_openapi(crate::CONTRACT));

/// Each documented path template with its methods.
#[derive(Debug, Default)]
pub struct PathMethods {
    templates: Vec<(Vec<Segment>, Vec<Method>)>,
    /// The same methods by template text, for a request a route matched (axum's `MatchedPath` is
    /// the template as the document spells it): one look-up instead of a walk of every template.
    by_template: std::collections::HashMap<String, Vec<Method>>,
    /// Templates some of whose paths a more literal template takes (`/v1/jobs/{id}` has
    /// `/v1/jobs/batch`): a route matched on one of them is looked up by its path instead.
    shadowed: std::collections::HashSet<String>,
}

#[derive(Debug, PartialEq)]
enum Segment {
    Literal(String),
    Parameter,
}

impl PathMethods {
    /// The paths and methods of an OpenAPI document (none when it cannot be read).
    pub fn of_openapi(document: &str) -> Self {
        let Ok(document) = serde_json::from_str::<serde_json::Value>(document) else {
            return Self::default();
        };
        let Some(paths) = document["paths"].as_object() else { return Self::default() };
        let by_template: std::collections::HashMap<String, Vec<Method>> = paths
            .iter()
            .map(|(path, operations)| {
                let methods = operations
                    .as_object()
                    .into_iter()
                    .flat_map(|o| o.keys())
                    .filter_map(|name| Method::from_bytes(name.to_ascii_uppercase().as_bytes()).ok())
                    .collect();
                (path.clone(), methods)
            })
            .collect();
        let templates: Vec<_> =
            by_template.iter().map(|(path, methods)| (segments(path), methods.clone())).collect();
        let shadowed = by_template
            .keys()
            .filter(|path| {
                let general = segments(path);
                templates.iter().any(|(other, _)| shadows(other, &general))
            })
            .cloned()
            .collect();
        Self { templates, by_template, shadowed }
    }

    /// The methods of `template`, a route's path template as the document spells it; `None` also
    /// for a template a more literal one shadows (ask [`PathMethods::of`] the path then).
    pub fn of_template(&self, template: &str) -> Option<&[Method]> {
        if self.shadowed.contains(template) {
            return None;
        }
        self.by_template.get(template).map(Vec::as_slice)
    }

    /// The methods of the template `path` matches, preferring literal segments (`/v1/users/me` over
    /// `/v1/users/{id}`); `None` for a path the contract does not have.
    pub fn of(&self, path: &str) -> Option<&[Method]> {
        // Asked of every request: the path's parts are walked, not collected.
        let parts = || path.trim_end_matches('/').split('/');
        let length = parts().count();
        self.templates
            .iter()
            .filter(|(template, _)| {
                template.len() == length
                    && template.iter().zip(parts()).all(|(segment, part)| match segment {
                        Segment::Literal(literal) => literal == part,
                        Segment::Parameter => !part.is_empty(),
                    })
            })
            .max_by_key(|(template, _)| template.iter().filter(|s| matches!(s, Segment::Literal(_))).count())
            .map(|(_, methods)| methods.as_slice())
    }
}

/// Whether `literal` takes some of `general`'s paths: as long, a literal wherever `general` has one,
/// and a literal somewhere `general` has a parameter.
fn shadows(literal: &[Segment], general: &[Segment]) -> bool {
    literal.len() == general.len()
        && literal.iter().zip(general).all(|pair| match pair {
            (Segment::Literal(a), Segment::Literal(b)) => a == b,
            (_, Segment::Parameter) => true,
            (Segment::Parameter, Segment::Literal(_)) => false,
        })
        && literal.iter().zip(general).any(|pair| matches!(pair, (Segment::Literal(_), Segment::Parameter)))
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(|part| {
            if part.starts_with('{') && part.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Literal(part.to_owned())
            }
        })
        .collect()
}

/// Middleware: a documented path asked with a method it does not have is answered 405, with an
/// `Allow` header of the path's documented methods, before any route sees it. `HEAD` goes where
/// `GET` does.
pub async fn refuse_undocumented_methods(request: Request, next: Next) -> Response {
    let method = request.method();
    let matched = request.extensions().get::<MatchedPath>().and_then(|m| DOCUMENTED.of_template(m.as_str()));
    if let Some(allowed) = matched.or_else(|| DOCUMENTED.of(request.uri().path())) {
        let head_of_get = method == Method::HEAD && allowed.contains(&Method::GET);
        if !allowed.contains(method) && !head_of_get {
            return ApiError::MethodNotAllowed(allowed.to_vec()).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"{"paths": {
        "/v1/jobs": {"get": {}, "post": {}},
        "/v1/users/{id}": {"get": {}},
        "/v1/users/me": {"get": {}, "patch": {}},
        "/v1/sessions": {"post": {}}
    }}"#;

    #[test]
    fn a_path_is_matched_to_its_template_literal_segments_first() {
        let paths = PathMethods::of_openapi(DOCUMENT);
        assert_eq!(paths.of("/v1/jobs"), Some(&[Method::GET, Method::POST][..]));
        assert_eq!(paths.of("/v1/users/0193"), Some(&[Method::GET][..]));
        assert_eq!(paths.of("/v1/users/me"), Some(&[Method::GET, Method::PATCH][..]));
        assert_eq!(paths.of("/v1/nothing"), None);
        assert_eq!(paths.of("/v1/users/0193/extra"), None);
    }

    #[test]
    fn a_template_as_the_document_spells_it_gives_its_methods() {
        let paths = PathMethods::of_openapi(DOCUMENT);
        assert_eq!(paths.of_template("/v1/jobs"), Some(&[Method::GET, Method::POST][..]));
        assert_eq!(paths.of_template("/v1/users/me"), Some(&[Method::GET, Method::PATCH][..]));
        assert_eq!(paths.of_template("/v1/users/0193"), None);
    }

    #[test]
    fn a_template_a_more_literal_one_shadows_is_looked_up_by_its_path() {
        let paths = PathMethods::of_openapi(DOCUMENT);
        assert_eq!(paths.of_template("/v1/users/{id}"), None);
        assert_eq!(paths.of("/v1/users/me"), Some(&[Method::GET, Method::PATCH][..]));
    }

    #[test]
    fn the_committed_contract_knows_the_api_s_paths() {
        assert_eq!(DOCUMENTED.of("/v1/sessions"), Some(&[Method::POST][..]));
        assert!(DOCUMENTED.of("/v1/jobs/0193").is_some_and(|m| m.contains(&Method::DELETE)));
    }
}
