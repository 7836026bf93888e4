# The shared dashboard, included by web/CMakeLists.txt and native/app.cmake
# after they define NNLAB_IMGUI (a target providing imgui.h), or by the top
# CMakeLists.txt without it (no app: the core and its tests alone):
#   nnlab_ui_core  session state machine, parameters/status JSON, draw-pad
#                  preprocessing (engine only, no ImGui, no GL)
#   nnlab_ui       the ImGui panels on top of it, and the one frame loop
#                  (window + ImGui set-up, one frame, the main-loop shim)
# The core's tests (tests/web/test_session.cpp) join the one doctest binary.
add_library(nnlab_ui_core STATIC
  ${CMAKE_SOURCE_DIR}/ui/runner.cpp
  ${CMAKE_SOURCE_DIR}/ui/session.cpp
  ${CMAKE_SOURCE_DIR}/ui/session_data.cpp
  ${CMAKE_SOURCE_DIR}/ui/session_text.cpp
  ${CMAKE_SOURCE_DIR}/ui/preprocess.cpp)
target_include_directories(nnlab_ui_core PUBLIC ${CMAKE_SOURCE_DIR}/ui)
target_link_libraries(nnlab_ui_core PUBLIC nnlab_engine)

if(NNLAB_IMGUI)
include(${CMAKE_SOURCE_DIR}/ui/font.cmake)  # defines NNLAB_FONT_CPP
add_library(nnlab_ui STATIC
  ${NNLAB_FONT_CPP}
  ${CMAKE_SOURCE_DIR}/ui/dashboard.cpp
  ${CMAKE_SOURCE_DIR}/ui/panels.cpp
  ${CMAKE_SOURCE_DIR}/ui/layer_list.cpp
  ${CMAKE_SOURCE_DIR}/ui/charts.cpp
  ${CMAKE_SOURCE_DIR}/ui/insight.cpp
  ${CMAKE_SOURCE_DIR}/ui/insight_conv.cpp
  ${CMAKE_SOURCE_DIR}/ui/gl_texture.cpp
  ${CMAKE_SOURCE_DIR}/ui/frame_loop.cpp)
target_link_libraries(nnlab_ui PUBLIC nnlab_ui_core ${NNLAB_IMGUI})
endif()

if(TARGET nnlab_tests)
  target_sources(nnlab_tests PRIVATE ${CMAKE_SOURCE_DIR}/tests/web/test_session.cpp)
  target_link_libraries(nnlab_tests PRIVATE nnlab_ui_core)
endif()
