//! The catalog itself: forced RLS everywhere it is needed, and a runtime role with no way around it.

use crate::{DEFINER_ONLY, seeded, tenant_tables};

#[tokio::test]
async fn every_tenant_table_has_forced_rls_with_using_and_check() {
    let s = seeded().await;
    let tables = tenant_tables(&s.db.owner).await;
    assert!(
        tables.len() >= 9,
        "expected the user tables at least, got {tables:?}"
    );
    for t in tables {
        let (enabled, forced): (bool, bool) =
            sqlx::query_as("select relrowsecurity, relforcerowsecurity from pg_class where relname = $1 and relnamespace = 'public'::regnamespace")
                .bind(&t)
                .fetch_one(&s.db.owner)
                .await
                .unwrap();
        assert!(
            enabled && forced,
            "table {t}: row level security enabled={enabled} forced={forced}"
        );
        // Permissive policies are OR-ed: each must seal the tenant. Restrictive ones are AND-ed on
        // top (who inside the tenant may write) and can only narrow what the tenant policy allows.
        let policies: Vec<(Option<String>, Option<String>)> =
            sqlx::query_as("select qual, with_check from pg_policies where schemaname = 'public' and tablename = $1 and permissive = 'PERMISSIVE'")
                .bind(&t)
                .fetch_all(&s.db.owner)
                .await
                .unwrap();
        assert!(!policies.is_empty(), "table {t} has no permissive policy");
        for (using, check) in policies {
            let using = using.unwrap_or_default();
            let check = check.unwrap_or_default();
            assert!(
                using.contains("app_current_tenant"),
                "table {t}: USING does not read the tenant: {using}"
            );
            assert!(
                check.contains("app_current_tenant"),
                "table {t}: WITH CHECK does not read the tenant: {check}"
            );
        }
    }
}

/// Search needs indexes the planner cannot use under RLS (full-text and trigram operators are not
/// LEAKPROOF), so its denormalized table is reachable only through SECURITY DEFINER functions
/// that add `tenant_id = app_current_tenant()` themselves. The runtime role has no privilege on
/// it at all, and no SECURITY DEFINER function is executable by PUBLIC.
#[tokio::test]
async fn definer_only_tables_are_out_of_the_runtime_roles_reach() {
    let s = seeded().await;
    for t in DEFINER_ONLY {
        let privileges: Vec<String> = sqlx::query_scalar(
            "select p from unnest(array['select', 'insert', 'update', 'delete', 'truncate', 'references', 'trigger']) p
              where has_table_privilege('gamarriando_app', $1, p)",
        )
        .bind(t)
        .fetch_all(&s.db.owner)
        .await
        .unwrap();
        assert!(
            privileges.is_empty(),
            "runtime role holds {privileges:?} on {t}"
        );
        let err = sqlx::query(sqlx::AssertSqlSafe(format!("select count(*) from {t}")))
            .execute(&s.db.app)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("permission denied"), "{t}: {err}");
        let public_functions: Vec<String> = sqlx::query_scalar(
            "select p.proname::text from pg_proc p
              where p.pronamespace = 'public'::regnamespace and p.prosecdef
                and has_function_privilege('public', p.oid, 'execute')",
        )
        .fetch_all(&s.db.owner)
        .await
        .unwrap();
        assert!(
            public_functions.is_empty(),
            "definer functions with wrong grants: {public_functions:?}"
        );
    }
}

#[tokio::test]
async fn runtime_role_cannot_bypass_and_owns_nothing() {
    let s = seeded().await;
    let (superuser, bypass, createrole, createdb): (bool, bool, bool, bool) =
        sqlx::query_as("select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user")
            .fetch_one(&s.db.app)
            .await
            .unwrap();
    assert!(
        !superuser && !bypass && !createrole && !createdb,
        "runtime role has privileges it must not have"
    );
    let owned: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relowner = (select oid from pg_roles where rolname = current_user)
            and n.nspname not in ('pg_catalog', 'information_schema')",
    )
    .fetch_all(&s.db.app)
    .await
    .unwrap();
    assert!(owned.is_empty(), "runtime role owns {owned:?}");
    let owns_functions: i64 = sqlx::query_scalar(
        "select count(*) from pg_proc where proowner = (select oid from pg_roles where rolname = current_user)",
    )
    .fetch_one(&s.db.app)
    .await
    .unwrap();
    assert_eq!(owns_functions, 0);
    // Nor is it a member of a role that could bypass RLS.
    let powerful_memberships: i64 = sqlx::query_scalar(
        "select count(*) from pg_auth_members m join pg_roles r on r.oid = m.roleid
          where m.member = (select oid from pg_roles where rolname = current_user)
            and (r.rolsuper or r.rolbypassrls or r.rolname = 'gamarriando_owner')",
    )
    .fetch_one(&s.db.app)
    .await
    .unwrap();
    assert_eq!(powerful_memberships, 0);
}
