# Torch-free architecture description and deterministic evaluator of trained flow models
# (DESIGN.md §5): src/det -> lbb_flow_det.  Used by the coding path; lbb_flow
# (cmake/torch_parts.cmake) links it for the config parser.
file(GLOB LBB_FLOW_DET_SOURCES ${PROJECT_SOURCE_DIR}/src/det/*.cc)
add_library(lbb_flow_det STATIC ${LBB_FLOW_DET_SOURCES})
target_include_directories(lbb_flow_det PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_flow_det PUBLIC lbb_core lbb_io Threads::Threads)
# Bit-identical results in encoder and decoder: no FMA contraction, no fast-math, ever.
target_compile_options(lbb_flow_det PRIVATE -ffp-contract=off -fno-fast-math)

if(LBB_WITH_TORCH AND LBB_BUILD_TESTS)
  # Compares with LibTorch; named det_* so that torch_parts.cmake's flow_*_test glob skips it.
  lbb_add_test(det_flow_test SOURCES tests/det_flow_test.cc LIBS lbb_flow lbb_flow_det)
  target_compile_definitions(det_flow_test PRIVATE LBB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()

if(LBB_WITH_TORCH AND LBB_BUILD_BENCH)
  add_executable(bench_det_flow ${PROJECT_SOURCE_DIR}/bench/bench_det_flow.cc)
  target_link_libraries(bench_det_flow PRIVATE lbb_flow lbb_flow_det)
  target_compile_definitions(bench_det_flow PRIVATE
    LBB_DEFAULT_CONFIG="${PROJECT_SOURCE_DIR}/configs/fmnist_flowpp.cfg")
endif()
