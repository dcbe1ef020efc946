# Imitation learning (thesis ch. 2, DESIGN.md §10): src/imitation -> lbb_imitation;
# tools/imitate -> the `imitate` CLI; tests/imitation_*_test.cc. Needs LibTorch and CLI11;
# shares nothing with the codec but src/io's error types (header-only use).
# MuJoCo (Debian's libmujoco-dev 2.2.2) simulates the locomotion and reaching tasks.
find_package(mujoco 2.2 REQUIRED CONFIG)
find_package(nlohmann_json 3 REQUIRED CONFIG)  # trajectory files (imitate rollout / replay)
include(${PROJECT_SOURCE_DIR}/cmake/embed_mjcf.cmake)
file(GLOB LBB_IMITATION_SOURCES ${PROJECT_SOURCE_DIR}/src/imitation/*.cc)
add_library(lbb_imitation STATIC ${LBB_IMITATION_SOURCES} ${LBB_MJCF_SOURCES_CC})
target_include_directories(lbb_imitation PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_imitation PUBLIC ${TORCH_LIBRARIES} mujoco::mujoco nlohmann_json::nlohmann_json ${CMAKE_DL_LIBS})
# LibTorch's headers dominate the build time: one precompiled header, shared by the tests.
target_precompile_headers(lbb_imitation PRIVATE <torch/torch.h>)

file(GLOB LBB_IMITATE_CLI_SOURCES ${PROJECT_SOURCE_DIR}/tools/imitate/*.cc)
if(LBB_IMITATE_CLI_SOURCES)
  add_executable(imitate ${LBB_IMITATE_CLI_SOURCES})
  target_link_libraries(imitate PRIVATE lbb_imitation lbb_io CLI11::CLI11)
  target_precompile_headers(imitate REUSE_FROM lbb_imitation)
endif()

if(LBB_BUILD_TESTS)
  file(GLOB LBB_IMITATION_TESTS ${PROJECT_SOURCE_DIR}/tests/imitation_*_test.cc)
  foreach(src ${LBB_IMITATION_TESTS})
    get_filename_component(name ${src} NAME_WE)
    lbb_add_test(${name} SOURCES ${src} LIBS lbb_imitation)
    target_precompile_headers(${name} REUSE_FROM lbb_imitation)
  endforeach()
  # The CLI run as a user would.
  target_compile_definitions(imitation_cli_test PRIVATE IMITATE_BINARY="$<TARGET_FILE:imitate>")
  target_link_libraries(imitation_cli_test PRIVATE lbb_common)  # widest_openblas_kernels
  add_dependencies(imitation_cli_test imitate)
endif()

if(LBB_BUILD_BENCH)
  # Google Benchmark: environment steps/s (batched), one TRPO iteration, one GAIL / FEM / GTAL run.
  find_package(benchmark CONFIG QUIET)
  if(benchmark_FOUND)
    add_executable(bench_imitation ${PROJECT_SOURCE_DIR}/bench/bench_imitation.cc)
    target_link_libraries(bench_imitation PRIVATE lbb_imitation benchmark::benchmark)
    target_precompile_headers(bench_imitation REUSE_FROM lbb_imitation)
  else()
    message(STATUS "Google Benchmark not found: no bench_imitation")
  endif()
endif()
