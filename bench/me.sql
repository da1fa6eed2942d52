-- pgbench: the SQL that GET /api/v1/users/me runs, as the runtime role.
-- pgbench -M prepared -n -c 64 -j 2 -T 20 -f bench/me.sql -D tid=<tenant> -D uid=<user>
BEGIN;
SELECT set_config('app.tenant_id', :tid, true), set_config('app.user_id', :uid, true);
SELECT u.id, u.email::text AS email, u.email_verified_at, u.status, coalesce(p.display_name, '') AS display_name, p.phone, p.avatar_url, u.created_at, array(SELECT r.role FROM user_roles r WHERE r.user_id = u.id ORDER BY r.role) AS roles FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id WHERE u.id = :uid;
COMMIT;
