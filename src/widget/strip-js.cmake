# Copies a JS file without its whole-line // comments and its indentation: the extern pre/post
# files ship as written (closure never sees them), and every byte counts in the prompt budget.
# cmake -DIN=<file> -DOUT=<file> -P strip-js.cmake
file(STRINGS ${IN} lines)
set(out "")
foreach(line IN LISTS lines)
  string(STRIP "${line}" line)
  if(line STREQUAL "" OR line MATCHES "^//")
    continue()
  endif()
  string(APPEND out "${line}\n")
endforeach()
file(WRITE ${OUT} "${out}")
