-- Shared by the load-test scripts: tokens and ids prepared by loadtest.sh.
local function read_lines(path)
  local lines = {}
  local file = io.open(path, "r")
  if file then
    for line in file:lines() do lines[#lines + 1] = line end
    file:close()
  end
  return lines
end

tokens = read_lines(os.getenv("TOKENS_FILE") or "/dev/null")
users = read_lines(os.getenv("USERS_FILE") or "/dev/null")
movies = tonumber(os.getenv("MOVIES") or "1000")
genres = {"Action", "Comedy", "Drama", "Thriller", "Horror", "Science%20Fiction", "Romance", "Crime"}
words = {"star", "night", "love", "man", "the", "war", "city", "dead", "king", "girl"}

function pick(list) return list[math.random(1, #list)] end

function req_list()
  return wrk.format("GET", "/api/v1/movies?genre=" .. pick(genres) .. "&sort=rating&page=" .. math.random(1, 3))
end
function req_detail()
  return wrk.format("GET", "/api/v1/movies/" .. math.random(1, movies))
end
function req_search()
  return wrk.format("GET", "/api/v1/movies?q=" .. pick(words))
end
function req_login()
  return wrk.format("POST", "/api/v1/auth/login", {["Content-Type"] = "application/json"},
    '{"login":"' .. pick(users) .. '","password":"load test password"}')
end
function req_rate()
  return wrk.format("PUT", "/api/v1/movies/" .. math.random(1, movies) .. "/rating",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. pick(tokens)},
    '{"rating":' .. (math.random(1, 10) / 2) .. '}')
end
function req_recommend()
  return wrk.format("GET", "/api/v1/users/me/recommendations?limit=10",
    {["Authorization"] = "Bearer " .. pick(tokens)})
end
function req_me()
  return wrk.format("GET", "/api/v1/users/me", {["Authorization"] = "Bearer " .. pick(tokens)})
end
