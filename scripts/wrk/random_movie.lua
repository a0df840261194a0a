-- GET /api/v1/movies/{id} for a random id in 1..MOVIES (env var).
local movies = tonumber(os.getenv("MOVIES") or "1000")
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v1/movies/" .. math.random(1, movies))
end
