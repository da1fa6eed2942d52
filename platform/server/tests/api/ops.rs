//! The operational routes work with no database and no network: Swagger UI is vendored.

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use gamarriando_server::app::{self, Services};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn get(router: &axum::Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let req = Request::get(path)
        .header(header::HOST, "gamarra.localhost")
        .body(Body::empty())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn docs_and_spec_are_served_offline() {
    let router = app::router(app::offline_state().await.unwrap(), &Services::all());

    let (status, headers, _) = get(&router, "/docs").await;
    // `/docs` redirects to `/docs/`; follow it once.
    let (status, headers, html) = if status.is_redirection() {
        let to = headers[header::LOCATION].to_str().unwrap().to_string();
        get(&router, &to).await
    } else {
        (status, headers, String::new())
    };
    let (status, headers, html) = if html.is_empty() {
        get(&router, "/docs/").await
    } else {
        (status, headers, html)
    };
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.contains("swagger"), "not the Swagger UI page: {html}");
    // Its scripts come from the binary, not a CDN.
    assert!(
        !html.contains("https://"),
        "the docs page loads something from the network: {html}"
    );
    let (status, _, js) = get(&router, "/docs/swagger-ui-bundle.js").await;
    assert_eq!(status, StatusCode::OK, "vendored Swagger UI bundle missing");
    assert!(js.len() > 100_000);

    let (status, headers, json) = get(&router, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let served: serde_json::Value = serde_json::from_str(&json).unwrap();
    let generated: serde_json::Value =
        serde_json::from_str(&app::openapi_json(&Services::all()).unwrap()).unwrap();
    assert_eq!(served, generated);

    let (status, headers, body) = get(&router, "/health").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn a_subset_of_services_mounts_only_those_routes() {
    let services = Services::new(&[app::Service::Tenants]).unwrap();
    let spec = app::openapi(&services);
    assert!(
        spec.paths
            .paths
            .keys()
            .all(|p| !p.starts_with("/api/v1/users"))
    );
    assert!(
        spec.paths
            .paths
            .keys()
            .any(|p| p.starts_with("/api/v1/platform"))
    );
    assert!(spec.paths.paths.contains_key("/health"));
}
