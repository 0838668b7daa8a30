-- wrk: POST /v1/jobs, a `message` job per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/jobs", nil, string.format('{"message":"bench job %d"}', n))
end
