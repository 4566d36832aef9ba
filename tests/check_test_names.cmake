# Fails when a test executable has a test case whose name CTest cannot run on its own.
#   cmake -DEXE=<test executable> -P check_test_names.cmake
# doctest_discover_tests registers one CTest test per test case and selects it with --test-case=<name>. A ';' in the
# name splits it into two CMake list items, so CTest gets two bogus tests whose filters match nothing and which
# "pass" with zero test cases run: the real case would silently never run. Use ',' instead.
execute_process(COMMAND "${EXE}" --list-test-cases OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${EXE} --list-test-cases failed (exit ${rc})")
endif()
string(FIND "${out}" ";" pos)
if(NOT pos EQUAL -1)
  string(REPLACE ";" "<SEMICOLON>" shown "${out}")
  message(FATAL_ERROR "a test case name contains ';', which CTest cannot select (use ','):\n${shown}")
endif()
