-- wrk workload: the documented "Update Values" request, keep-alive, repeated.
-- PUT /api/v1/credentials/cred-789 with the docs' placeholder key and a small JSON body.
wrk.method = "PUT"
wrk.path = "/api/v1/credentials/cred-789"
wrk.headers["Authorization"] = "Bearer YOUR_API_KEY"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"OpenAI Production Key","plainDataObj":{"openAIApiKey":"sk-bench-0000000000000000"}}'
