-- GET /api/v1/movies?genre=G&sort=rating for a random genre and page 1–3.
local genres = {"Action", "Comedy", "Drama", "Thriller", "Horror", "Science%20Fiction",
                "Romance", "Crime", "Family", "Adventure"}
math.randomseed(7)
request = function()
  local g = genres[math.random(1, #genres)]
  return wrk.format("GET", "/api/v1/movies?genre=" .. g .. "&sort=rating&page=" .. math.random(1, 3))
end
