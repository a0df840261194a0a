-- Mixed traffic of scripts/loadtest.sh, per mille: mostly reads, some
-- rating writes, and logins as rare as on a real site (each costs one
-- deliberately slow Argon2 verification).
dofile("scripts/wrk/common.lua")
math.randomseed(13)
local mix = {
  {400, req_list}, {250, req_detail}, {100, req_search},
  {150, req_recommend}, {98, req_rate}, {2, req_login},
}
request = function()
  local roll = math.random(1, 1000)
  for _, entry in ipairs(mix) do
    roll = roll - entry[1]
    if roll <= 0 then return entry[2]() end
  end
  return req_list()
end
