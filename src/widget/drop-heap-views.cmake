# Emscripten's minimal runtime makes eight typed-array views of the heap when it starts; nothing
# in the widget reads them (pre.js makes a fresh view at each use, as the heap grows with
# memory.grow), and closure keeps `new Int8Array(b);` statements because constructors may have
# side effects. This drops those statements from the linked bundle (-70 B gzip).
# cmake -DFILE=<npskit.js> -P drop-heap-views.cmake
file(READ ${FILE} js)
set(before "")
while(NOT js STREQUAL before)  # again until nothing changes: neighbouring statements share a ';'
  set(before "${js}")
  string(REGEX REPLACE "([;{\n])new (Int8|Int16|Int32|Uint8|Uint16|Uint32|Float32|Float64)Array\\([A-Za-z_$]+\\);" "\\1" js "${js}")
endwhile()
file(WRITE ${FILE} "${js}")
