-- wrk workload: the documented PUT, but with `Connection: close`, so every request opens a new
-- TCP connection (wrk reconnects after each answer).
wrk.method = "PUT"
wrk.path = "/api/v1/credentials/cred-789"
wrk.headers["Authorization"] = "Bearer YOUR_API_KEY"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "close"
wrk.body = '{"name":"OpenAI Production Key","plainDataObj":{"openAIApiKey":"sk-bench-0000000000000000"}}'
