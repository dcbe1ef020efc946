# Torch-free io: src/io -> lbb_io.
# Images (PNG/PGM/PPM/IDX/Fashion-MNIST), .lbb files on disk, atomic file writes, tensor archives.
add_library(lbb_io STATIC
  src/io/container_file.cc
  src/io/file_bytes.cc
  src/io/idx_file.cc
  src/io/image_items.cc
  src/io/output_set.cc
  src/io/images.cc
  src/io/png_file.cc
  src/io/pnm_file.cc
  src/io/temp_files.cc
  src/io/tensor_archive.cc
)
target_include_directories(lbb_io PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_io PUBLIC lbb_format lbb_common PNG::PNG ZLIB::ZLIB)

if(LBB_BUILD_TESTS)
  foreach(unit images input_errors tensor_archive atomic_write output_set image_items)
    lbb_add_test(io_${unit}_test SOURCES tests/io_${unit}_test.cc LIBS lbb_io)
  endforeach()
endif()
