# Torch-free integer entropy models and direct tile coders: src/model -> lbb_model.
add_library(lbb_model STATIC
  src/model/det_math.cc
  src/model/cdf_table.cc
  src/model/discretized.cc
  src/model/categorical.cc
  src/model/linear_ar_gaussian.cc
  src/model/context_image_model.cc
  src/model/adaptive_image_model.cc
  src/model/predictive_image_model.cc
)
target_include_directories(lbb_model PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_model PUBLIC lbb_ans Threads::Threads)
# DESIGN.md §5: encoder and decoder compute the same integers: no FMA contraction, no fast-math.
target_compile_options(lbb_model PRIVATE -ffp-contract=off -fno-fast-math)

if(LBB_BUILD_TESTS)
  foreach(unit det_math gaussian windowed_gaussian discrete linear_ar_gaussian adaptive_image)
    lbb_add_test(model_${unit}_test SOURCES tests/model_${unit}_test.cc LIBS lbb_model)
  endforeach()
  # These two read Fashion-MNIST and photographs with the io library.
  foreach(unit predictive_image context_image)
    lbb_add_test(model_${unit}_test SOURCES tests/model_${unit}_test.cc LIBS lbb_model lbb_io)
  endforeach()
endif()

if(LBB_BUILD_BENCH)
  add_executable(bench_gaussian_coding bench/bench_gaussian_coding.cc)
  target_link_libraries(bench_gaussian_coding PRIVATE lbb_model)
  add_executable(bench_direct_coders bench/bench_direct_coders.cc)
  target_link_libraries(bench_direct_coders PRIVATE lbb_model lbb_io)
endif()

if(LBB_BUILD_FUZZ)
  # The message driven through the entropy models' push / pop (fuzz/fuzz_message.cc).
  lbb_add_fuzzer(fuzz_message fuzz/fuzz_message.cc lbb_model lbb_ans)
endif()
