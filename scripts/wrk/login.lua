-- One endpoint of scripts/loadtest.sh: login.
dofile("scripts/wrk/common.lua")
math.randomseed(11)
request = function() return req_login() end
