# Torch-free rANS kernel: src/ans -> lbb_ans (the message, a stack of words).
add_library(lbb_ans STATIC
  src/ans/message.cc
)
target_include_directories(lbb_ans PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(lbb_ans PUBLIC lbb_common)
# DESIGN.md §5: the coding path must not depend on FMA contraction or fast-math; say so here
# too, so that the kernel keeps its guarantees even if it is built outside the top-level flags.
target_compile_options(lbb_ans PRIVATE -ffp-contract=off -fno-fast-math)


if(LBB_BUILD_TESTS)
  lbb_add_test(ans_message_test SOURCES tests/ans_message_test.cc LIBS lbb_ans)
endif()
