# LibTorch flow layers built from the architecture's layer specs, and model files:
# src/flow -> lbb_flow.  (The torch-free evaluator and coding path are src/det and src/coding:
# cmake/det.cmake, cmake/coding.cmake.)
file(GLOB LBB_FLOW_SOURCES ${PROJECT_SOURCE_DIR}/src/flow/*.cc)
add_library(lbb_flow STATIC ${LBB_FLOW_SOURCES})
target_include_directories(lbb_flow PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_flow PUBLIC lbb_det lbb_io ${TORCH_LIBRARIES})

if(LBB_BUILD_TESTS)
  # flow_layers_test, flow_train_test (the trainer too: lbb_train).
  file(GLOB LBB_FLOW_TESTS ${PROJECT_SOURCE_DIR}/tests/flow_*_test.cc)
  foreach(src ${LBB_FLOW_TESTS})
    get_filename_component(name ${src} NAME_WE)
    lbb_add_test(${name} SOURCES ${src} LIBS lbb_train)
  endforeach()
endif()

if(LBB_BUILD_BENCH)
  add_executable(bench_flow ${PROJECT_SOURCE_DIR}/bench/bench_flow.cc)
  target_link_libraries(bench_flow PRIVATE lbb_train)  # train/threads.h
  target_compile_definitions(bench_flow PRIVATE
    LBB_DEFAULT_CONFIG="${PROJECT_SOURCE_DIR}/configs/fmnist_flowpp.cfg")
endif()
