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

# Counters (bench/counters*.c). The unit cases run one per process (the
# setup is once per process), on the source this machine has and on the
# rusage fallback forced; the PAPI path skips (exit 77, PAPI's reason in
# its output) where PAPI has no usable hardware counters.
add_executable(test_counters test_counters.c testlib.c)
target_link_libraries(test_counters PRIVATE mnbench_core)
target_include_directories(test_counters PRIVATE ${CMAKE_SOURCE_DIR}/runtime)
foreach(case source_chosen work_is_counted blocked_m_reads_zero per_operation tsc_ticks
        explicit_list)
  add_test(NAME test_counters.${case} COMMAND test_counters ${case})
  add_test(NAME test_counters_rusage.${case} COMMAND test_counters ${case})
  set_tests_properties(test_counters_rusage.${case} PROPERTIES
    ENVIRONMENT MNBENCH_COUNTERS_FORCE=rusage)
  set_tests_properties(test_counters.${case} test_counters_rusage.${case} PROPERTIES
    LABELS harness TIMEOUT 60)
endforeach()
add_executable(test_counters_papi test_counters_papi.c)
target_link_libraries(test_counters_papi PRIVATE mnbench_core)
add_test(NAME test_counters_papi COMMAND test_counters_papi)
set_tests_properties(test_counters_papi PROPERTIES LABELS harness TIMEOUT 60
  SKIP_RETURN_CODE 77)
add_test(NAME test_counters_cli
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_counters_cli.sh $<TARGET_FILE:mnbench>)
set_tests_properties(test_counters_cli PROPERTIES LABELS harness TIMEOUT 120)
add_test(NAME test_counters_run
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_counters_run.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
set_tests_properties(test_counters_run PROPERTIES LABELS harness TIMEOUT 300 RUN_SERIAL TRUE)
# mnbench topo and the placement, topology, memory and steal settings.
add_test(NAME test_topo_cli
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_topo_cli.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
set_tests_properties(test_topo_cli PROPERTIES LABELS harness TIMEOUT 120)

# Readers of run folders: plot, compare, report (bench/plot.c, compare.c,
# report.c, mwu.c, runjson_read.c). The U test and the comparison model on
# synthetic runs; run.json validation against Python's jsonschema; plots,
# reports and compare's formats on a small real run, with run.json files
# whose strings try to run commands or inject markup.
mnb_unit_test(test_compare)
add_test(NAME test_runjson
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_runjson.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
add_test(NAME test_plot
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_plot.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
add_test(NAME test_report
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_report.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
add_test(NAME test_compare_cli
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_compare_cli.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR})
set_tests_properties(test_runjson test_plot test_report test_compare_cli PROPERTIES
  LABELS harness TIMEOUT 300 RUN_SERIAL TRUE)

# mnbench stress (bench/stress*.c): a short run with every fault injected
# passes; a deliberately lost message fails the channels invariant with the
# seed and a replay command; bad input is refused (exit 2, one line).
add_test(NAME test_stress_lose
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_stress.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR} lose)
add_test(NAME test_stress_bad
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_stress.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR} bad)
set_tests_properties(test_stress_lose PROPERTIES LABELS harness TIMEOUT 120 RUN_SERIAL TRUE)
set_tests_properties(test_stress_bad PROPERTIES LABELS harness TIMEOUT 60)
# The sanitizer trees run only `runtime` tests: the same stress, shorter.
# Under ASan, LSan checks that refused spawns leak nothing. TSan, ~5-10x
# slower, gets fewer workers and no kicker: it cannot take SIGURG on a G.
if(MN_ASAN OR MN_TSAN)
  if(MN_TSAN)
    set(MN_STRESS_SAN_ARGS --inject alloc --workers 4)
  else()
    set(MN_STRESS_SAN_ARGS --inject alloc,wake,signal)
  endif()
  add_test(NAME test_stress_san
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_stress.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR}
            run --duration 5s ${MN_STRESS_SAN_ARGS})
  set_tests_properties(test_stress_san PROPERTIES LABELS runtime TIMEOUT 120 RUN_SERIAL TRUE)
else()
  add_test(NAME test_stress
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_stress.sh $<TARGET_FILE:mnbench> ${CMAKE_SOURCE_DIR}
            run --duration 10s --inject alloc,wake,signal)
  set_tests_properties(test_stress PROPERTIES LABELS harness TIMEOUT 120 RUN_SERIAL TRUE)
endif()
