# INTERFACE targets linked PRIVATE by our own targets only, never by third-party code.
add_library(newswatch_warnings INTERFACE)
target_compile_options(newswatch_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wimplicit-fallthrough
  # g++ 12 reports false -Wrestrict positives inside std::string (GCC bug 105651).
  -Wno-restrict)
if(NEWSWATCH_WERROR)
  target_compile_options(newswatch_warnings INTERFACE -Werror)
endif()

add_library(newswatch_sanitizers INTERFACE)
if(NEWSWATCH_SANITIZE)
  # Applied to everything we compile so that containers' layouts agree across objects.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(NEWSWATCH_TSAN)
  if(NEWSWATCH_SANITIZE)
    message(FATAL_ERROR "NEWSWATCH_TSAN and NEWSWATCH_SANITIZE cannot be combined")
  endif()
  # Asio's fenced blocks use atomic_thread_fence, which TSan does not model; the scheduler's
  # mutexes carry the ordering TSan needs, so g++'s -Wtsan note is noise here.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()

# Declares the static library `newswatch_<name>` from every .cc in the current folder.
# Usage: newswatch_component(<name> [DEPS ...public targets] [PRIVATE_DEPS ...])
function(newswatch_component name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(NOT sources)  # a folder whose component has not landed yet
    set(sources ${CMAKE_CURRENT_BINARY_DIR}/empty.cc)
    file(WRITE ${sources} "")
  endif()
  add_library(newswatch_${name} STATIC ${sources})
  target_include_directories(newswatch_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(newswatch_${name} PUBLIC ${ARG_DEPS}
    PRIVATE ${ARG_PRIVATE_DEPS} newswatch_warnings newswatch_sanitizers)
endfunction()
