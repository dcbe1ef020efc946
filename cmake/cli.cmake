# The codec CLI without LibTorch: tools/lbb -> lbb (compress, decompress, fit-direct, retile, bench; it
# hands train, eval and sample on to lbb-train, below).  `cmake --install`
# puts it under bin/ and the shipped models and configs under share/lbb/, where it finds them
# relative to itself (tools/lbb/model_search.h).
set(LBB_CLI_COMMON_SOURCES ${PROJECT_SOURCE_DIR}/tools/lbb/progress.cc ${PROJECT_SOURCE_DIR}/tools/lbb/model_search.cc)
add_executable(lbb
  ${PROJECT_SOURCE_DIR}/tools/lbb/lbb_main.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/options.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_compress.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_decompress.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_fit_direct.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_retile.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_bench.cc
  ${LBB_CLI_COMMON_SOURCES})
target_link_libraries(lbb PRIVATE lbb_coding lbb_train_data CLI11::CLI11 ${CMAKE_DL_LIBS})
install(TARGETS lbb RUNTIME DESTINATION bin)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/ DESTINATION share/lbb/models FILES_MATCHING PATTERN "*.lbbm")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/ DESTINATION share/lbb/configs)

if(LBB_BUILD_TESTS)
  # The golden decompression errors of tests/data/damaged, run through this lbb.
  lbb_add_test(decode_errors_test SOURCES ${PROJECT_SOURCE_DIR}/tests/decode_errors_test.cc)
  target_compile_definitions(decode_errors_test PRIVATE LBB_BINARY="$<TARGET_FILE:lbb>"
                             LBB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_dependencies(decode_errors_test lbb)
  # lbb run carelessly or hostilely: odd -o targets, FIFO inputs, links inside -o, bombs, stdin and
  # stdout, SIGTERM during the write phase.
  lbb_add_test(cli_io_test SOURCES ${PROJECT_SOURCE_DIR}/tests/cli_io_test.cc LIBS lbb_io)
  target_compile_definitions(cli_io_test PRIVATE LBB_BINARY="$<TARGET_FILE:lbb>" LBB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_dependencies(cli_io_test lbb)
  # cmake --install into a prefix that is then moved; the installed lbb finds its models.
  add_test(NAME install_test COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install_test.sh ${PROJECT_BINARY_DIR})
  # scripts/bench_codecs.py (lbb beside optipng, WebP, JPEG-XL, JPEG 2000) on two small images.
  add_test(NAME bench_codecs_test COMMAND bash ${PROJECT_SOURCE_DIR}/tests/bench_codecs_test.sh ${PROJECT_BINARY_DIR})
endif()

if(LBB_WITH_TORCH)
  # lbb-train: train, eval, sample (lbb runs it for those commands), and bench with LibTorch's
  # forward pass beside the coder's.
  add_executable(lbb-train
    ${PROJECT_SOURCE_DIR}/tools/lbb/lbb_train_main.cc
    ${PROJECT_SOURCE_DIR}/tools/lbb/options.cc
    ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_train_flow.cc
    ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_eval_flow.cc
    ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_sample.cc
    ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_bench.cc
    ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_bench_torch.cc
    ${LBB_CLI_COMMON_SOURCES})
  target_link_libraries(lbb-train PRIVATE lbb_train CLI11::CLI11 ${CMAKE_DL_LIBS})
  install(TARGETS lbb-train RUNTIME DESTINATION bin)

  if(LBB_BUILD_TESTS)
    # The CLI run as a user would (lbb, and lbb-train through it; the test needs no LibTorch itself).
    lbb_add_test(cli_test SOURCES ${PROJECT_SOURCE_DIR}/tests/cli_test.cc LIBS lbb_io)
    target_compile_definitions(cli_test PRIVATE LBB_BINARY="$<TARGET_FILE:lbb>")
    add_dependencies(cli_test lbb lbb-train)
    # The photo training data script's filters on small synthetic inputs (scripts/photo_data.sh).
    add_test(NAME photo_data_test COMMAND bash ${PROJECT_SOURCE_DIR}/tests/photo_data_test.sh)
    # Data-parallel lbb train over c10d/Gloo on loopback (2 ranks, a killed rank, resume in 1 process).
    add_test(NAME train_distributed_test COMMAND bash ${PROJECT_SOURCE_DIR}/tests/train_distributed_test.sh ${PROJECT_BINARY_DIR})
  endif()
endif()
