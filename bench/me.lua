-- wrk script: GET /api/v1/users/me on a tenant host with a bearer token.
wrk.method = "GET"
wrk.path = "/api/v1/users/me"
wrk.headers["Host"] = os.getenv("TENANT_HOST")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
