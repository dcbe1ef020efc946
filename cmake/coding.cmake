# Torch-free coding path, src/coding -> lbb_coding: local bits-back coding with the
# deterministic flow evaluator (flow_coder.cc, black_box_coder.cc) and the stream/container
# pipeline (compression.cc).
file(GLOB LBB_CODING_SOURCES ${PROJECT_SOURCE_DIR}/src/coding/*.cc)
add_library(lbb_coding STATIC ${LBB_CODING_SOURCES})
target_include_directories(lbb_coding PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_coding PUBLIC lbb_det lbb_format lbb_model lbb_io Threads::Threads)
# Encoder and decoder must compute the same bits: no FMA contraction, no fast-math.
target_compile_options(lbb_coding PRIVATE -ffp-contract=off -fno-fast-math)

if(LBB_BUILD_FUZZ)
  # The whole decoder on untrusted bytes, with the tiny committed model (lbb_common carries the
  # sanitizer and fuzzer-no-link flags on to lbb_coding and everything under it).
  # fuzz_decompress: the decoder alone; fuzz_roundtrip: compress, decode, damage, decode again.
  foreach(target fuzz_decompress fuzz_roundtrip)
    lbb_add_fuzzer(${target} fuzz/${target}.cc lbb_coding ZLIB::ZLIB)
    target_compile_definitions(${target} PRIVATE LBB_FUZZ_MODEL="${PROJECT_SOURCE_DIR}/tests/data/fuzz_model.lbbm")
  endforeach()
endif()

if(LBB_BUILD_TESTS)
  lbb_add_test(compress_test SOURCES tests/compress_test.cc LIBS lbb_coding)
  lbb_add_test(compress_tiles_test SOURCES tests/compress_tiles_test.cc LIBS lbb_coding)
  target_compile_definitions(compress_tiles_test PRIVATE LBB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  lbb_add_test(compress_golden_test SOURCES tests/compress_golden_test.cc LIBS lbb_coding)

  # The same coding path built with the kernels' baseline (x86-64 SSE2) clones only: decoding
  # the golden file with it, and re-encoding it byte for byte, shows that the AVX2 and the
  # baseline builds compute the same bits, so files decode on CPUs without AVX2.
  add_library(lbb_coding_baseline STATIC ${LBB_DET_SOURCES} ${LBB_CODING_SOURCES})
  target_include_directories(lbb_coding_baseline PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(lbb_coding_baseline PUBLIC lbb_format lbb_model lbb_io Threads::Threads)
  target_compile_definitions(lbb_coding_baseline PRIVATE LBB_DET_NO_CLONES)
  target_compile_options(lbb_coding_baseline PRIVATE -ffp-contract=off -fno-fast-math)
  lbb_add_test(compress_golden_baseline_test SOURCES tests/compress_golden_test.cc LIBS lbb_coding_baseline)
endif()
