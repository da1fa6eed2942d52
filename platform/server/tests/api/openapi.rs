//! The committed spec is what the code generates, and it is fit for SDK generators.

use std::{collections::HashMap, path::PathBuf};

use gamarriando_server::app::{self, Services};
use serde_json::Value;

const REGENERATE: &str = "run `cargo run -p gamarriando-server -- openapi > openapi/openapi.json`";

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../openapi/openapi.json")
}

async fn spec() -> Value {
    serde_json::from_str(&app::openapi_json(&Services::all()).unwrap()).unwrap()
}

#[tokio::test]
async fn committed_spec_is_current() {
    let generated = app::openapi_json(&Services::all()).unwrap();
    let path = committed_path();
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read ({e}); {REGENERATE}", path.display()));
    if committed != generated {
        // Name the first differing line so the failure says what moved.
        let diff = committed
            .lines()
            .zip(generated.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map(|(i, (a, b))| {
                format!(
                    "first difference at line {}:\n  committed: {a}\n  generated: {b}",
                    i + 1
                )
            })
            .unwrap_or_else(|| "one is a prefix of the other".into());
        panic!("openapi/openapi.json is stale: {REGENERATE}\n{diff}");
    }
}

#[tokio::test]
async fn binary_prints_the_same_spec() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gamarriando"))
        .arg("openapi")
        // Whatever the environment says, `openapi` must not need (or touch) a database.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gamarriando openapi failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        app::openapi_json(&Services::all()).unwrap()
    );
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn operations(spec: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                ops.push((path.clone(), method.to_string(), op));
            }
        }
    }
    ops
}

#[tokio::test]
async fn operation_ids_are_unique() {
    let spec = spec().await;
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut problems = Vec::new();
    for (path, method, op) in operations(&spec) {
        let here = format!("{} {path}", method.to_uppercase());
        match op["operationId"].as_str() {
            None => problems.push(format!("{here} has no operationId")),
            Some(id) => {
                if let Some(first) = seen.insert(id.to_string(), here.clone()) {
                    problems.push(format!(
                        "operationId {id:?} is used by both {first} and {here}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn every_api_operation_declares_a_4xx_problem() {
    let spec = spec().await;
    let ops = operations(&spec);
    assert!(
        ops.iter().any(|(p, _, _)| p.starts_with("/api/v1/users/")),
        "users routes are missing"
    );
    assert!(
        ops.iter()
            .any(|(p, _, _)| p.starts_with("/api/v1/platform/")),
        "tenant admin routes are missing"
    );
    let missing: Vec<String> = ops
        .iter()
        .filter(|(path, _, _)| path.starts_with("/api/"))
        .filter(|(_, _, op)| {
            !op["responses"]
                .as_object()
                .is_some_and(|r| r.keys().any(|code| code.starts_with('4')))
        })
        .map(|(path, method, _)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a 4XX response:\n{}",
        missing.join("\n")
    );
}

#[tokio::test]
async fn document_names_itself_and_the_bearer_scheme() {
    let spec = spec().await;
    assert_eq!(spec["info"]["title"], "Gamarriando API");
    assert_eq!(spec["info"]["version"], env!("CARGO_PKG_VERSION"));
    let bearer = &spec["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(bearer["bearerFormat"], "JWT");
    assert!(
        spec["paths"]["/health"]["get"].is_object() && spec["paths"]["/ready"]["get"].is_object()
    );
    // Every security requirement names a declared scheme.
    for (path, method, op) in operations(&spec) {
        for req in op["security"].as_array().into_iter().flatten() {
            for name in req.as_object().unwrap().keys() {
                assert!(
                    spec["components"]["securitySchemes"][name].is_object(),
                    "{method} {path}: unknown scheme {name}"
                );
            }
        }
    }
}
