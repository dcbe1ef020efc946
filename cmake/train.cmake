# Training: src/train.  lbb_train_data (crops and full tiles of images of any size) is
# torch-free, for `lbb bench` too; lbb_train (the trainer, evaluation) needs LibTorch.
add_library(lbb_train_data STATIC src/train/crops.cc)
target_include_directories(lbb_train_data PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_train_data PUBLIC lbb_io)

if(LBB_WITH_TORCH)
  file(GLOB LBB_TRAIN_SOURCES ${PROJECT_SOURCE_DIR}/src/train/*.cc)
  list(REMOVE_ITEM LBB_TRAIN_SOURCES ${PROJECT_SOURCE_DIR}/src/train/crops.cc)
  add_library(lbb_train STATIC ${LBB_TRAIN_SOURCES})
  target_include_directories(lbb_train PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(lbb_train PUBLIC lbb_train_data lbb_coding lbb_flow ${TORCH_LIBRARIES})
endif()
