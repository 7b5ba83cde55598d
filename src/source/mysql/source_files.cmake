# The MySQL/MariaDB Source implementation: lifecycle, binlog streaming, schema tracking, positions.
add_library(tributary_mysql_source STATIC mysql_source.cpp binlog_stream.cpp schema_tracker.cpp
                                          server_state.cpp gtid_set.cpp seam.cpp
                                          ddl_change.cpp heartbeat_runner.cpp)
target_link_libraries(tributary_mysql_source PUBLIC tributary_mysql tributary_mysql_binlog
                                                    tributary_event tributary_checkpoint)
# pipelines[].signals.table: the signal table's rows, read from the binlog.
target_link_libraries(tributary_mysql_source PUBLIC tributary_signals)
