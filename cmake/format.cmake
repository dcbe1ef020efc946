# Torch-free .lbb container: src/format -> lbb_format (magic, version, model id, shapes,
# coding parameters, stream lengths, CRCs).  Its test and fuzz target are defined here too.
add_library(lbb_format STATIC
  src/format/container.cc
)
target_include_directories(lbb_format PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_format PUBLIC lbb_common)

if(LBB_BUILD_FUZZ)
  # lbb_common (cmake/common.cmake) passes the sanitizer and fuzzer-no-link flags on.
  lbb_add_fuzzer(fuzz_container fuzz/fuzz_container.cc lbb_format)
endif()

if(LBB_BUILD_TESTS)
  # (Files on disk: io/container_file.h.)
  lbb_add_test(format_container_test SOURCES tests/format_container_test.cc LIBS lbb_format lbb_io)
endif()
