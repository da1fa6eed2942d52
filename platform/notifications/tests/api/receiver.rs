//! A local HTTP server standing in for an outside service: it records every request and answers
//! as told (success, an error status, or holding the request open to simulate a crash).

use std::sync::{Arc, Mutex};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::IntoResponse,
};
use tokio::sync::Notify;

#[derive(Clone, Debug)]
pub struct Hit {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

#[derive(Clone, Debug)]
pub enum Behaviour {
    /// Answer with this status and body.
    Answer(u16, &'static str),
    /// Record the request, wake the test, and never answer.
    Hold,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    behaviour: Arc<Mutex<Behaviour>>,
    pub arrived: Arc<Notify>,
}

impl Receiver {
    pub async fn start(behaviour: Behaviour) -> Receiver {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(behaviour));
        let arrived = Arc::new(Notify::new());
        let (h, b, a) = (hits.clone(), behaviour.clone(), arrived.clone());
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (h, b, a) = (h.clone(), b.clone(), a.clone());
                async move {
                    h.lock().unwrap().push(Hit {
                        method,
                        uri,
                        headers,
                        body,
                    });
                    a.notify_waiters();
                    let behaviour = b.lock().unwrap().clone();
                    match behaviour {
                        Behaviour::Answer(status, body) => (
                            StatusCode::from_u16(status).unwrap(),
                            [("content-type", "application/json")],
                            body,
                        )
                            .into_response(),
                        Behaviour::Hold => {
                            std::future::pending::<()>().await;
                            unreachable!()
                        }
                    }
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url,
            hits,
            behaviour,
            arrived,
        }
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}
