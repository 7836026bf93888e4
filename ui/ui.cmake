# The shared dashboard library, included by web/CMakeLists.txt and
# native/app.cmake after they define NNLAB_IMGUI (a target providing imgui.h).
add_library(nnlab_ui STATIC
  ${CMAKE_SOURCE_DIR}/ui/session.cpp
  ${CMAKE_SOURCE_DIR}/ui/session_text.cpp
  ${CMAKE_SOURCE_DIR}/ui/preprocess.cpp
  ${CMAKE_SOURCE_DIR}/ui/dashboard.cpp
  ${CMAKE_SOURCE_DIR}/ui/charts.cpp
  ${CMAKE_SOURCE_DIR}/ui/insight.cpp
  ${CMAKE_SOURCE_DIR}/ui/gl_texture.cpp)
target_include_directories(nnlab_ui PUBLIC ${CMAKE_SOURCE_DIR}/ui)
target_link_libraries(nnlab_ui PUBLIC nnlab_engine ${NNLAB_IMGUI})
