# What every room uses, torch-free: src/common -> lbb_common.
add_library(lbb_common STATIC
  src/common/varint.cc
)
target_include_directories(lbb_common PUBLIC ${PROJECT_SOURCE_DIR}/src)
