# Smoke test: --quick runs every part and every stdout line must be a JSON object with the
# contract's keys. It asserts no speed.
set(FP_BUS_BENCH_EXPECT
    embedded_produce_consume_rps,embedded_records_per_commit,embedded_e2e_latency_p50_us,embedded_e2e_latency_p99_us,kafka_produce_consume_rps,kafka_produce_rps,kafka_consume_rps,kafka_e2e_latency_p50_us,kafka_e2e_latency_p99_us)
add_test(NAME bus_bench_smoke
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_json_lines.sh --expect ${FP_BUS_BENCH_EXPECT}
                 -- $<TARGET_FILE:bus_bench> --quick)
set_tests_properties(bus_bench_smoke PROPERTIES TIMEOUT 120 LABELS bench)
