# What every room uses, torch-free: src/common -> lbb_common (error types, varints, CRCs, lazily
# backed buffers, the choice of OpenBLAS's kernels at process start-up).  Everything else links it, so the fuzz
# build's instrumentation is set here and passed on.
add_library(lbb_common STATIC
  src/common/crc.cc
  src/common/lazy_bytes.cc
  src/common/openblas_kernels.cc
  src/common/varint.cc
)
target_include_directories(lbb_common PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_common PUBLIC ZLIB::ZLIB ${CMAKE_DL_LIBS})

if(LBB_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LBB_BUILD_FUZZ needs clang (configure with CXX=clang++); see fuzz/run_fuzz.sh")
  endif()
  # Instrument the libraries as well, so the sanitizers and coverage see the coding code.
  target_compile_options(lbb_common PUBLIC -fsanitize=address,undefined -fno-sanitize-recover=all
                                            -fsanitize=fuzzer-no-link -g
                                            -fsanitize-coverage-ignorelist=${PROJECT_SOURCE_DIR}/fuzz/coverage_ignore.txt)
  target_link_options(lbb_common PUBLIC -fsanitize=address,undefined)
endif()

if(LBB_BUILD_TESTS)
  lbb_add_test(common_varint_test SOURCES tests/common_varint_test.cc LIBS lbb_common)
endif()
