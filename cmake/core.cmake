# Torch-free entropy-coding core: src/ans, src/model -> lbb_core.
# (Tests, benchmark and fuzz target of the core are defined here too.)

add_library(lbb_core STATIC
  src/ans/message.cc
  src/model/det_math.cc
  src/model/cdf_table.cc
  src/model/discretized.cc
  src/model/categorical.cc
  src/model/linear_ar_gaussian.cc
  src/model/context_image_model.cc
  src/model/adaptive_image_model.cc
  src/model/predictive_image_model.cc
)
target_include_directories(lbb_core PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_core PUBLIC lbb_common Threads::Threads)
# DESIGN.md §5: the coding path must not depend on FMA contraction or fast-math; say so here
# too, so that the core keeps its guarantees even if it is built outside the top-level flags.
target_compile_options(lbb_core PRIVATE -ffp-contract=off -fno-fast-math)

if(LBB_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LBB_BUILD_FUZZ needs clang (configure with CXX=clang++); see fuzz/run_fuzz.sh")
  endif()
  # Instrument the library as well, so the sanitizers and coverage see the coding code.
  target_compile_options(lbb_core PUBLIC -fsanitize=address,undefined -fno-sanitize-recover=all
                                          -fsanitize=fuzzer-no-link -g
                                          -fsanitize-coverage-ignorelist=${PROJECT_SOURCE_DIR}/fuzz/coverage_ignore.txt)
  target_link_options(lbb_core PUBLIC -fsanitize=address,undefined)
  add_executable(fuzz_message fuzz/fuzz_message.cc)
  target_link_libraries(fuzz_message PRIVATE lbb_core)
  target_compile_options(fuzz_message PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_message PRIVATE -fsanitize=fuzzer)
endif()

if(LBB_BUILD_TESTS)
  lbb_add_test(ans_message_test SOURCES tests/ans_message_test.cc LIBS lbb_core)
  lbb_add_test(model_det_math_test SOURCES tests/model_det_math_test.cc LIBS lbb_core)
  lbb_add_test(model_gaussian_test SOURCES tests/model_gaussian_test.cc LIBS lbb_core)
  lbb_add_test(model_windowed_gaussian_test SOURCES tests/model_windowed_gaussian_test.cc LIBS lbb_core)
  lbb_add_test(model_discrete_test SOURCES tests/model_discrete_test.cc LIBS lbb_core)
  lbb_add_test(model_linear_ar_gaussian_test SOURCES tests/model_linear_ar_gaussian_test.cc LIBS lbb_core)
  lbb_add_test(model_adaptive_image_test SOURCES tests/model_adaptive_image_test.cc LIBS lbb_core)
  lbb_add_test(model_predictive_image_test SOURCES tests/model_predictive_image_test.cc LIBS lbb_core lbb_io)
endif()

if(LBB_BUILD_BENCH)
  add_executable(bench_gaussian_coding bench/bench_gaussian_coding.cc)
  target_link_libraries(bench_gaussian_coding PRIVATE lbb_core)
  add_executable(bench_direct_coders bench/bench_direct_coders.cc)
  target_link_libraries(bench_direct_coders PRIVATE lbb_core lbb_io)
endif()

if(LBB_BUILD_TESTS)
  # Needs the io library for Fashion-MNIST.
  lbb_add_test(model_context_image_test SOURCES tests/model_context_image_test.cc LIBS lbb_core lbb_io)
endif()
