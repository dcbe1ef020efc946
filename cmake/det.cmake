# Torch-free architecture description and deterministic evaluator of trained flow models
# (DESIGN.md §5): src/det -> lbb_det.  Used by the coding path; lbb_flow
# (cmake/flow.cmake) links it for the config parser.
file(GLOB LBB_DET_SOURCES ${PROJECT_SOURCE_DIR}/src/det/*.cc)
# The fused-product kernels' AVX-512F and AVX2+FMA builds (det_fused_kernels.h): on x86-64
# these two files alone get the ISA flags, and run only where the CPU has the instructions.
set(LBB_FUSED_ISA_SOURCES ${PROJECT_SOURCE_DIR}/src/det/det_fused_kernels_avx512.cc
                          ${PROJECT_SOURCE_DIR}/src/det/det_fused_kernels_avx2.cc)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set_source_files_properties(${PROJECT_SOURCE_DIR}/src/det/det_fused_kernels_avx512.cc
                              PROPERTIES COMPILE_OPTIONS "-mavx512f;-mfma")
  set_source_files_properties(${PROJECT_SOURCE_DIR}/src/det/det_fused_kernels_avx2.cc
                              PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
  set_source_files_properties(${PROJECT_SOURCE_DIR}/src/det/det_fused_kernels.cc
                              PROPERTIES COMPILE_DEFINITIONS LBB_FUSED_X86)
else()
  list(REMOVE_ITEM LBB_DET_SOURCES ${LBB_FUSED_ISA_SOURCES})
endif()
add_library(lbb_det STATIC ${LBB_DET_SOURCES})
target_include_directories(lbb_det PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_det PUBLIC lbb_model lbb_io Threads::Threads)
# Bit-identical results in encoder and decoder: no FMA contraction, no fast-math, ever.
target_compile_options(lbb_det PRIVATE -ffp-contract=off -fno-fast-math)

if(LBB_BUILD_TESTS)
  lbb_add_test(det_kernels_test SOURCES tests/det_kernels_test.cc LIBS lbb_det)
  lbb_add_test(det_team_test SOURCES tests/det_team_test.cc LIBS lbb_det)
  # std::fma and the reference's order of operations, never contracted.
  target_compile_options(det_kernels_test PRIVATE -ffp-contract=off)
endif()

if(LBB_WITH_TORCH AND LBB_BUILD_TESTS)
  # Compares with LibTorch; named det_* so that flow.cmake's flow_*_test glob skips it.
  lbb_add_test(det_flow_test SOURCES tests/det_flow_test.cc LIBS lbb_flow lbb_det lbb_train_data)
  target_compile_definitions(det_flow_test PRIVATE LBB_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()

if(LBB_WITH_TORCH AND LBB_BUILD_BENCH)
  add_executable(bench_det_flow ${PROJECT_SOURCE_DIR}/bench/bench_det_flow.cc)
  target_link_libraries(bench_det_flow PRIVATE lbb_flow lbb_det)
  target_compile_definitions(bench_det_flow PRIVATE
    LBB_DEFAULT_CONFIG="${PROJECT_SOURCE_DIR}/configs/fmnist_flowpp.cfg")
endif()
