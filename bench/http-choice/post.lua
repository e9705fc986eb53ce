wrk.method = "POST"
wrk.body = '{"v":1,"id":"x","type":"response","survey":"s","score":9,"ts":"2026-01-01T00:00:00Z"}'
wrk.headers["Content-Type"] = "application/json"
