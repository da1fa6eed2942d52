//! Object storage: presigned uploads against a real S3-compatible server (s3s-fs, which checks
//! signatures like S3 does; `.ci/run` starts it, `TEST_S3_ENDPOINT` names it), and the disk
//! backend through the real router (`PUT /files/upload/{token}`, `GET /files/{key}`).

use std::{sync::Arc, time::Duration};

use kernel::{
    ApiError,
    storage::{ObjectInfo, Storage, UploadTicket, tenant_key},
    tenant::{Tenant, TenantResolver},
    testing::{self, TestApp},
};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

const TTL: Duration = Duration::from_secs(300);

/// A bucket of this test's own on the local S3 server; an unreachable server fails the test.
async fn s3() -> Storage {
    let storage = Storage::s3(&testing::s3_config(), None).await.unwrap();
    storage.ensure_bucket().await.unwrap_or_else(|e| {
        panic!(
            "S3 server at {} (is s3s-fs running? .ci/run starts it): {e:#}",
            testing::s3_endpoint()
        )
    });
    storage
}

fn key(file: &str) -> String {
    tenant_key(Uuid::new_v4(), &["test", file])
}

/// Sends the ticket's request with `body` (the length taken from it, as in a browser);
/// `content_type` replaces the signed one when given.
async fn put(ticket: &UploadTicket, body: &'static [u8], content_type: Option<&str>) -> u16 {
    testing::send_upload(ticket, content_type, body)
        .await
        .as_u16()
}

#[tokio::test]
async fn s3_presigned_upload_round_trip() {
    let storage = s3().await;
    let key = key("a.png");
    let ticket = storage
        .presign_upload(&key, "image/png", 5, TTL)
        .await
        .unwrap();
    assert_eq!(ticket.method, "PUT");
    assert_eq!(ticket.headers["content-type"], "image/png");
    assert_eq!(
        ticket.headers.get("content-length").map(String::as_str),
        Some("5"),
        "the size is signed: {ticket:?}"
    );
    assert!(ticket.url.contains("X-Amz-Signature="));
    assert!(ticket.expires_at > time::OffsetDateTime::now_utc());

    assert_eq!(storage.head(&key).await.unwrap(), None);
    assert_eq!(put(&ticket, b"\x89PNG!", None).await, 200);
    assert_eq!(
        storage.head(&key).await.unwrap(),
        Some(ObjectInfo {
            size: 5,
            content_type: Some("image/png".into())
        })
    );
    assert!(
        storage
            .public_url(&key)
            .starts_with(&testing::s3_endpoint())
    );
    assert!(storage.public_url(&key).ends_with(&key));

    storage.delete(&key).await.unwrap();
    assert_eq!(storage.head(&key).await.unwrap(), None);
    // Deleting what is not there is fine.
    storage.delete(&key).await.unwrap();
}

#[tokio::test]
async fn s3_refuses_tampered_and_expired_urls() {
    let storage = s3().await;
    let key = key("a.png");
    let ticket = storage
        .presign_upload(&key, "image/png", 5, TTL)
        .await
        .unwrap();

    // Another key under the same signature.
    let mut other = ticket.clone();
    other.url = ticket.url.replace("/a.png?", "/b.png?");
    assert_ne!(other.url, ticket.url);
    assert_eq!(put(&other, b"12345", None).await, 403);
    // A longer validity under the same signature.
    let mut longer = ticket.clone();
    longer.url = ticket
        .url
        .replace("X-Amz-Expires=300", "X-Amz-Expires=3000");
    assert_ne!(longer.url, ticket.url);
    assert_eq!(put(&longer, b"12345", None).await, 403);
    // A changed signature.
    let mut forged = ticket.clone();
    let at = forged.url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let flipped = if &forged.url[at..at + 1] == "0" {
        "1"
    } else {
        "0"
    };
    forged.url.replace_range(at..at + 1, flipped);
    assert_eq!(put(&forged, b"12345", None).await, 403);

    // Expired.
    let short = storage
        .presign_upload(&key, "image/png", 5, Duration::from_secs(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(put(&short, b"12345", None).await, 403);

    assert_eq!(storage.head(&key).await.unwrap(), None);
    assert_eq!(
        storage
            .head(&tenant_key(Uuid::nil(), &["b.png"]))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn s3_refuses_another_content_type_or_size() {
    let storage = s3().await;
    let key = key("a.png");
    let ticket = storage
        .presign_upload(&key, "image/png", 5, TTL)
        .await
        .unwrap();
    assert_eq!(put(&ticket, b"12345", Some("text/html")).await, 403);
    assert_eq!(put(&ticket, b"123456", None).await, 403);
    assert_eq!(put(&ticket, b"1234", None).await, 403);
    assert_eq!(storage.head(&key).await.unwrap(), None);
    // The exact upload still works.
    assert_eq!(put(&ticket, b"12345", None).await, 200);
    assert_eq!(storage.head(&key).await.unwrap().unwrap().size, 5);
}

/// No API routes and no tenants: the file routes live outside the tenant middleware.
struct NoTenants;

#[async_trait::async_trait]
impl TenantResolver for NoTenants {
    async fn resolve(&self, _: &str) -> Result<Option<Tenant>, ApiError> {
        Ok(None)
    }
}

async fn disk_app() -> TestApp {
    let app = TestApp::builder()
        .build(|_, _, _| Arc::new(NoTenants), OpenApiRouter::new())
        .await;
    assert!(!app.state.storage.is_s3());
    app
}

/// The path (with the token) of a disk ticket's URL.
fn path_of(ticket: &UploadTicket) -> String {
    let rest = ticket.url.split_once("://").unwrap().1;
    rest[rest.find('/').unwrap()..].to_string()
}

#[tokio::test]
async fn disk_round_trip_through_the_router() {
    let app = disk_app().await;
    let storage = &app.state.storage;
    let key = key("a.webp");
    let ticket = storage
        .presign_upload(&key, "image/webp", 16, TTL)
        .await
        .unwrap();
    assert_eq!(ticket.method, "PUT");
    assert_eq!(ticket.headers["content-type"], "image/webp");
    let path = path_of(&ticket);
    assert!(path.starts_with("/files/upload/"), "{path}");

    app.put(&path)
        .raw("image/webp", "RIFF-webp-bytes")
        .send()
        .await
        .expect(200);
    assert_eq!(
        storage.head(&key).await.unwrap(),
        Some(ObjectInfo {
            size: 15,
            content_type: Some("image/webp".into())
        })
    );
    let url = storage.public_url(&key);
    assert!(url.ends_with(&format!("/files/{key}")), "{url}");
    let res = app.get(&format!("/files/{key}")).send().await.expect(200);
    assert_eq!(res.text, "RIFF-webp-bytes");
    assert_eq!(res.headers["content-type"], "image/webp");
    assert_eq!(res.headers["content-length"], "15");
    assert!(
        res.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(res.headers["x-content-type-options"], "nosniff");
    assert!(res.headers.contains_key("content-security-policy"));

    // The same token may replace the file while it is valid (a retried upload).
    app.put(&path)
        .raw("image/webp", "second")
        .send()
        .await
        .expect(200);
    assert_eq!(
        app.get(&format!("/files/{key}")).send().await.text,
        "second"
    );

    storage.delete(&key).await.unwrap();
    app.get(&format!("/files/{key}"))
        .send()
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn disk_refuses_oversized_uploads_and_writes_nothing() {
    let app = disk_app().await;
    let storage = &app.state.storage;
    let key = key("a.png");
    let ticket = storage
        .presign_upload(&key, "image/png", 5, TTL)
        .await
        .unwrap();
    let path = path_of(&ticket);
    // No length announced: the stream is cut at the limit.
    let res = app
        .put(&path)
        .raw("image/png", "123456")
        .lang("en")
        .send()
        .await
        .expect_problem(413, "payload_too_large");
    assert_eq!(res.body["title"], "Request too large");
    // A length over the limit is refused before reading.
    app.put(&path)
        .header("content-length", "6")
        .raw("image/png", "123456")
        .send()
        .await
        .expect_problem(413, "payload_too_large");
    assert_eq!(storage.head(&key).await.unwrap(), None);
    let tmp = app.files_dir.as_ref().unwrap().join(".tmp");
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "temporary files left in {}", tmp.display());

    app.put(&path)
        .raw("image/png", "12345")
        .send()
        .await
        .expect(200);
    assert_eq!(storage.head(&key).await.unwrap().unwrap().size, 5);
}

#[tokio::test]
async fn disk_refuses_another_content_type() {
    let app = disk_app().await;
    let key = key("a.png");
    let ticket = app
        .state
        .storage
        .presign_upload(&key, "image/png", 5, TTL)
        .await
        .unwrap();
    let path = path_of(&ticket);
    for ct in ["text/html", "image/jpeg", "image/svg+xml"] {
        let res = app
            .put(&path)
            .raw(ct, "12345")
            .lang("es")
            .send()
            .await
            .expect_problem(415, "upload_content_type_mismatch");
        assert!(!res.body["title"].as_str().unwrap().starts_with("problem-"));
    }
    app.put(&path)
        .send()
        .await
        .expect_problem(415, "upload_content_type_mismatch");
    assert_eq!(app.state.storage.head(&key).await.unwrap(), None);
    // Parameters and case do not matter.
    app.put(&path)
        .raw("Image/PNG; charset=binary", "12345")
        .send()
        .await
        .expect(200);
}

#[tokio::test]
async fn disk_refuses_bad_and_expired_tokens() {
    let app = disk_app().await;
    let storage = &app.state.storage;
    let key = key("a.png");
    let ticket = storage
        .presign_upload(&key, "image/png", 5, TTL)
        .await
        .unwrap();
    let path = path_of(&ticket);
    let token = path.trim_start_matches("/files/upload/");
    let (payload, tag) = token.split_once('.').unwrap();

    // Flipped signature character, missing signature, garbage, a token from another key.
    let flipped = {
        let mut t = tag.to_string();
        let c = if t.starts_with('A') { "B" } else { "A" };
        t.replace_range(0..1, c);
        format!("/files/upload/{payload}.{t}")
    };
    let other_key = {
        let t = storage
            .presign_upload(
                &tenant_key(Uuid::new_v4(), &["x.png"]),
                "image/png",
                5_000,
                TTL,
            )
            .await
            .unwrap();
        let other = path_of(&t);
        let (other_payload, _) = other
            .trim_start_matches("/files/upload/")
            .split_once('.')
            .unwrap();
        format!("/files/upload/{other_payload}.{tag}")
    };
    let expired = path_of(
        &storage
            .presign_upload(&key, "image/png", 5, Duration::ZERO)
            .await
            .unwrap(),
    );
    for bad in [
        flipped,
        format!("/files/upload/{payload}"),
        "/files/upload/garbage".to_string(),
        "/files/upload/a.b".to_string(),
        other_key,
        expired,
    ] {
        let res = app
            .put(&bad)
            .raw("image/png", "12345")
            .lang("en")
            .send()
            .await
            .expect_problem(403, "upload_url_invalid");
        assert!(!res.body["detail"].as_str().unwrap().starts_with("problem-"));
    }
    assert_eq!(storage.head(&key).await.unwrap(), None);

    // S3-style presigning works only on S3; a disk server has no such bucket route.
    app.put(&format!("/files/{key}"))
        .raw("image/png", "12345")
        .send()
        .await
        .expect(405);
}

#[tokio::test]
async fn disk_refuses_path_traversal() {
    let app = disk_app().await;
    let storage = &app.state.storage;
    // Keys that climb out of the root are never signed.
    for bad in [
        "t/../../etc/passwd",
        "../x.png",
        "t/./x",
        "/etc/passwd",
        "t/x.png.meta",
    ] {
        assert!(
            storage
                .presign_upload(bad, "image/png", 5, TTL)
                .await
                .is_err(),
            "{bad}"
        );
    }
    // A file outside the root, and the metadata beside a stored file, are never served.
    let outside = app
        .files_dir
        .as_ref()
        .unwrap()
        .parent()
        .unwrap()
        .join(format!("gmr-secret-{}.txt", Uuid::new_v4()));
    std::fs::write(&outside, "secret").unwrap();
    let name = outside.file_name().unwrap().to_str().unwrap().to_string();
    let key = key("a.png");
    let ticket = storage
        .presign_upload(&key, "image/png", 5, TTL)
        .await
        .unwrap();
    app.put(&path_of(&ticket))
        .raw("image/png", "12345")
        .send()
        .await
        .expect(200);
    for path in [
        format!("/files/../{name}"),
        format!("/files/t/../../{name}"),
        format!("/files/..%2F{name}"),
        format!("/files/t%2F..%2F..%2F{name}"),
        format!("/files/%2e%2e/{name}"),
        format!("/files/{key}.meta"),
        "/files/.tmp".to_string(),
        "/files/".to_string(),
    ] {
        let res = app.get(&path).send().await;
        assert!(
            res.status == 404 || res.status == 400,
            "{path}: {} {}",
            res.status,
            res.text
        );
        assert!(!res.text.contains("secret"), "{path}");
    }
    std::fs::remove_file(outside).unwrap();
}
