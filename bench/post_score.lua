-- wrk: POST /v1/scores with a random player and score per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
math.randomseed(os.time())
request = function()
  local body = string.format('{"game":"bench","player":"p%d","score":%d,"region":"eu"}',
    math.random(1, 100000), math.random(0, 1000000))
  return wrk.format(nil, "/v1/scores", nil, body)
end
