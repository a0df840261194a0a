-- One endpoint of scripts/loadtest.sh: the signed-in caller's profile
-- (GET /users/me), which the account cache answers without the database.
dofile("scripts/wrk/common.lua")
math.randomseed(13)
request = function() return req_me() end
