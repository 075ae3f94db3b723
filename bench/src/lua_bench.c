/* Fixed Lua 5.4 workload for the runtime-CPU benchmark: the interpreter
 * loop, tables, strings, closures and the GC. Prints a checksum.
 * Usage: lua_bench [scale] (default 1). */
#include <stdio.h>
#include <stdlib.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static const char *script =
  "local scale = ...\n"
  "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end\n"
  "local acc = 0\n"
  "for r = 1, scale do\n"
  "  acc = acc + fib(25)\n"
  "  local seed = 12345\n"
  "  local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed end\n"
  "  local t = {}\n"
  "  for i = 1, 120000 do t[i] = rnd() % 100000 end\n"
  "  table.sort(t)\n"
  "  acc = acc + t[1] + t[#t]\n"
  "  local words = {}\n"
  "  for i = 1, 40000 do words[#words+1] = string.format('w%d_%x', i, rnd() % 4096) end\n"
  "  local s = table.concat(words, ' ')\n"
  "  local cnt = 0\n"
  "  for w in s:gmatch('w(%d+)_') do cnt = cnt + #w end\n"
  "  acc = acc + cnt + #s:gsub('_', '-')\n"
  "  local map = {}\n"
  "  for i = 1, 80000 do local k = 'k' .. (rnd() % 20000); map[k] = (map[k] or 0) + i end\n"
  "  for k, v in pairs(map) do acc = acc + v % 7 end\n"
  "  local objs = {}\n"
  "  for i = 1, 60000 do objs[i] = { x = i, y = i * 2, f = function(z) return z + i end } end\n"
  "  for i = 1, #objs do acc = acc + objs[i].f(objs[i].x) % 3 end\n"
  "end\n"
  "return acc\n";

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadstring(L, script) != LUA_OK) {
    fprintf(stderr, "lua_bench: %s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_pushinteger(L, scale);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "lua_bench: %s\n", lua_tostring(L, -1));
    return 1;
  }
  printf("lua_bench checksum %lld\n", (long long)lua_tointeger(L, -1));
  lua_close(L);
  return 0;
}
