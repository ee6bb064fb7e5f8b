# Harness tests (mnbench), label `harness`. Unit tests link mnbench_core;
# the shell tests drive the mnbench binary (argument 1) and read the
# schema from the source tree (argument 2).

function(mnb_unit_test name)
  add_executable(${name} ${name}.c testlib.c)
  target_link_libraries(${name} PRIVATE mnbench_core)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/runtime)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS harness TIMEOUT 120)
endfunction()

mnb_unit_test(test_stats)
mnb_unit_test(test_hist)
mnb_unit_test(test_parse)
mnb_unit_test(test_results)

# Bad input: exit 2, one line naming the culprit, nothing written.
add_test(NAME test_cli
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_cli.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
# These run benchmarks: serial, so that pinned runtimes do not share CPUs.
add_test(NAME test_run_json
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_run_json.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
add_test(NAME test_sigint
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_sigint.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
add_test(NAME test_default_suite
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_default_suite.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
set_tests_properties(test_cli test_default_suite PROPERTIES LABELS harness TIMEOUT 300)
set_tests_properties(test_run_json test_sigint PROPERTIES LABELS harness TIMEOUT 300 RUN_SERIAL TRUE)
# The whole default suite, timed (two minutes at most on 2 cores).
add_test(NAME test_default_suite_run
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_default_suite.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR} run)
set_tests_properties(test_default_suite_run PROPERTIES LABELS "harness;heavy" TIMEOUT 300 RUN_SERIAL TRUE)
