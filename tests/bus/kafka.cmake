# The Kafka backend's tests, against librdkafka's mock cluster (in process, real protocol):
# its own cases and the bus conformance suite.
add_executable(kafka_bus_tests ${CMAKE_SOURCE_DIR}/tests/doctest_main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/kafka_bus_test.cpp
  ${CMAKE_CURRENT_LIST_DIR}/kafka_conformance.cpp
)
target_include_directories(kafka_bus_tests PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(kafka_bus_tests PRIVATE fp_bus doctest::doctest Threads::Threads)
doctest_discover_tests(kafka_bus_tests TEST_PREFIX "kafka_bus_tests: "
                       PROPERTIES LABELS bus ${FP_DOCTEST_PROPERTIES})

# `fp devbroker` + the Kafka backend + Debian's kcat (an independent client) end to end.
add_executable(kafka_produce_tool ${CMAKE_CURRENT_LIST_DIR}/kafka_produce_tool.cpp)
target_include_directories(kafka_produce_tool PRIVATE ${CMAKE_SOURCE_DIR})
target_link_libraries(kafka_produce_tool PRIVATE fp_bus Threads::Threads)
add_test(NAME kafka_devbroker
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/kafka_devbroker_test.sh $<TARGET_FILE:fp>
          $<TARGET_FILE:kafka_produce_tool> ${CMAKE_SOURCE_DIR}/config/profiles/dev.yaml)
set_tests_properties(kafka_devbroker PROPERTIES TIMEOUT 120 LABELS bus)
