//! The pure crates stay pure: nothing `domain` or `read-model` links reaches a crate that talks to a
//! database, a broker, an object store, a mail server or HTTP. Read from `cargo metadata`, so a new
//! dependency anywhere below them is caught, not only one named in their own `Cargo.toml`.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

/// Crates that open a socket to Postgres, Redis, RabbitMQ, S3, SMTP or HTTP, and the workspace's
/// adapters built on them. tokio is not among them: cqrs-es, which `domain` needs for its aggregate
/// trait, depends on it, and tokio alone connects to nothing; the drivers listed here are what would.
const IO_CRATES: &[&str] = &[
    "sqlx",
    "sqlx-core",
    "postgres-es",
    "fred",
    "redis-protocol",
    "lapin",
    "reqwest",
    "hyper",
    "axum",
    "tokio-postgres",
    "object_store",
    "lettre",
    "eventlog",
    "redis-store",
    "http-kit",
    "messaging",
    "blobs",
];

/// The workspace's resolved dependency graph: each package's name, and the packages each one depends
/// on as a normal dependency (neither a dev- nor a build-dependency), by package id.
struct Graph {
    members: Vec<String>,
    names: HashMap<String, String>,
    normal_deps: HashMap<String, Vec<String>>,
}

impl Graph {
    /// The graph `cargo metadata` resolves for the workspace, every platform's dependencies included.
    fn of_workspace() -> Self {
        let output = std::process::Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1"])
            .current_dir(e2e::workspace_root())
            .output()
            .expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
        let members = metadata["workspace_members"].as_array().expect("a workspace_members array");
        let members = members.iter().map(text).collect();
        let names = metadata["packages"]
            .as_array()
            .expect("a packages array")
            .iter()
            .map(|package| (text(&package["id"]), text(&package["name"])))
            .collect();
        let normal_deps = metadata["resolve"]["nodes"]
            .as_array()
            .expect("a resolve graph")
            .iter()
            .map(|node| {
                let deps = node["deps"].as_array().expect("a deps array");
                (
                    text(&node["id"]),
                    deps.iter().filter(|dep| is_normal(dep)).map(|dep| text(&dep["pkg"])).collect(),
                )
            })
            .collect();
        Self { members, names, normal_deps }
    }

    /// The workspace member called `name`.
    fn member(&self, name: &str) -> String {
        let member = self.members.iter().find(|id| self.names[*id] == name);
        member.unwrap_or_else(|| panic!("no workspace member called {name}")).clone()
    }

    /// For every I/O crate `root` reaches through normal dependencies, the shortest chain of package
    /// names that leads there, as `root -> … -> crate`.
    fn paths_to_io_crates(&self, root: &str) -> Vec<String> {
        let start = self.member(root);
        // The root is reached from nowhere: the empty id ends the walk back in `path`.
        let mut reached_from: HashMap<&str, &str> = HashMap::from([(start.as_str(), "")]);
        let mut queue = VecDeque::from([start.as_str()]);
        let mut paths = Vec::new();
        while let Some(id) = queue.pop_front() {
            if IO_CRATES.contains(&self.names[id].as_str()) {
                paths.push(self.path(&reached_from, id));
                continue;
            }
            for dep in self.normal_deps.get(id).into_iter().flatten() {
                if !reached_from.contains_key(dep.as_str()) {
                    reached_from.insert(dep, id);
                    queue.push_back(dep);
                }
            }
        }
        paths
    }

    /// The names along the walk back from `id` to the root, root first.
    fn path<'a>(&'a self, reached_from: &HashMap<&'a str, &'a str>, mut id: &'a str) -> String {
        let mut names = Vec::new();
        while !id.is_empty() {
            names.push(self.names[id].as_str());
            id = reached_from[id];
        }
        names.reverse();
        names.join(" -> ")
    }
}

/// Whether a resolved dependency is linked into the package itself: one of its kinds is normal
/// (`null`), rather than only `dev` or `build`.
fn is_normal(dep: &Value) -> bool {
    dep["dep_kinds"].as_array().expect("dep_kinds").iter().any(|kind| kind["kind"].is_null())
}

/// A string field of the metadata.
fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

#[test]
fn the_domain_reaches_no_crate_that_does_io() {
    let paths = Graph::of_workspace().paths_to_io_crates("domain");
    assert!(paths.is_empty(), "domain must stay pure, yet it depends on I/O:\n{}", paths.join("\n"));
}

#[test]
fn the_read_model_reaches_no_crate_that_does_io() {
    let paths = Graph::of_workspace().paths_to_io_crates("read-model");
    assert!(paths.is_empty(), "read-model must stay pure, yet it depends on I/O:\n{}", paths.join("\n"));
}
