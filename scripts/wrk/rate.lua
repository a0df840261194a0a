-- One endpoint of scripts/loadtest.sh: rate.
dofile("scripts/wrk/common.lua")
math.randomseed(11)
request = function() return req_rate() end
