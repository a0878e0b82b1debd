# LULL_SANITIZE=address,undefined | thread : applied to every target.
set(LULL_SANITIZE "" CACHE STRING "Sanitizers: address,undefined or thread")
if(LULL_SANITIZE)
  add_compile_options(-fsanitize=${LULL_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${LULL_SANITIZE})
endif()
