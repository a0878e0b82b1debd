# lull_warnings: the warning set every target carries (STYLE.md, Build).
set(LULL_WARNING_FLAGS
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wfloat-conversion -Wvla
  # Functions taking or returning vectors are always inlined (LULL_VEC in
  # dsp.h): no vector crosses a call, so GCC's AVX argument-passing note
  # does not apply.
  -Wno-psabi)
add_library(lull_warnings INTERFACE)
target_compile_options(lull_warnings INTERFACE ${LULL_WARNING_FLAGS} -Wdouble-promotion)
# Tests compute their references in double on purpose: the promotion warning
# guards the library's float code, not theirs.
add_library(lull_test_warnings INTERFACE)
target_compile_options(lull_test_warnings INTERFACE ${LULL_WARNING_FLAGS})
