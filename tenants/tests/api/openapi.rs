//! The routes as the OpenAPI document describes them.

use std::collections::BTreeSet;

use crate::*;

#[tokio::test]
async fn every_operation_is_documented_secured_and_lists_its_problems() {
    let app = app().await;
    let spec = serde_json::to_value(&app.spec).unwrap();
    let mut ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.starts_with(BASE) {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            if method == "parameters" {
                continue;
            }
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(ids.insert(id.clone()), "duplicate operation id {id}");
            assert_eq!(op["tags"], serde_json::json!(["platform"]), "{id}");
            assert_eq!(
                op["security"],
                serde_json::json!([{ "bearer": [] }]),
                "{id}"
            );
            for status in ["401", "403", "404"] {
                let problem = &op["responses"][status]["content"]["application/problem+json"];
                assert!(problem.is_object(), "{id}: {status} problem");
            }
        }
    }
    let expected: BTreeSet<String> = [
        "create_tenant",
        "list_tenants",
        "get_tenant",
        "update_tenant",
        "suspend_tenant",
        "reactivate_tenant",
        "add_tenant_domain",
        "verify_tenant_domain",
        "remove_tenant_domain",
        "list_tenant_domains",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(ids, expected);
    let create = &spec["paths"][BASE]["post"];
    assert!(create["responses"]["409"]["content"]["application/problem+json"].is_object());
    assert!(create["responses"]["422"]["content"]["application/problem+json"].is_object());
    assert_eq!(
        create["responses"]["201"]["links"]["get_tenant"]["operationId"],
        "get_tenant"
    );
    assert!(spec["components"]["schemas"]["TenantView"].is_object());
    // No mass assignment: the request bodies refuse unknown fields, and say so.
    for body in ["NewTenant", "TenantPatch", "SuspendTenant", "NewDomain"] {
        assert_eq!(
            spec["components"]["schemas"][body]["additionalProperties"], false,
            "{body}"
        );
    }
}
