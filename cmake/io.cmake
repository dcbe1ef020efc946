# Torch-free io: src/io -> lbb_io (owned by the io work).
# Images (PNG/PGM/PPM/IDX/Fashion-MNIST), their tiles and crops, atomic file writes, tensor archives,
# and the choice of OpenBLAS's kernels (a process-environment matter shared by lbb and imitate).
add_library(lbb_io STATIC
  src/io/crops.cc
  src/io/file_bytes.cc
  src/io/idx_file.cc
  src/io/image_items.cc
  src/io/openblas_kernels.cc
  src/io/output_set.cc
  src/io/images.cc
  src/io/png_file.cc
  src/io/pnm_file.cc
  src/io/tensor_archive.cc
)
target_include_directories(lbb_io PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_io PUBLIC PNG::PNG ZLIB::ZLIB ${CMAKE_DL_LIBS})

if(LBB_BUILD_TESTS)
  lbb_add_test(io_images_test SOURCES tests/io_images_test.cc LIBS lbb_io)
  lbb_add_test(io_input_errors_test SOURCES tests/io_input_errors_test.cc LIBS lbb_io)
  lbb_add_test(io_tensor_archive_test SOURCES tests/io_tensor_archive_test.cc LIBS lbb_io)
  lbb_add_test(io_atomic_write_test SOURCES tests/io_atomic_write_test.cc LIBS lbb_io)
  lbb_add_test(io_output_set_test SOURCES tests/io_output_set_test.cc LIBS lbb_io)
  lbb_add_test(io_image_items_test SOURCES tests/io_image_items_test.cc LIBS lbb_io)
endif()
