# LibTorch parts: src/flow, src/train -> lbb_flow; tools/lbb -> lbb-train.
file(GLOB LBB_FLOW_SOURCES ${PROJECT_SOURCE_DIR}/src/flow/*.cc ${PROJECT_SOURCE_DIR}/src/train/*.cc)
# (The torch-free evaluator and coding path are src/det and src/coding: cmake/det.cmake,
# cmake/coding.cmake.)
add_library(lbb_flow STATIC ${LBB_FLOW_SOURCES})
target_include_directories(lbb_flow PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_flow PUBLIC lbb_compress lbb_flow_det lbb_io ${TORCH_LIBRARIES})
target_compile_definitions(lbb_flow PRIVATE
  LBB_DEFAULT_MODEL="${PROJECT_SOURCE_DIR}/models/fmnist.lbbm")

# lbb-train: train, eval, sample (lbb, cmake/cli.cmake, runs it for those commands), and bench
# with LibTorch's forward pass beside the coder's.
add_executable(lbb-train
  ${PROJECT_SOURCE_DIR}/tools/lbb/main_train.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_train.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_eval.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_sample.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_bench.cc
  ${PROJECT_SOURCE_DIR}/tools/lbb/cmd_bench_torch.cc
  ${LBB_CLI_COMMON_SOURCES})
target_link_libraries(lbb-train PRIVATE lbb_flow CLI11::CLI11 ${CMAKE_DL_LIBS})
install(TARGETS lbb-train RUNTIME DESTINATION bin)

if(LBB_BUILD_TESTS)
  file(GLOB LBB_FLOW_TESTS ${PROJECT_SOURCE_DIR}/tests/flow_*_test.cc)
  foreach(src ${LBB_FLOW_TESTS})
    get_filename_component(name ${src} NAME_WE)
    lbb_add_test(${name} SOURCES ${src} LIBS lbb_flow)
  endforeach()
endif()

if(LBB_BUILD_BENCH)
  add_executable(bench_flow ${PROJECT_SOURCE_DIR}/bench/bench_flow.cc)
  target_link_libraries(bench_flow PRIVATE lbb_flow)
  target_compile_definitions(bench_flow PRIVATE
    LBB_DEFAULT_CONFIG="${PROJECT_SOURCE_DIR}/configs/fmnist_flowpp.cfg")
endif()

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
