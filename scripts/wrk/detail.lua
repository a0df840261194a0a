-- One endpoint of scripts/loadtest.sh: detail.
dofile("scripts/wrk/common.lua")
math.randomseed(11)
request = function() return req_detail() end
