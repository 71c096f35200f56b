# The embedded backend: the conformance suite, its own semantics (retention, groups, corruption,
# journal + bus atomicity) and a kill -9 crash test of the log.
add_executable(fp_bus_crash_child ${CMAKE_CURRENT_LIST_DIR}/embedded_crash_child.cpp)
target_link_libraries(fp_bus_crash_child PRIVATE fp_bus fp_journal Threads::Threads)

fp_unit_tests(fp_bus_embedded_tests fp_bus
  ${CMAKE_CURRENT_LIST_DIR}/embedded_conformance.cpp
  ${CMAKE_CURRENT_LIST_DIR}/embedded_log_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/embedded_retention_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/embedded_group_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/embedded_crash_test.cpp
)
target_link_libraries(fp_bus_embedded_tests PRIVATE fp_journal PkgConfig::LMDB Threads::Threads)
target_compile_definitions(fp_bus_embedded_tests
                           PRIVATE FP_BUS_CRASH_CHILD="$<TARGET_FILE:fp_bus_crash_child>")
add_dependencies(fp_bus_embedded_tests fp_bus_crash_child)
