# Fails when a library file breaks a house rule a reader relies on (DESIGN.md, "build rules"):
#   - no file over 400 lines (a file a learner can hold in their head; split by what it holds instead),
#   - every file starts with a comment that says what it is for.
#   cmake -DSOURCE_DIR=<project root> -P check_house_rules.cmake
# The library is the layers tensor → autograd → nn → optim → distributed/data/viz/run → models; examples, tests and
# benchmarks are programs, not library, and are not checked here.
set(layers tensor autograd nn optim distributed data viz run models)
set(problems "")
foreach(layer IN LISTS layers)
  file(GLOB_RECURSE files "${SOURCE_DIR}/${layer}/*.h" "${SOURCE_DIR}/${layer}/*.cpp")
  foreach(f IN LISTS files)
    file(READ "${f}" text)
    string(REGEX REPLACE "[^\n]" "" newlines "${text}")
    string(LENGTH "${newlines}" n)
    file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
    if(n GREATER 400)
      string(APPEND problems "  ${rel}: ${n} lines (the limit is 400: split it by what it holds)\n")
    endif()
    string(SUBSTRING "${text}" 0 2 head)
    if(NOT head STREQUAL "//")
      string(APPEND problems "  ${rel}: does not start with a // comment saying what the file is for\n")
    endif()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "house rules broken:\n${problems}")
endif()
