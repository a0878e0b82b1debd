# Every header compiles on its own and when included twice. For each header
# a one-line-per-include .c file is generated (the header, twice, nothing
# else) and compiled into an object library that the default build builds,
# so `cmake --build` (and so `make test`) fails when a header is not
# self-contained or not guarded. -Wredundant-decls catches a header whose
# guard leaves out only prototypes (those compile twice silently).
#
#   lull_headers_public   include/lull/*.h, seen as a user sees them: only
#                         include/ on the path, no definitions.
#   lull_headers_private  src/*/*.h, built as liblull's sources are: its
#                         include directories and definitions, and the
#                         packages it links (LULL_DEPS: server/conn.h
#                         needs libwebsockets and libev).

file(GLOB LULL_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/lull/*.h)
file(GLOB LULL_PRIVATE_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*/*.h)

# Writes one .c file per header under dir and returns their paths in out.
function(lull_header_sources out dir root)
  set(sources)
  foreach(header IN LISTS ARGN)
    file(RELATIVE_PATH rel ${root} ${header})
    string(MAKE_C_IDENTIFIER ${rel} name)
    set(src ${CMAKE_BINARY_DIR}/${dir}/${name}.c)
    # Rewritten only when the text changes: no rebuild on every configure.
    file(CONFIGURE OUTPUT ${src} CONTENT "#include \"${rel}\"\n#include \"${rel}\"\n")
    list(APPEND sources ${src})
  endforeach()
  set(${out} ${sources} PARENT_SCOPE)
endfunction()

lull_header_sources(public_sources header-check/public ${PROJECT_SOURCE_DIR}/include ${LULL_PUBLIC_HEADERS})
add_library(lull_headers_public OBJECT ${public_sources})
target_include_directories(lull_headers_public PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(lull_headers_public PRIVATE -Wredundant-decls)
target_link_libraries(lull_headers_public PRIVATE lull_warnings)

lull_header_sources(private_sources header-check/private ${PROJECT_SOURCE_DIR}/src ${LULL_PRIVATE_HEADERS})
add_library(lull_headers_private OBJECT ${private_sources})
# liblull's own include directories and definitions, and its packages'.
target_include_directories(lull_headers_private PRIVATE $<TARGET_PROPERTY:lull,INCLUDE_DIRECTORIES>)
target_compile_definitions(lull_headers_private PRIVATE $<TARGET_PROPERTY:lull,COMPILE_DEFINITIONS>)
target_compile_options(lull_headers_private PRIVATE -Wredundant-decls)
target_link_libraries(lull_headers_private PRIVATE lull_warnings ${LULL_DEPS} Threads::Threads)
