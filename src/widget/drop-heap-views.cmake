# Emscripten's minimal runtime makes eight typed-array views of the heap when it starts; nothing
# in the widget reads them (pre.js makes a fresh view at each use, as the heap grows with
# memory.grow), and closure keeps `new Int8Array(b);` statements because constructors may have
# side effects. This drops those statements from the linked bundle (-70 B gzip), and makes three
# more trims closure cannot (below; -14 B gzip; BENCHMARKS.md "Prompt size").
# cmake -DFILE=<npskit.js> -P drop-heap-views.cmake
file(READ ${FILE} js)
set(before "")
while(NOT js STREQUAL before)  # again until nothing changes: neighbouring statements share a ';'
  set(before "${js}")
  string(REGEX REPLACE "([;{\n])new (Int8|Int16|Int32|Uint8|Uint16|Uint32|Float32|Float64)Array\\([A-Za-z_$]+\\);" "\\1" js "${js}")
endwhile()
# ... and then the heap's buffer they were made of, read into a variable nothing else uses.
string(REGEX REPLACE "([;{\n])var [A-Za-z_$]+=[A-Za-z_$]+\\.buffer;" "\\1" js "${js}")
# The runtime's `var Module = Module || {}` after closure: extern-pre.js always defines Module.
string(REGEX REPLACE "var ([A-Za-z_$]+);([A-Za-z_$]+)\\|\\|=Module;" "var \\1=Module;" js "${js}")
# Closure writes the tagged text's separator (json_text.h) as \u0001: one raw U+0001 is the same
# JS string and 5 bytes shorter at each of its ~10 uses.
string(ASCII 1 separator)
string(REPLACE "\\u0001" "${separator}" js "${js}")
file(WRITE ${FILE} "${js}")
